# SPDX-License-Identifier: Apache-2.0
"""Tiny fake NVIDIA wheels (real zip layout, fake library bytes) for the stack cache tests."""
import hashlib
import os
import zipfile


def make_wheel(directory, package, version, files, tag="py3-none-manylinux2014_x86_64", modes=None):
    """Writes <package>-<version>-<tag>.whl with `files` ({path in wheel: bytes}) and a minimal dist-info; `modes`
    ({path: 0o755}) records Unix permissions the way NVIDIA's wheels record them for bin/nvcc."""
    dist = package.replace("-", "_")
    path = os.path.join(directory, f"{dist}-{version}-{tag}.whl")
    info = f"{dist}-{version}.dist-info"
    entries = dict(files)
    entries[f"{info}/METADATA"] = f"Metadata-Version: 2.1\nName: {package}\nVersion: {version}\n".encode()
    entries[f"{info}/WHEEL"] = f"Wheel-Version: 1.0\nGenerator: cuconform-test\nRoot-Is-Purelib: true\nTag: {tag}\n".encode()
    record = "".join(f"{name},sha256={hashlib.sha256(data).hexdigest()},{len(data)}\n" for name, data in entries.items())
    entries[f"{info}/RECORD"] = (record + f"{info}/RECORD,,\n").encode()
    with zipfile.ZipFile(path, "w") as z:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o100000 | (modes or {}).get(name, 0o644)) << 16
            z.writestr(info, data)
    return path


def make_cu12_index(directory):
    """cuda=12.4 cudnn=9.1 as the three cu12 wheels, each a few bytes."""
    os.makedirs(directory, exist_ok=True)
    make_wheel(directory, "nvidia-cuda-runtime-cu12", "12.4.127",
               {"nvidia/cuda_runtime/lib/libcudart.so.12": b"fake cudart 12.4\n"})
    make_wheel(directory, "nvidia-cudnn-cu12", "9.1.1.17",
               {"nvidia/cudnn/lib/libcudnn.so.9": b"fake cudnn 9.1.1\n",
                "nvidia/cudnn/lib/libcudnn_ops.so.9": b"fake cudnn ops\n",
                "nvidia/cudnn/include/cudnn.h": b"/* header */\n"})
    make_wheel(directory, "nvidia-cublas-cu12", "12.4.5.8",
               {"nvidia/cublas/lib/libcublas.so.12": b"fake cublas\n",
                "nvidia/cublas/lib/libcublasLt.so.12": b"fake cublasLt\n"})
    return directory


def make_cu13_toolkit_index(directory):
    """cuda=13.0 cudnn=9.19 as a toolkit (fetch-toolkit): the run stack's wheels plus nvcc, crt, nvvm and cccl, with
    bin/nvcc and nvvm/bin/cicc executable in the wheel (0o744, as in nvidia-cuda-nvcc 13.0.88)."""
    os.makedirs(directory, exist_ok=True)
    make_wheel(directory, "nvidia-cuda-runtime", "13.0.96",
               {"nvidia/cu13/lib/libcudart.so.13": b"fake cudart 13.0\n",
                "nvidia/cu13/include/cuda_runtime_api.h": b"/* header */\n",
                "nvidia/cu13/include/cuda.h": b"/* header */\n"})
    make_wheel(directory, "nvidia-cudnn-cu13", "9.19.1.2",
               {"nvidia/cudnn/lib/libcudnn.so.9": b"fake cudnn 9.19\n",
                "nvidia/cudnn/include/cudnn_version.h": b"/* header */\n"})
    make_wheel(directory, "nvidia-cublas", "13.0.2.14",
               {"nvidia/cu13/lib/libcublas.so.13": b"fake cublas\n",
                "nvidia/cu13/include/cublasLt.h": b"/* header */\n"})
    tool = b"#!/bin/sh\necho 'Cuda compilation tools, release 13.0, V13.0.88'\n"
    make_wheel(directory, "nvidia-cuda-nvcc", "13.0.88",
               {"nvidia/cu13/bin/nvcc": tool, "nvidia/cu13/bin/cudafe++": tool, "nvidia/cu13/bin/fatbinary": tool,
                "nvidia/cu13/bin/ptxas": tool, "nvidia/cu13/bin/nvcc.profile": b"TOP = $(_HERE_)/..\n"},
               modes={f"nvidia/cu13/bin/{name}": 0o744 for name in ("nvcc", "cudafe++", "fatbinary", "ptxas")})
    make_wheel(directory, "nvidia-cuda-crt", "13.0.88", {"nvidia/cu13/include/crt/host_config.h": b"/* crt */\n"})
    make_wheel(directory, "nvidia-nvvm", "13.0.88", {"nvidia/cu13/nvvm/bin/cicc": tool},
               modes={"nvidia/cu13/nvvm/bin/cicc": 0o744})
    make_wheel(directory, "nvidia-cuda-cccl", "13.0.85", {"nvidia/cu13/include/cuda/std/version": b"/* cccl */\n"})
    return directory
