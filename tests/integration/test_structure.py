# SPDX-License-Identifier: Apache-2.0
"""The shape #12 gave the sources, kept: no source file over 600 lines, and processes started in two places only
(src/core/process.cpp for the harness, cases/toolchain.h for a case that runs a compiler), and YAML parsed in one place
(src/core/yaml.cpp, the strict reader). Wrong-way includes between rooms do not compile (src/CMakeLists.txt), so they
need no test here."""
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
SOURCES = [p for d in ("src", "cases") for p in (ROOT / d).rglob("*") if p.suffix in (".cpp", ".h", ".cu")]
LIMIT = 600
# fork/vfork/exec*/posix_spawn/system/popen as calls (not words in comments).
STARTS = re.compile(r"(?<![\w.>])(fork|vfork|execv|execvp|execve|execl|execlp|posix_spawnp?|system|popen)\s*\(")
ALLOWED = {"src/core/process.cpp", "cases/toolchain.h"}
# yaml-cpp's own parsers take a key twice, a second document and any nesting without a word (#13.10).
YAML_PARSES = re.compile(r"YAML::(Load|LoadFile|LoadAll|LoadAllFromFile)\s*\(")
YAML_ALLOWED = {"src/core/yaml.cpp"}


def code_lines(path):
    for line in path.read_text(errors="replace").splitlines():
        stripped = line.strip()
        if not stripped.startswith(("//", "*", "/*")):
            yield line


def test_the_sources_are_found():
    assert len(SOURCES) > 100


def test_no_source_file_is_over_the_limit():
    long = {str(p.relative_to(ROOT)): n for p in SOURCES if (n := len(p.read_text(errors="replace").splitlines())) > LIMIT}
    assert not long, f"over {LIMIT} lines (split by what the code does): {long}"


def test_processes_are_started_in_two_files_only():
    starting = {str(p.relative_to(ROOT)) for p in SOURCES if any(STARTS.search(line) for line in code_lines(p))}
    assert "src/core/process.cpp" in starting, "the pattern no longer finds the one place that forks"
    assert starting <= ALLOWED, f"processes started outside {sorted(ALLOWED)}: {sorted(starting - ALLOWED)}"


def test_yaml_is_parsed_by_the_strict_reader_only():
    parsing = {str(p.relative_to(ROOT)) for p in SOURCES if any(YAML_PARSES.search(line) for line in code_lines(p))}
    assert "src/core/yaml.cpp" in parsing, "the pattern no longer finds the strict reader"
    assert parsing <= YAML_ALLOWED, f"YAML parsed outside core/yaml.h's strict reader: {sorted(parsing - YAML_ALLOWED)}"
