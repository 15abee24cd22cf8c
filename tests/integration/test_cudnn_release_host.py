# SPDX-License-Identifier: Apache-2.0
"""The host's cuDNN (/usr/local/cuda-13.0: headers and libraries, no download) against the knowledge base from its own
files (see cudnn_release_files.py): ~1.3 s with a warm page cache, ~5 s cold."""
import pytest

from cudnn_release_files import HOST, check_release


@pytest.mark.skipif(not (HOST / "include" / "cudnn_version.h").is_file(), reason="no host cuDNN under /usr/local/cuda-13.0")
def test_host_cudnn_files_agree_with_the_knowledge_base_except_the_known_disagreements():
    check_release(HOST)
