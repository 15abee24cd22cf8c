# SPDX-License-Identifier: Apache-2.0
# Matrix cells in container images, with podman, set up by the project itself (sourced after deps.sh):
# - the engine: podman and runc from Debian, run with containers/podman/containers.conf (CONTAINERS_CONF; the
#   machine's own containers.conf files are neither read nor edited);
# - the local base: Debian from this machine's apt sources with the build packages, made by mmdebstrap and imported
#   once; its tag is the sha256 of what makes it, so the same inputs give the same tag and no second build;
# - a cell's image: containers/Dockerfile on that base (or NVIDIA's), from a build context of what `cuconform stack
#   fetch-toolkit` and `cuconform stack fetch` assembled in the cache (wheels sha256-checked against its manifest).
# Each function that fails says what failed, in the tool's own words, and the fix, and returns 2.

# Installed only when containers are asked for (scripts/containers setup), not by ./scripts/test.
cuconform_container_packages=(podman runc mmdebstrap)

cuconform_containers_say() { echo "cuconform containers: $*" >&2; }

# The engine: podman (here; the local base is podman's), or docker on a GPU runner (CUCONFORM_ENGINE=docker);
# $CUCONFORM_PODMAN is another path to podman.
cuconform_engine_name() { echo "${CUCONFORM_ENGINE:-podman}"; }
cuconform_engine_bin() {
    if [ "$(cuconform_engine_name)" = docker ]; then echo docker; else echo "${CUCONFORM_PODMAN:-podman}"; fi
}
cuconform_podman() { "$(cuconform_engine_bin)" "$@"; }
# Whether IMAGE is in the engine's storage (`image exists` is podman's only).
cuconform_image_here() { cuconform_podman image inspect --format '{{.Id}}' "$1" >/dev/null 2>&1; }

# The cache of `cuconform stack fetch` (src/provision/wheels.h cache_root).
cuconform_cache_dir() {
    if [ -n "${CUCONFORM_CACHE:-}" ]; then
        echo "$CUCONFORM_CACHE"
    elif [ -n "${XDG_CACHE_HOME:-}" ]; then
        echo "$XDG_CACHE_HOME/cuconform"
    else
        echo "${HOME:-/tmp}/.cache/cuconform"
    fi
}

# cuconform_containers_env ROOT: podman's settings for this shell (CUCONFORM_CONTAINERS_CONF names another file).
cuconform_containers_env() {
    export CONTAINERS_CONF="${CUCONFORM_CONTAINERS_CONF:-$1/containers/podman/containers.conf}"
}

# The smallest root filesystem podman can start (/usr/bin/true and its libraries from this machine), so that the
# check needs no image and no registry.
cuconform_probe_rootfs() {
    local dir
    dir="$(cuconform_cache_dir)/containers/probe-rootfs"
    if [ ! -x "$dir/usr/bin/true" ]; then
        mkdir -p "$dir/usr/bin" || return 2
        cp /usr/bin/true "$dir/usr/bin/true" || return 2
        local lib
        for lib in $(ldd /usr/bin/true | grep -o '/[^ ]*'); do
            mkdir -p "$dir$(dirname "$lib")" && cp -L "$lib" "$dir$lib" || return 2
        done
    fi
    echo "$dir"
}

# cuconform_engine_check ROOT: 0 when podman starts a container here with the project's settings; otherwise what
# podman said, the fix, and 2.
cuconform_engine_check() {
    local root=$1 say=cuconform_containers_say
    cuconform_containers_env "$root"
    if [ "$(cuconform_engine_name)" = docker ]; then
        local out
        if ! command -v docker >/dev/null; then
            $say "no container engine: docker is not installed (not found on PATH=$PATH)"
            $say "fix: install docker and the NVIDIA Container Toolkit on the runner, or use podman (scripts/containers setup)"
            return 2
        fi
        out=$(timeout 120 docker info 2>&1) && return 0
        $say "docker does not answer here; docker info said:"
        printf '%s\n' "$out" | grep -v '^[[:space:]]*$' | tail -n 6 | sed 's/^/  docker: /' >&2
        $say "fix: start the docker daemon (systemctl start docker) and let $(id -un) use it (the docker group)"
        return 2
    fi
    if ! command -v "${CUCONFORM_PODMAN:-podman}" >/dev/null; then
        $say "no container engine: ${CUCONFORM_PODMAN:-podman} is not installed (not found on PATH=$PATH)"
        $say "fix: scripts/containers setup (installs podman, runc and mmdebstrap from Debian's packages)"
        return 2
    fi
    if [ ! -f "$CONTAINERS_CONF" ]; then
        $say "podman's settings file $CONTAINERS_CONF (CONTAINERS_CONF) is missing"
        $say "fix: use the clone's containers/podman/containers.conf (unset CUCONFORM_CONTAINERS_CONF)"
        return 2
    fi
    local probe out
    probe=$(cuconform_probe_rootfs) || {
        $say "cannot make the probe root filesystem under $(cuconform_cache_dir)/containers (disk full or read-only?)"
        return 2
    }
    if out=$(timeout 120 "${CUCONFORM_PODMAN:-podman}" run --rm --network none --rootfs "$probe" /usr/bin/true 2>&1); then
        return 0
    fi
    $say "podman cannot start a container here (settings: CONTAINERS_CONF=$CONTAINERS_CONF); podman said:"
    printf '%s\n' "$out" | grep -v '^[[:space:]]*$' | tail -n 8 | sed 's/^/  podman: /' >&2
    case $out in
        *RLIMIT_NOFILE* | *"rlimit type 7"*)
            $say "fix: podman raises the open-files limit above what this host allows; the settings file must hold"
            $say "     [containers] default_ulimits = [] (containers/podman/containers.conf does)" ;;
        *"hybrid mode"*)
            $say "fix: crun refuses cgroup v1 beside cgroup v2; use runc: [engine] runtime = \"runc\" in the settings"
            $say "     file (containers/podman/containers.conf does) and apt-get install runc" ;;
        *"OCI runtime"*"not found"* | *"runc"*"executable file not found"*)
            $say "fix: install the runtime the settings name: scripts/containers setup (apt-get install runc)" ;;
        *newuidmap* | *subuid* | *"cannot find UID/GID"* | *"user namespace"*)
            $say "fix: rootless podman needs subordinate ids for $(id -un) in /etc/subuid and /etc/subgid"
            $say "     (an admin: usermod --add-subuids 100000-165535 --add-subgids 100000-165535 $(id -un)); or run as root" ;;
        *)
            $say "fix: see containers/README.md (Engine); for podman's own account run:"
            $say "     CONTAINERS_CONF=$CONTAINERS_CONF podman --log-level=debug run --rm --rootfs $probe /usr/bin/true" ;;
    esac
    return 2
}

# The apt sources the local base is made from: $CUCONFORM_DEBIAN_SOURCES (a .sources or .list file), else this
# machine's Debian sources (deb822 debian.sources, else the Debian lines of sources.list).
cuconform_debian_sources() {
    if [ -n "${CUCONFORM_DEBIAN_SOURCES:-}" ]; then
        cat "$CUCONFORM_DEBIAN_SOURCES"
    elif [ -f /etc/apt/sources.list.d/debian.sources ]; then
        cat /etc/apt/sources.list.d/debian.sources
    elif [ -f /etc/apt/sources.list ] && grep -q '^deb .*debian' /etc/apt/sources.list; then
        grep '^deb .*debian' /etc/apt/sources.list
    else
        echo "deb http://deb.debian.org/debian bookworm main"
    fi
}

# The suite of the base: this machine's Debian release (bookworm on Debian 12), else bookworm.
cuconform_base_suite() {
    (
        [ -r /etc/os-release ] && . /etc/os-release
        if [ "${ID:-}" = debian ] && [ -n "${VERSION_CODENAME:-}" ]; then echo "$VERSION_CODENAME"; else echo bookworm; fi
    )
}

# mmdebstrap SUITE OUT.tar SOURCES-FILE MARKER-FILE: Debian with apt and the build packages, no documentation.
cuconform_make_base_tar() {
    local suite=$1 out=$2 sources=$3 marker=$4 packages
    packages=$(IFS=,; echo "${cuconform_build_packages[*]}")
    SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000} mmdebstrap --variant=apt --format=tar --include="$packages" \
        --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
        --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
        --customize-hook="mkdir -p \"\$1/etc/cuconform\" && cp '$marker' \"\$1/etc/cuconform/base.json\"" \
        "$suite" "$out" "$sources"
}

# cuconform_base_image ROOT: prints the local base's tag, made and imported only when no image has that tag.
cuconform_base_image() {
    local root=$1 say=cuconform_containers_say
    cuconform_containers_env "$root"
    local suite sources key tag dir
    suite=$(cuconform_base_suite)
    sources=$(cuconform_debian_sources) || {
        $say "cannot read the apt sources ${CUCONFORM_DEBIAN_SOURCES:-} for the base"
        return 2
    }
    # Everything that decides what the base holds: the recipe (this function's helper), the packages, the sources.
    key=$({
        declare -f cuconform_make_base_tar
        echo "${cuconform_build_packages[*]}" "$suite"
        echo "$sources"
        mmdebstrap --version 2>/dev/null
    } | sha256sum | cut -c1-12)
    tag="localhost/cuconform-base:$suite-$key"
    if cuconform_image_here "$tag"; then
        echo "$tag"
        return 0
    fi
    if ! command -v mmdebstrap >/dev/null; then
        $say "the local base $tag is not here and mmdebstrap, which makes it, is not installed"
        $say "fix: scripts/containers setup (apt-get install mmdebstrap)"
        return 2
    fi
    dir="$(cuconform_cache_dir)/containers"
    mkdir -p "$dir" || return 2
    (
        # Two runs sharing the cache make it once.
        flock 9
        cuconform_image_here "$tag" && exit 0
        local tar="$dir/base-$suite-$key.tar" log="$dir/base-$suite-$key.log" marker="$dir/base-$suite-$key.json"
        printf '%s' "$sources" >"$dir/base-$suite-$key.sources"
        cat >"$marker" <<EOF
{"suite": "$suite", "inputs": "$key", "packages": "${cuconform_build_packages[*]}", "made_by": "scripts/lib/containers.sh"}
EOF
        $say "making the local base $tag: Debian $suite with ${cuconform_build_packages[*]} (mmdebstrap, log: $log)"
        local start=$SECONDS
        if ! cuconform_make_base_tar "$suite" "$tar.partial" "$dir/base-$suite-$key.sources" "$marker" >"$log" 2>&1; then
            rm -f "$tar.partial"
            $say "mmdebstrap could not make the base; it said:"
            grep -v '^[[:space:]]*$' "$log" | tail -n 10 | sed 's/^/  mmdebstrap: /' >&2
            $say "fix: check that the apt sources answer (apt-get update), or name others with"
            $say "     CUCONFORM_DEBIAN_SOURCES=FILE (.sources or .list); the sources used: $dir/base-$suite-$key.sources"
            exit 2
        fi
        if ! out=$(cuconform_podman import --change "LABEL org.cuconform.base=$suite-$key" \
            --message "cuconform local base: Debian $suite + build packages" "$tar.partial" "$tag" 2>&1); then
            rm -f "$tar.partial"
            $say "podman could not import the base $tar.partial as $tag; it said:"
            printf '%s\n' "$out" | tail -n 5 | sed 's/^/  podman: /' >&2
            exit 2
        fi
        rm -f "$tar.partial"
        $say "made and imported $tag in $((SECONDS - start)) s"
    ) 9>"$dir/base.lock" || return 2
    echo "$tag"
}

# cuconform_ensure_base ROOT IMAGE: 0 when IMAGE is here or can be pulled (NVIDIA's bases on a runner that reaches
# a registry); otherwise podman's words and the fix.
cuconform_ensure_base() {
    local image=$2 say=cuconform_containers_say out
    local engine
    engine=$(cuconform_engine_name)
    cuconform_image_here "$image" && return 0
    if out=$(timeout 1800 "$(cuconform_engine_bin)" pull "$image" 2>&1); then
        return 0
    fi
    $say "the base image $image is not here and cannot be pulled; $engine said:"
    printf '%s\n' "$out" | grep -v '^[[:space:]]*$' | tail -n 4 | sed "s/^/  $engine: /" >&2
    $say "fix: without a registry, use the local base (scripts/containers: leave out --base; matrix run: --base local);"
    $say "     or bring the image here with"
    $say "     $engine save -o base.tar $image (where it is) and $engine load -i base.tar"
    return 2
}

# The clone's files (tracked and new, not ignored) as they are in the working tree, but the harness's own tests and
# benchmarks: the image builds neither (CUCONFORM_BUILD_TESTS=OFF), so a change to a test reuses every layer.
cuconform_copy_source() {
    local root=$1 dest=$2
    mkdir -p "$dest"
    git -C "$root" ls-files -z --cached --others --exclude-standard -- . ':!tests/' ':!bench/' |
        (cd "$root" && while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done) |
        tar -C "$root" --null -T - -cf - | tar -C "$dest" -xf -
}

# Hard links into the context (same file system as the cache), else a copy.
cuconform_link_tree() {
    cp -al "$1" "$2" 2>/dev/null || { rm -rf "$2" && cp -a "$1" "$2"; }
}

# cuconform_cell_image ROOT CLI TOOLKIT STACK [BASE]: builds (or finds, every layer cached) the image of a cell
# whose catalogue is built with TOOLKIT ("cuda=13.0 cudnn=9.19") and run on STACK ("cuda=13.0 cudnn=9.13"), on the
# local base or BASE. Prints the image's tag.
cuconform_cell_image() {
    local root=$1 cli=$2 toolkit=$3 stack=$4 base=${5:-} say=cuconform_containers_say
    cuconform_containers_env "$root"
    local local_base=true
    if [ -z "$base" ]; then
        base=$(cuconform_base_image "$root") || return 2
    else
        local_base=false
        cuconform_ensure_base "$root" "$base" || return 2
    fi
    # The project's own fetches: wheels reused from the cache after their sha256 is checked against
    # <cache>/wheels/manifest.json (downloaded when missing), prefixes assembled from exactly those wheels.
    local toolkit_prefix stack_prefix
    # shellcheck disable=SC2086 # the words are `key=value` pairs
    toolkit_prefix=$("$cli" stack fetch-toolkit $toolkit --print-prefix) || {
        $say "cuconform stack fetch-toolkit $toolkit failed (its messages above)"
        return 2
    }
    # shellcheck disable=SC2086
    stack_prefix=$("$cli" stack fetch $stack --print-prefix) || {
        $say "cuconform stack fetch $stack failed (its messages above)"
        return 2
    }
    if [ ! -x "$toolkit_prefix/bin/nvcc" ] && $local_base; then
        $say "the toolkit $toolkit_prefix has no nvcc (NVIDIA's CUDA 11/12 wheels carry none; see its toolkit.json),"
        $say "and the local base has no other"
        $say "fix: a CUDA 13 toolkit (its wheels carry nvcc), or --base docker.io/nvidia/cuda:<tag>-cudnn-devel-... on a"
        $say "     runner that reaches a registry (its nvcc builds the kernels)"
        return 2
    fi
    local tk_name stack_name base_key tag context base_stack
    base_stack=$(cuconform_base_stack "$base")
    tk_name=$(basename "$toolkit_prefix")
    stack_name=$(basename "$stack_prefix")
    base_key=$(echo "${base##*/}" | tr -c 'A-Za-z0-9_.\n-' '-' | cut -c1-60)
    base_key=${base_key#cuconform-base-}
    tag="localhost/cuconform-cell:$stack_name-tk$tk_name-$base_key"
    # One context (and log) per image; two runs building the same image take turns.
    context="$(cuconform_cache_dir)/containers/contexts/${tag#*:}"
    mkdir -p "$(dirname "$context")" || return 2
    {
        flock 9
        cuconform_cell_context "$root" "$context" "$toolkit_prefix" "$stack_prefix" || return 2
        local network=()
        $local_base && network=(--network none)  # everything is in the context; NVIDIA's bases need apt
        $say "building $tag (base $base, its own stack: $base_stack; toolkit $tk_name; stack $stack_name)"
        cuconform_podman_build "$context.build.log" "${network[@]}" -f "$root/containers/Dockerfile" \
            --build-arg "BASE=$base" --build-arg "BASE_STACK=$base_stack" --build-arg "STACK_NAME=$stack_name" \
            --label "org.cuconform.toolkit=$tk_name" --label "org.cuconform.stack=wheels:$stack_name" \
            --label "org.cuconform.base=$base" --label "org.cuconform.base_stack=$base_stack" -t "$tag" "$context"
        local rc=$?
        rm -rf "$context"  # the engine has what it needs; the log stays
        [ $rc -eq 0 ] || return 2
    } 9>"$context.lock"
    echo "$tag"
}

# cuconform_cell_context ROOT CONTEXT TOOLKIT-PREFIX STACK-PREFIX: the build context, made afresh.
cuconform_cell_context() {
    local root=$1 context=$2 toolkit_prefix=$3 stack_prefix=$4 say=cuconform_containers_say
    rm -rf "$context" && mkdir -p "$context" || return 2
    cuconform_copy_source "$root" "$context/source" || {
        $say "cannot copy the source tree into $context/source"
        return 2
    }
    cuconform_link_tree "$toolkit_prefix" "$context/toolkit" && cuconform_link_tree "$stack_prefix" "$context/stack" || {
        $say "cannot copy $toolkit_prefix and $stack_prefix into $context (disk full?)"
        return 2
    }
}

# cuconform_podman_build LOG BUILD-ARGS...: `podman build` (or docker's) with its output in LOG; when it fails, its last lines and
# the fix, and 2.
cuconform_podman_build() {
    local log=$1 say=cuconform_containers_say
    shift
    local start=$SECONDS
    local engine
    engine=$(cuconform_engine_name)
    if ! cuconform_podman build "$@" >"$log" 2>&1; then
        $say "$engine build failed; it said:"
        grep -v '^[[:space:]]*$' "$log" | tail -n 12 | sed "s/^/  $engine build: /" >&2
        $say "fix: the step named above (the whole log: $log); scripts/containers check tests the engine itself"
        return 2
    fi
    local cached steps
    steps=$(grep -c '^STEP ' "$log" || true)
    cached=$(grep -c '^--> Using cache' "$log" || true)
    $say "built in $((SECONDS - start)) s, $cached of $steps steps from the layer cache (log: $log)"
}

# cuconform_base_stack IMAGE: the CUDA and cuDNN the base carries of its own, from the variables NVIDIA's images set
# (CUDA_VERSION; NV_CUDNN_VERSION, CUDNN_VERSION in the cuDNN 8 images): "cuda13.0.1-cudnn9.13.0.50-1", or "none"
# (the local base). The Dockerfile removes those libraries; the label and the fingerprint's environment keep this.
cuconform_base_stack() {
    local env cuda cudnn
    env=$(cuconform_podman image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$1" 2>/dev/null)
    cuda=$(printf '%s\n' "$env" | sed -n 's/^CUDA_VERSION=//p' | head -1)
    cudnn=$(printf '%s\n' "$env" | sed -n 's/^NV_CUDNN_VERSION=//p; s/^CUDNN_VERSION=//p' | head -1)
    if [ -z "$cuda$cudnn" ]; then echo none; else echo "cuda${cuda:-none}-cudnn${cudnn:-none}" | tr -c 'A-Za-z0-9_.\n-' '-'; fi
}

# cuconform_image_identity IMAGE: "ID DIGEST BASE-STACK" of a built image (podman's digest; docker has none for an
# image never pushed: "-", and the id names it).
cuconform_image_identity() {
    local format='{{.Id}} {{.Digest}} {{index .Config.Labels "org.cuconform.base_stack"}}'
    [ "$(cuconform_engine_name)" = docker ] && format='{{.Id}} - {{index .Config.Labels "org.cuconform.base_stack"}}'
    cuconform_podman image inspect --format "$format" "$1"
}
