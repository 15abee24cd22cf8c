# SPDX-License-Identifier: Apache-2.0
"""The knowledge base's toolkit facts against the real tools (#15): for every toolkit whose architectures or PTX ISA
cite a `tool` source (NVIDIA's compiler wheel on PyPI), that wheel's own ptxas must accept exactly the architectures
toolkits.yaml gives it ('a' and 'f' targets included) and assemble exactly up to the PTX ISA it records; `cuconform
predict` must answer nvcc-targets from the same facts. Label `matrix-heavy`: the seventeen wheels are ~0.9 GB, fetched
once into $CUCONFORM_CACHE/wheels/kb-nvcc with `pip download`."""
import os
import pathlib
import re
import subprocess
import zipfile

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
TOOLKITS = ROOT / "matrix" / "knowledge" / "toolkits.yaml"
CACHE = pathlib.Path(os.environ.get("CUCONFORM_CACHE", pathlib.Path.home() / ".cache" / "cuconform")) / "wheels" / "kb-nvcc"
BIN = os.environ.get("CUCONFORM_BIN", str(ROOT / "build" / "bin" / "cuconform"))
PYPI = re.compile(r"^https://pypi\.org/project/([A-Za-z0-9_.-]+)/([0-9][0-9.]*)/$")


def toolkit_facts():
    """[(toolkit, {archs}, ptx_isa, (package, version, ptxas path in the wheel))] for each toolkit cited to a tool."""
    doc = yaml.safe_load(TOOLKITS.read_text())
    sources = doc["sources"]
    archs, out = set(), []
    for t in doc["toolkits"]:
        changes = t.get("archs")
        if changes:
            archs = (archs | set(changes.get("add", []))) - set(changes.get("remove", []))
        ids = [changes["source"]] if changes else []
        if "ptx_isa" in t:
            ids.append(t["ptx_isa"]["source"])
        tools = {i for i in ids if sources[i]["kind"] == "tool"}
        if not tools:
            continue
        assert len(tools) == 1, (t["version"], tools)
        source = sources[tools.pop()]
        m = PYPI.match(source["url"])
        assert m, f"a tool source names its wheel's PyPI release page: {source['url']}"
        ptxas = source["path"].split()[0]
        out.append((t["version"], set(archs), t["ptx_isa"]["version"], (m[1], m[2], ptxas)))
    return out


FACTS = toolkit_facts()


def ptxas_of(package, version, member, tmp_root):
    """The wheel's ptxas, extracted once into the cache (the wheel itself is kept: pip checks its hash on download)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    stem = package.replace("-", "_") + "-" + version + "-"
    wheels = [w for w in CACHE.glob("*.whl") if w.name.startswith(stem)]
    if not wheels:
        r = subprocess.run(["/usr/bin/python3", "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                            "--platform", "manylinux2014_x86_64", "--python-version", "3.11", "--dest", str(CACHE),
                            f"{package}=={version}"], capture_output=True, text=True, timeout=1800)
        if r.returncode != 0:
            pytest.skip(f"pip download {package}=={version} failed (no network?): {r.stderr[-500:]}")
        wheels = [w for w in CACHE.glob("*.whl") if w.name.startswith(stem)]
    assert wheels, f"pip download left no {stem}*.whl in {CACHE}"
    out = CACHE / (stem + "ptxas")
    if not out.exists():
        with zipfile.ZipFile(wheels[0]) as z:
            tmp = tmp_root / out.name
            tmp.write_bytes(z.read(member))
            tmp.chmod(0o755)
            tmp.replace(out)
    return out


def allowed_gpu_names(ptxas):
    r = subprocess.run([str(ptxas), "--help"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    block = r.stdout[r.stdout.index("--gpu-name"):]
    block = block[block.index("Allowed values for this option:"):]
    block = block[:block.find("\n\n")] if "\n\n" in block else block
    return set(re.findall(r"'(sm_[0-9]+[af]?)'", block))


def assembles(ptxas, isa, tmp_path):
    ptx = tmp_path / "t.ptx"
    ptx.write_text(f".version {isa}\n.target sm_75\n.address_size 64\n.visible .entry k() {{ ret; }}\n")
    return subprocess.run([str(ptxas), "-arch=sm_75", str(ptx), "-o", str(tmp_path / "t.o")],
                          capture_output=True, timeout=60).returncode == 0


def test_every_tool_sourced_toolkit_is_checked():
    # 11.7 and every release after it cite their own ptxas (12.7 was never released).
    assert [f[0] for f in FACTS][:2] == ["11.7", "11.8"] and "13.0" in [f[0] for f in FACTS]
    assert "12.7" not in [f[0] for f in FACTS]


@pytest.mark.parametrize("toolkit,archs,isa,wheel", FACTS, ids=[f[0] for f in FACTS])
def test_toolkit_facts_are_what_its_own_ptxas_says(toolkit, archs, isa, wheel, tmp_path):
    ptxas = ptxas_of(*wheel, tmp_path)
    tool = allowed_gpu_names(ptxas)
    assert archs == tool, (f"toolkits.yaml gives CUDA {toolkit} {sorted(archs - tool)} that its ptxas refuses and "
                           f"lacks {sorted(tool - archs)} that it accepts")
    major, minor = (int(x) for x in isa.split("."))
    assert assembles(ptxas, isa, tmp_path), f"CUDA {toolkit}'s ptxas refuses PTX ISA {isa}"
    assert not assembles(ptxas, f"{major}.{minor + 1}", tmp_path), \
        f"CUDA {toolkit}'s ptxas assembles PTX ISA {major}.{minor + 1}, newer than the {isa} recorded"


@pytest.mark.parametrize("toolkit,archs,isa,wheel", FACTS, ids=[f[0] for f in FACTS])
def test_predict_answers_from_the_same_facts(toolkit, archs, isa, wheel):
    # A target of its own ('a', 'f') is answered exactly: yes for those the tool accepts, no for a neighbour it lacks.
    for arch in sorted(archs):
        r = subprocess.run([BIN, "predict", "--toolkit", toolkit, "--gpu", arch], capture_output=True, text=True,
                           timeout=60)
        line = next(l for l in r.stdout.splitlines() if l.strip().startswith("nvcc-targets"))
        assert line.split()[1] == "yes", f"CUDA {toolkit} {arch}: {line}"
