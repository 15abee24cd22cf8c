# SPDX-License-Identifier: Apache-2.0
# Installs what cuconform needs from Debian's packages, only what is missing. Sourced by the
# README's two commands; safe to run again (idempotent).

# What building and running cuconform needs (./scripts/conform): the compiler and libraries, bubblewrap for stacks.
# GoogleTest and Google Benchmark are small and the build configures them, so they are here too.
cuconform_build_packages=(
    build-essential cmake ninja-build ccache pkg-config
    libgtest-dev libgmock-dev libbenchmark-dev
    nlohmann-json3-dev libyaml-cpp-dev libcli11-dev libfmt-dev libssl-dev libelf-dev zlib1g-dev
    bubblewrap python3
)
# What only the tests need (./scripts/test): pytest and its helpers, Chromium for the report's browser tests,
# Slurm for the scale-out test, and clang with libFuzzer's runtime (libclang-rt-14-dev) for the fuzz targets
# (tests/fuzz/, `ctest -L fuzz`).
cuconform_test_packages=(
    slurm-wlm munge
    clang-14 libclang-rt-14-dev
    python3-jsonschema python3-pytest python3-yaml python3-selenium python3-venv
    chromium chromium-driver
)

# cuconform_install_deps [PACKAGE...]: installs the build packages and the ones named, only those missing.
cuconform_install_deps() {
    local missing=()
    local pkg
    for pkg in "${cuconform_build_packages[@]}" "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
    done
    ((${#missing[@]} == 0)) && return 0
    echo "cuconform: installing missing Debian packages: ${missing[*]}"
    local sudo=()
    if ((EUID != 0)); then
        command -v sudo >/dev/null || {
            echo "cuconform: need root (or sudo) to install: ${missing[*]}" >&2
            echo "cuconform: fix: run 'apt-get install ${missing[*]}' as root, then run this again" >&2
            return 2
        }
        sudo=(sudo)
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq || return 2
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || {
        echo "cuconform: apt-get could not install: ${missing[*]}" >&2
        return 2
    }
}
