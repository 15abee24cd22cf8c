# SPDX-License-Identifier: Apache-2.0
# Configures and builds with the default preset (build/, the CLI at build/bin/cuconform).
# cuconform_build ROOT [--target T...]: everything, or only the targets named (./scripts/conform builds the CLI).
cuconform_build() {
    local root=$1
    # Paths below the clone are hashed relative to it, so a second clone (or a worktree) hits the same ccache.
    export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=true
    cmake --preset default -S "$root" >/dev/null || {
        echo "cuconform: cmake could not configure the build (see the messages above)." >&2
        echo "cuconform: fix: check that the CUDA toolkit is installed (nvcc on PATH or CUDAToolkit_ROOT set)." >&2
        return 2
    }
    cmake --build "$root/build" -j "$(nproc)" "${@:2}" || return 2
}
