# SPDX-License-Identifier: Apache-2.0
# Configures and builds with the default preset (build/, the CLI at build/bin/cuconform).
cuconform_build() {
    local root=$1
    cmake --preset default -S "$root" >/dev/null || {
        echo "cuconform: cmake could not configure the build (see the messages above)." >&2
        echo "cuconform: fix: check that the CUDA toolkit is installed (nvcc on PATH or CUDAToolkit_ROOT set)." >&2
        return 2
    }
    cmake --build "$root/build" -j "$(nproc)" || return 2
}
