# SPDX-License-Identifier: Apache-2.0
"""Whether a cuconform binary carries AddressSanitizer (the scripts/sanitize build), and the one thing such a build
cannot show: which file a dlopen by soname from inside a library maps.

ld.so searches the DT_RPATH/DT_RUNPATH of the object that *called* dlopen. ASan intercepts dlopen, so the caller ld.so
sees is the ASan runtime, whose paths are empty: cuDNN's shim, which finds its sub-libraries through its own
DT_RUNPATH $ORIGIN, then gets them from ld.so.cache instead (or not at all). `LD_DEBUG=libs` shows it: the same
`doctor --consumer` searches "RUNPATH from file .../libstandin_runpath.so" in the plain build and only
"search cache=/etc/ld.so.cache" in the ASan build. Upstream: https://github.com/google/sanitizers/issues/1219 and
https://bugs.llvm.org/show_bug.cgi?id=27790 (not fixed). A test whose subject is that search skips under ASan with
this reason; the plain build runs it in ./scripts/test."""
import functools
import subprocess

import pytest

DLOPEN_CALLER_REASON = (
    "the CLI is built with AddressSanitizer, whose dlopen interceptor makes the ASan runtime the caller ld.so "
    "searches for (its empty RUNPATH instead of cuDNN's $ORIGIN; google/sanitizers#1219): what this test checks, "
    "which copy of cuDNN's sub-libraries the real loader maps, cannot be observed in this build. ./scripts/test "
    "runs it on the plain build")


@functools.lru_cache(maxsize=None)
def carries_asan(binary):
    """True when `binary` links the ASan runtime (gcc: NEEDED libasan.so; clang: __asan_init in its own symbols)."""
    dynamic = subprocess.run(["readelf", "-d", "--dyn-syms", "-W", str(binary)], capture_output=True, text=True)
    if dynamic.returncode != 0:
        return False
    return "[libasan.so" in dynamic.stdout or " __asan_init" in dynamic.stdout


# How much slower a process of the sanitizer build is: the loader.* cases (they load cuDNN's 1 GB of libraries), one
# at a time, took 63-76 ms each in the plain build and 400-631 ms under ASan + UBSan (2026-12-04, this machine: median
# 6.4x). Tests that bound a run by its timeouts scale their timeouts and allowances by it, so that the sanitizer run
# checks the same paths without calling a slow process a hang; the one-second bound itself is the plain build's.
SANITIZER_TIME_SCALE = 6


def time_scale(binary):
    """SANITIZER_TIME_SCALE for a binary that carries ASan, else 1."""
    return SANITIZER_TIME_SCALE if carries_asan(binary) else 1


def skip_where_dlopen_is_intercepted(binary):
    """A mark: skip with DLOPEN_CALLER_REASON when `binary` carries ASan."""
    return pytest.mark.skipif(carries_asan(binary), reason=DLOPEN_CALLER_REASON)
