# SPDX-License-Identifier: Apache-2.0
"""A command run the way a locked-down container runs it: a seccomp filter (the kernel's own mechanism, as Docker's
and Podman's default profiles use it) refuses with EPERM what it names — PID and user namespaces (clone or unshare
with CLONE_NEWPID/CLONE_NEWUSER) and becoming a subreaper (prctl PR_SET_CHILD_SUBREAPER) — and allows the rest.
Installed here with prctl(PR_SET_SECCOMP) before exec; no package needed."""
import ctypes
import errno
import os
import platform
import struct
import subprocess

import pytest

PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
PR_SET_CHILD_SUBREAPER = 36
CLONE_NEWPID, CLONE_NEWUSER = 0x20000000, 0x10000000
SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO = 0x7FFF0000, 0x00050000
# BPF: ld|w|abs, jmp|jeq|k, jmp|jset|k, ret|k
LD, JEQ, JSET, RET = 0x20, 0x15, 0x45, 0x06
# architecture: (AUDIT_ARCH_*, prctl, clone, clone3, unshare)
ARCHES = {"x86_64": (0xC000003E, 157, 56, 435, 272), "aarch64": (0xC00000B7, 167, 220, 435, 97)}


def _filter(namespaces, subreaper):
    audit_arch, prctl, clone, clone3, unshare = ARCHES[platform.machine()]
    deny = SECCOMP_RET_ERRNO | errno.EPERM
    prog = [(LD, 0, 0, 4), (JEQ, 1, 0, audit_arch), (RET, 0, 0, SECCOMP_RET_ALLOW), (LD, 0, 0, 0)]
    if subreaper:  # prctl(PR_SET_CHILD_SUBREAPER, ...) -> EPERM
        prog += [(JEQ, 0, 3, prctl), (LD, 0, 0, 16), (JEQ, 0, 1, PR_SET_CHILD_SUBREAPER), (RET, 0, 0, deny),
                 (LD, 0, 0, 0)]
    if namespaces:  # clone/unshare with a new PID or user namespace -> EPERM; clone3 -> ENOSYS (glibc falls back)
        for nr in (clone, unshare):
            prog += [(JEQ, 0, 3, nr), (LD, 0, 0, 16), (JSET, 0, 1, CLONE_NEWPID | CLONE_NEWUSER), (RET, 0, 0, deny),
                     (LD, 0, 0, 0)]
        prog += [(JEQ, 0, 1, clone3), (RET, 0, 0, SECCOMP_RET_ERRNO | errno.ENOSYS)]
    prog += [(RET, 0, 0, SECCOMP_RET_ALLOW)]
    return b"".join(struct.pack("HBBI", *insn) for insn in prog), len(prog)


def _install(namespaces, subreaper):
    """In the child, before exec: the filter, which its every descendant keeps."""
    code, count = _filter(namespaces, subreaper)
    buffer = ctypes.create_string_buffer(code)

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    prog = SockFprog(count, ctypes.addressof(buffer))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 or \
            libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        os._exit(98)


def popen_refusing(argv, *, namespaces=True, subreaper=True, **kwargs):
    """subprocess.Popen of argv under the filter. Skips on an architecture it has no syscall numbers for."""
    if platform.machine() not in ARCHES:
        pytest.skip(f"no seccomp syscall numbers for {platform.machine()} in refused_syscalls.py")
    return subprocess.Popen(list(map(str, argv)), preexec_fn=lambda: _install(namespaces, subreaper), **kwargs)


def run_refusing(argv, *, namespaces=True, subreaper=True, timeout=120):
    """subprocess.run of argv under the filter (text output captured)."""
    with popen_refusing(argv, namespaces=namespaces, subreaper=subreaper, stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE, text=True) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            raise
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
