# SPDX-License-Identifier: Apache-2.0
"""Every cuDNN wheel in $CUCONFORM_CACHE/wheels (and the knowledge base's own, wheels/kb-cudnn) against the knowledge
base from its own files (see cudnn_release_files.py). Label `matrix-heavy`: the wheels are ~0.9 GB each; ~5 s per release with a cold page cache.
The host's release runs in the default run (test_cudnn_release_host.py)."""
import pytest

from cudnn_release_files import CACHE, check_release, prefix_of, wheel_releases

@pytest.mark.parametrize("wheel", wheel_releases())
def test_cached_cudnn_release_files_agree_with_the_knowledge_base_except_the_known_disagreements(wheel,
                                                                                                 tmp_path_factory):
    check_release(prefix_of(wheel, tmp_path_factory))


def test_the_cache_holds_cudnn_releases():
    if not wheel_releases():
        pytest.skip(f"no nvidia_cudnn_cu*.whl in {CACHE / 'wheels'}: provision a stack (cuconform stack) to fetch one")
