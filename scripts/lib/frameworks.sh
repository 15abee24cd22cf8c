# SPDX-License-Identifier: Apache-2.0
# Real framework environments for the matrix-heavy tests and the framework cells: a venv per
# requirement, made with a plain `pip install` (what a user types), kept under
# $CUCONFORM_CACHE/venvs/<name> and made again only when the requirement changed or the venv broke.
# The wheels are kept in a wheelhouse ($CUCONFORM_CACHE/wheelhouse: `pip download`, then `pip install
# --no-index --find-links`), so a second venv for the same framework downloads nothing (torch's CUDA 13 stack
# is ~3 GB). pip's own HTTP cache is not relied on: it keeps nothing on some machines.
#
#   source scripts/lib/frameworks.sh
#   cuconform_framework_venv torch-latest torch          # prints the venv's path
#   cuconform_framework_venv jax-cuda12 "jax[cuda12]"
#
# Python: $CUCONFORM_PYTHON, else /usr/bin/python3 (Debian's, with the venv module), else python3.

cuconform_cache_dir() {
    if [[ -n ${CUCONFORM_CACHE:-} ]]; then
        echo "$CUCONFORM_CACHE"
    elif [[ -n ${XDG_CACHE_HOME:-} ]]; then
        echo "$XDG_CACHE_HOME/cuconform"
    else
        echo "$HOME/.cache/cuconform"
    fi
}

cuconform_venv_python() {
    if [[ -n ${CUCONFORM_PYTHON:-} ]]; then
        echo "$CUCONFORM_PYTHON"
    elif [[ -x /usr/bin/python3 ]]; then
        echo /usr/bin/python3
    else
        command -v python3
    fi
}

# cuconform_framework_venv NAME REQUIREMENT... : makes (or reuses) the venv NAME with `pip install
# REQUIREMENT...`; prints its path on stdout, pip's progress on stderr; returns 2 when it could not.
cuconform_framework_venv() {
    local name=$1
    shift
    local cache venv python stamp want
    cache=$(cuconform_cache_dir)
    venv="$cache/venvs/$name"
    python=$(cuconform_venv_python)
    stamp="$venv/.cuconform-requirements"
    want="$* ($("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])'))"
    if [[ -f $stamp && $(cat "$stamp") == "$want" && -x $venv/bin/python ]] &&
        "$venv/bin/python" -c 'import sys' 2>/dev/null; then
        echo "$venv"
        return 0
    fi
    echo "cuconform: making the framework venv $venv: pip install $*" >&2
    rm -rf "$venv"
    mkdir -p "$cache/venvs" "$cache/wheelhouse"
    "$python" -m venv "$venv" >&2 || {
        echo "cuconform: $python -m venv $venv failed; fix: apt-get install python3-venv, or set CUCONFORM_PYTHON" >&2
        return 2
    }
    # The resolution pip makes for `pip install REQ` here (index queries only when every wheel is in the house).
    "$venv/bin/python" -m pip download --disable-pip-version-check -q -d "$cache/wheelhouse" "$@" >&2 &&
        "$venv/bin/python" -m pip install --disable-pip-version-check -q --no-index \
            --find-links "$cache/wheelhouse" "$@" >&2 || {
        echo "cuconform: pip install $* into $venv failed (network? disk space under $cache?)" >&2
        rm -rf "$venv"
        return 2
    }
    echo "$want" >"$stamp"
    echo "$venv"
}
