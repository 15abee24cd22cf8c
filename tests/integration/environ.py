# SPDX-License-Identifier: Apache-2.0
"""The environment the doctor and consumer tests start cuconform in: this machine's, without anything that would
choose CUDA libraries or a Python environment for it, so each test sets exactly what it is about."""
import os


def clean_env(**overrides):
    """os.environ minus CUDA_*/CUDNN_*/NVIDIA_*/CUBLAS_*, LD_LIBRARY_PATH, VIRTUAL_ENV, CONDA_PREFIX and PYTHONPATH,
    with CUDA_HOME=/usr/local/cuda; an override of None removes that variable."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CUDA_", "CUDNN_", "NVIDIA_", "CUBLAS_"))
           and k not in ("LD_LIBRARY_PATH", "VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONPATH")}
    env["CUDA_HOME"] = "/usr/local/cuda"
    for k, v in overrides.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env
