// SPDX-License-Identifier: Apache-2.0
/// \file The Python each framework's own check runs in a child interpreter (frameworks.cpp assembles them): what the
/// framework says of the libraries it loads, in its words, and the files the process mapped, after a marker line.
#pragma once

namespace cuconform::consumer::scripts {

inline constexpr const char* kMapsHelper = R"(
def _mapped():
    import os
    seen = []
    try:
        for line in open("/proc/self/maps"):
            fields = line.split()
            if len(fields) < 6:
                continue
            base = os.path.basename(fields[5])
            if base.startswith(("libcudart.so", "libcudnn", "libcublas", "libnvrtc.so", "libcuda.so")) and fields[5] not in seen:
                seen.append(fields[5])
    except OSError:
        pass
    return seen
)";

inline constexpr const char* kTorchCheck = R"(
import json, os, sys
out = {"status": "ok", "message": ""}
try:
    import torch
    out["version"] = torch.__version__
    out["cuda"] = torch.version.cuda
    try:
        out["compiled_cudnn"] = ".".join(str(x) for x in torch._C._cudnn.getCompileVersion())
    except Exception as e:
        out["compiled_cudnn_error"] = "%s: %s" % (type(e).__name__, e)
    try:
        v = torch.backends.cudnn.version()
        out["cudnn"] = v
        if v is None:
            out["status"] = "refused"
            out["message"] = "torch.backends.cudnn.version() is None: this torch has no cuDNN"
    except RuntimeError as e:
        out["status"] = "refused"
        out["message"] = str(e)
    if "CUDA_VISIBLE_DEVICES" in os.environ:
        out["visible_devices"] = torch.cuda._parse_visible_devices()
    out["cuda_available"] = torch.cuda.is_available()
except Exception as e:
    out["status"] = "failed"
    out["message"] = "%s: %s" % (type(e).__name__, e)
out["mapped"] = _mapped()
sys.stdout.write("\n@@cuconform@@" + json.dumps(out) + "\n")
)";

inline constexpr const char* kJaxCheck = R"(
import importlib, json, os, sys, types
out = {"status": "ok", "message": ""}
try:
    p = importlib.import_module(PLUGIN)
    p._load_nvidia_libraries()
    p._import_extensions()
    v = p.cuda_versions
    out["build"] = {n[:-14]: getattr(v, n)() for n in dir(v) if n.endswith("_build_version")}
    runtime = {}
    for name in ("cuda_runtime", "cudnn", "cublas"):
        try:
            runtime[name] = getattr(v, name + "_get_version")()
        except Exception as e:
            runtime[name] = "%s: %s" % (type(e).__name__, e)
    out["runtime"] = runtime
    try:
        v.cuda_device_count()
    except Exception as e:
        # No driver: the check would stop at cuInit before it compares versions; ask it with no devices instead.
        out["device_count_stubbed"] = "%s: %s" % (type(e).__name__, e)
        stub = types.SimpleNamespace(**{n: getattr(v, n) for n in dir(v) if not n.startswith("__")})
        stub.cuda_device_count = lambda: 0
        p.cuda_versions = stub
    try:
        p._check_cuda_versions(raise_on_first_error=True)
    except RuntimeError as e:
        out["status"] = "refused"
        out["message"] = str(e)
except Exception as e:
    out["status"] = "failed"
    out["message"] = "%s: %s" % (type(e).__name__, e)
out["mapped"] = _mapped()
sys.stdout.write("\n@@cuconform@@" + json.dumps(out) + "\n")
)";

inline constexpr const char* kTensorflowCheck = R"(
import json, os, sys
out = {"status": "ok", "message": ""}
try:
    import tensorflow as tf
    out["version"] = tf.__version__
    out["build"] = {k: str(v) for k, v in tf.sysconfig.get_build_info().items()}
    out["gpus"] = [d.name for d in tf.config.list_physical_devices("GPU")]
except Exception as e:
    out["status"] = "failed"
    out["message"] = "%s: %s" % (type(e).__name__, e)
out["mapped"] = _mapped()
sys.stdout.write("\n@@cuconform@@" + json.dumps(out) + "\n")
)";

}  // namespace cuconform::consumer::scripts
