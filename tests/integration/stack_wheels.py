# SPDX-License-Identifier: Apache-2.0
"""Tiny fake NVIDIA wheels (real zip layout, fake library bytes) for the stack cache tests."""
import hashlib
import os
import zipfile


def make_wheel(directory, package, version, files, tag="py3-none-manylinux2014_x86_64"):
    """Writes <package>-<version>-<tag>.whl with `files` ({path in wheel: bytes}) and a minimal dist-info."""
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
            z.writestr(name, data)
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
