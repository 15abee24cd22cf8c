# SPDX-License-Identifier: Apache-2.0
"""The host's cuDNN (/usr/local/cuda-13.0: headers and libraries, no download) against the knowledge base from its own
files (see cudnn_release_files.py): ~1.3 s with a warm page cache, ~5 s cold."""
import pytest

from cudnn_release_files import HOST, check_release


@pytest.mark.skipif(not (HOST / "include" / "cudnn_version.h").is_file(), reason="no host cuDNN under /usr/local/cuda-13.0")
def test_host_cudnn_files_agree_with_the_knowledge_base_except_the_known_disagreements():
    check_release(HOST)


def test_a_folder_without_a_cudnn_release_is_refused_naming_it(tmp_path):
    import shutil
    import subprocess

    from cudnn_release_files import BIN

    r = subprocess.run([BIN, "table", "--contradictions", "--cudnn-release", str(tmp_path)], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 2, r
    assert str(tmp_path) in r.stderr and "include/ and lib/" in r.stderr, r.stderr
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "libcudnn.so.9").write_bytes(b"\x7fELF not really")
    r = subprocess.run([BIN, "table", "--contradictions", "--cudnn-release", str(tmp_path)], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 2, r
    assert str(tmp_path / "lib" / "libcudnn.so.9") in r.stderr and "ELF64" in r.stderr, r.stderr
    shutil.copy("/usr/bin/true", tmp_path / "lib" / "libcudnn.so.9")  # a real ELF that carries no kernels
    r = subprocess.run([BIN, "table", "--contradictions", "--cudnn-release", str(tmp_path)], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 2, r
    assert str(tmp_path / "include" / "cudnn_version.h") in r.stderr, r.stderr
    r = subprocess.run([BIN, "table", "--cudnn-release", str(HOST)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "add --contradictions" in r.stderr, r.stderr
