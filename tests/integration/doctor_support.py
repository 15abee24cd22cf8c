# SPDX-License-Identifier: Apache-2.0
"""What the doctor and consumer tests share: the environment they start cuconform in (this machine's, without anything
that would choose CUDA libraries or a Python environment for it, so each test sets exactly what it is about), and
reading findings from a `doctor --json` report."""
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


def ids(report):
    """The ids of a doctor report's findings, in order."""
    return [f["id"] for f in report["findings"]]


def finding(report, fid):
    """The first finding with id `fid`; the test fails naming the ids there are when there is none."""
    found = [f for f in report["findings"] if f["id"] == fid]
    assert found, f"no {fid} in {ids(report)}"
    return found[0]
