# SPDX-License-Identifier: Apache-2.0
"""The GPU run (scripts/gpu-run) rehearsed on this machine, which has no GPU.

What travels to a GPU machine is the working tree (git's tracked and unignored files) and build/gpu/bin/cuconform,
at most 64 MiB. The rehearsal copies exactly that and runs the command in a bubblewrap sandbox that has nothing
else of this machine that the GPU machine lacks: no network, no Debian development packages (headers, yaml-cpp, fmt,
libcrypto's -dev files), no apt, no pip, no cache of wheels, not the clone or its build folder, and cuDNN only in a
Python environment's NVIDIA wheels (as torch's venv has it there). It must then run every step up to where a GPU is
needed and write its bundle: nothing fetched, nothing outside what travelled assumed.
"""
import json
import os
import pathlib
import shutil
import subprocess
import tarfile

import pytest

from sanitizer import carries_asan, time_scale

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ["CUCONFORM_BUILD_DIR"])
GPU_CLI = BUILD / "gpu" / "bin" / "cuconform"
TRAVEL_LIMIT = 64 << 20  # what the device tool carries: the working tree plus chosen build outputs
FILE_LIMIT, FILE_COUNT = 16 << 20, 8  # what comes back: at most 8 files of 16 MiB
SYSTEM_CUDA_LIB = pathlib.Path("/usr/local/cuda-13.0/lib")  # where this machine's cuDNN 9.19 and CUDA 13.0 are
# The shared libraries of the build packages that the GPU machine has no reason to have.
DEV_LIBRARIES = ("libyaml-cpp.so", "libfmt.so", "libcrypto.so", "libelf.so", "libgtest", "libbenchmark")
# Their headers (the C library's and the compiler's stay: nvcc compiles there, and so do the compile cases).
DEV_HEADERS = ("yaml-cpp", "fmt", "CLI", "nlohmann", "openssl", "gtest", "gmock", "benchmark", "elfutils", "libelf.h",
               "gelf.h")


def travelling_files():
    """What the device tool copies: tracked files and untracked ones git does not ignore, plus the carried CLI."""
    listed = subprocess.run(["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                            check=True).stdout.decode().split("\0")
    files = [ROOT / f for f in listed if f and (ROOT / f).is_file()]
    return files + [GPU_CLI]


def test_what_travels_fits_and_the_cli_needs_only_glibc():
    assert GPU_CLI.exists(), f"{GPU_CLI} is built with the cuconform target (src/CMakeLists.txt)"
    if carries_asan(GPU_CLI):
        pytest.skip(f"{GPU_CLI} is the sanitizer build ({GPU_CLI.stat().st_size >> 20} MiB, needing the ASan and UBSan "
                    "runtimes): it is not what travels. ./scripts/test checks the plain static build")
    files = travelling_files()
    total = sum(f.stat().st_size for f in files)
    print(f"what travels: {len(files)} files, {total / (1 << 20):.1f} MiB of {TRAVEL_LIMIT >> 20} MiB "
          f"(the CLI {GPU_CLI.stat().st_size / (1 << 20):.1f} MiB)")
    assert total <= TRAVEL_LIMIT, f"{total / (1 << 20):.1f} MiB travel; the device tool carries 64 MiB"
    dynamic = subprocess.run(["readelf", "-d", str(GPU_CLI)], capture_output=True, text=True, check=True).stdout
    needed = sorted(line.split("[")[1].rstrip("]") for line in dynamic.splitlines() if "(NEEDED)" in line)
    assert set(needed) <= {"libc.so.6", "libm.so.6", "ld-linux-x86-64.so.2"}, (
        f"the carried CLI needs {needed}: link the rest statically (CUCONFORM_STATIC_DEPS)")
    assert "RUNPATH" not in dynamic and "RPATH" not in dynamic, "a search path in the CLI would change what it loads"


def sandbox_available():
    probe = subprocess.run(["bwrap", "--ro-bind", "/", "/", "--unshare-net", "true"], capture_output=True, text=True)
    return probe.returncode == 0, probe.stderr.strip()


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory):
    usable, why = sandbox_available()
    if not usable:
        pytest.skip(f"bubblewrap cannot start a sandbox here ({why}); the rehearsal needs one")
    if not (SYSTEM_CUDA_LIB / "libcudnn.so.9").exists():
        pytest.skip(f"no cuDNN 9 in {SYSTEM_CUDA_LIB} to stand for the wheels' copy")
    base = tmp_path_factory.mktemp("gpu-run")
    travel, out, cache = base / "travel", base / "out", base / "cache"
    for f in travelling_files():
        # The CLI travels as the device tool's `carry` puts it: build/gpu/bin/cuconform of the tree.
        target = travel / "build/gpu/bin/cuconform" if f == GPU_CLI else travel / f.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, target)
    out.mkdir()
    cache.mkdir()
    # A Python environment whose NVIDIA wheels hold the CUDA 13 runtime, cuBLAS and cuDNN (placeholders here,
    # bound over with this machine's real libraries inside the sandbox).
    venv = base / "venv"
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--without-pip", str(venv)], check=True)
    site = pathlib.Path(subprocess.run([str(venv / "bin" / "python3"), "-c",
                                        "import sysconfig; print(sysconfig.get_paths()['platlib'])"],
                                       capture_output=True, text=True, check=True).stdout.strip())
    site_inside = "/tmp/venv" / site.relative_to(venv)
    wheels = {"cudnn": sorted(p.name for p in SYSTEM_CUDA_LIB.glob("libcudnn*.so.9")),
              "cu13": ["libcudart.so.13", "libcublas.so.13", "libcublasLt.so.13"]}
    binds = []
    for package, names in wheels.items():
        (site / "nvidia" / package / "lib").mkdir(parents=True)
        for name in names:
            (site / "nvidia" / package / "lib" / name).touch()
            binds += ["--ro-bind", str((SYSTEM_CUDA_LIB / name).resolve()), f"{site_inside}/nvidia/{package}/lib/{name}"]
    hidden = []
    for lib_dir in ("/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu"):
        for entry in pathlib.Path(lib_dir).iterdir():
            if entry.name.startswith(DEV_LIBRARIES) and not entry.is_symlink():
                hidden += ["--ro-bind", "/dev/null", str(entry)]
    for name in DEV_HEADERS:
        header = pathlib.Path("/usr/include") / name
        if header.is_dir():
            hidden += ["--tmpfs", str(header)]
        elif header.exists():
            hidden += ["--ro-bind", "/dev/null", str(header)]
    # No package manager (the GPU machine has its compilers, CMake and ninja: they stay).
    for tool in ("apt", "apt-get", "dpkg", "pip", "pip3"):
        path = shutil.which(tool, path="/usr/bin:/bin")
        if path:
            hidden += ["--ro-bind", "/dev/null", os.path.realpath(path)]
    # The system's CUDA folder without its cuDNN: every other entry put back.
    system = ["--tmpfs", str(SYSTEM_CUDA_LIB)]
    for entry in sorted(SYSTEM_CUDA_LIB.iterdir()):
        if entry.name.startswith("libcudnn"):
            continue
        if entry.is_symlink():
            system += ["--symlink", os.readlink(entry), str(entry)]
        else:
            system += ["--ro-bind", str(entry), str(entry)]
    # The sanitizer run (scripts/sanitize) names its LeakSanitizer suppressions by a path in the clone, which the
    # sandbox hides: without it every process with a leak to check dies reading it (signal 6).
    suppressions = [option.removeprefix("suppressions=") for option in os.environ.get("LSAN_OPTIONS", "").split(":")
                    if option.startswith("suppressions=")]
    sanitizer = [arg for path in suppressions if os.path.isfile(path) for arg in ("--ro-bind", path, path)]
    # bwrap takes each source from this machine's tree, whatever the sandbox has mounted before it.
    argv = ["bwrap", "--die-with-parent", "--unshare-net", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
            "--tmpfs", "/tmp", "--tmpfs", "/root", "--tmpfs", str(ROOT),
            "--ro-bind", str(travel), "/tmp/travel", "--bind", str(out), "/tmp/out", "--bind", str(venv), "/tmp/venv",
            "--bind", str(cache), "/tmp/cache", *binds, *hidden, *system, *sanitizer,
            "--setenv", "HOME", "/tmp", "--setenv", "TMPDIR", "/tmp", "--setenv", "PATH", "/usr/bin:/bin",
            "--setenv", "CUCONFORM_CACHE", "/tmp/cache",
            "--unsetenv", "LD_LIBRARY_PATH", "--unsetenv", "CUCONFORM_SOURCE_DIR", "--unsetenv", "VIRTUAL_ENV",
            "--chdir", "/tmp/travel"]

    def inside(*cmd, **kw):
        return subprocess.run(argv + list(cmd), capture_output=True, text=True, **kw)

    started = inside("true")
    assert started.returncode == 0, f"the sandbox does not start: {started.stderr}"
    result = inside("/bin/bash", "scripts/gpu-run", "/tmp/out", "--python", "/tmp/venv/bin/python3", "--allow-no-gpu",
                    "--jobs", "2", timeout=600)
    return {"result": result, "out": out, "cache": cache, "inside": inside, "site_inside": str(site_inside)}


def test_the_sandbox_hides_what_the_gpu_machine_lacks(rehearsal):
    inside = rehearsal["inside"]
    assert inside("test", "-e", "/usr/include/yaml-cpp/yaml.h").returncode != 0
    assert inside("test", "-d", str(BUILD)).returncode != 0, "the build folder must not be reachable"
    assert inside("/usr/bin/python3", "-c", "import socket; socket.create_connection(('pypi.org', 443), 3)"
                  ).returncode != 0, "the network must be unreachable"
    ldd = inside("ldd", "/tmp/travel/build/gpu/bin/cuconform")
    assert ldd.returncode == 0 and "not found" not in ldd.stdout, ldd.stdout + ldd.stderr
    assert inside("/bin/sh", "-c", "ldconfig -p | grep -q libcudnn.so.9 && test -e \"$(ldconfig -p | "
                  "awk '/libcudnn.so.9 /{print $NF; exit}')\"").returncode != 0, "the system cuDNN must be hidden"


def test_the_run_writes_its_bundle_without_a_gpu_or_a_download(rehearsal):
    result, out = rehearsal["result"], rehearsal["out"]
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-6000:]
    files = sorted(p.name for p in out.iterdir())
    assert files == ["evidence.tar.gz", "gpu-run.log", "junit.xml", "report.html", "summary.md"], files
    assert len(files) <= FILE_COUNT and all((out / f).stat().st_size <= FILE_LIMIT for f in files)
    assert "no usable GPU here" in log and "Going on (--allow-no-gpu)" in log
    assert not any(rehearsal["cache"].iterdir()), "nothing may be fetched into the wheel cache"
    summary = (out / "summary.md").read_text()
    assert "no GPU was usable, so no GPU case ran" in summary
    assert "| gpu-system |" in summary and "| gpu-python |" in summary
    assert "## Where the time went" in summary


def test_each_cell_ran_the_whole_catalogue_on_the_copies_it_was_given(rehearsal):
    with tarfile.open(rehearsal["out"] / "evidence.tar.gz") as tar:
        names = tar.getnames()
        read = lambda name: tar.extractfile(name).read().decode()  # noqa: E731
        catalogue = json.loads(read("evidence/catalogue.json"))
        runs = sum(len(c["variants"]) for c in catalogue)
        for cell in ("gpu-system", "gpu-python"):
            results = [json.loads(line) for line in read(f"evidence/results/{cell}/results.jsonl").splitlines()]
            assert len({(r["case"], r["variant"]) for r in results}) == runs, cell
            assert not [r for r in results if r["verdict"] not in ("PASS", "UNSUPPORTED", "WAIVED")], (
                cell, [(r["case"], r["observed"]) for r in results if r["verdict"] == "FAIL"])
            gpu_cases = [r for r in results if next(c for c in catalogue if c["id"] == r["case"])["needs_gpu"]]
            assert gpu_cases and all(r["verdict"] == "UNSUPPORTED" for r in gpu_cases)
        system = json.loads(read("evidence/results/gpu-system/fingerprint.json"))
        python = json.loads(read("evidence/results/gpu-python/fingerprint.json"))
        assert "evidence/doctor.json" in names and "evidence/timings.tsv" in names
        # The environment as its framework loads it (probe/doctor --python), confirmed by a fresh process.
        consumer = json.loads(read("evidence/fingerprint-python.json"))["consumer"]
        doctor_python = json.loads(read("evidence/doctor-python.json"))
    assert "confirm_error" not in consumer, consumer["confirm_error"]
    # The stand-in environment holds no framework: nothing in it asks for cuDNN, and the sandbox hides the system's.
    assert (consumer["kind"], consumer["given_by"], consumer["path"]) == ("python", "--python", "/tmp/venv/bin/python3")
    assert consumer["frameworks"] == [] and not consumer["cudnn"]["library"]["found"], consumer["cudnn"]
    assert not [f for f in doctor_python["findings"] if f["id"].startswith("consumer.confirm")], doctor_python
    assert not system["cudnn"]["library"]["found"], "the system's cuDNN was hidden: the system cell has none"
    assert system["runtime"]["library"]["found"]
    cudnn = python["cudnn"]["library"]
    assert cudnn["found"] and cudnn["real_path"].startswith(rehearsal["site_inside"] + "/nvidia/cudnn/lib/"), cudnn
    assert python["cudnn"]["loaded"].startswith("9.")


def test_the_gpu_machines_expectations_are_written_down_and_current(tmp_path):
    """reports/evidence/gpu-expected/ says what each case must do on the H200 before any run; a change to a case's
    rules or to the knowledge base that moves an expectation shows here, to be committed on purpose."""
    committed = ROOT / "reports" / "evidence" / "gpu-expected"
    made = subprocess.run(["/usr/bin/python3", str(ROOT / "scripts" / "lib" / "gpu_expectations.py"),
                           "--cli", os.environ["CUCONFORM_BIN"], "--out", str(tmp_path)],
                          capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    for name in ("h200.json", "h200.md"):
        assert (tmp_path / name).read_text() == (committed / name).read_text(), (
            f"{name} moved: run `python3 scripts/lib/gpu_expectations.py --cli build/bin/cuconform "
            f"--out reports/evidence/gpu-expected` and commit the change with its reason")
    doc = json.loads((committed / "h200.json").read_text())
    gpu = [c for c in doc["cases"] if c["needs_gpu"]]
    assert len(gpu) >= 15
    for case in gpu:  # exact: an outcome for each, never "unsupported" or left to the run to discover
        for cudnn, expectation in case["by_cudnn"].items():
            assert expectation["expected"].startswith(("ok", "error(")), (case["id"], cudnn, expectation)


def test_a_cell_that_outlives_its_share_of_the_budget_is_stopped_and_keeps_what_it_recorded(tmp_path):
    """The fixtures' CLI has cases that hang until their (here long) timeout: the run must still end within its
    budget, say which cell it stopped, keep that cell's records and mark it incomplete, and exit 2."""
    fixtures = os.environ.get("CUCONFORM_FIXTURES_BIN", str(BUILD / "bin" / "cuconform_fixtures"))
    out = tmp_path / "out"
    scale = time_scale(fixtures)  # the sanitizer build's processes are slower (sanitizer.py)
    done = subprocess.run(["bash", str(ROOT / "scripts" / "gpu-run"), str(out), "--allow-no-gpu", "--budget",
                           str(32 * scale), "--timeout", str(100 * scale), "--cli", fixtures, "--python",
                           "/usr/bin/python3"], capture_output=True, text=True, timeout=120 * scale)
    log = done.stdout + done.stderr
    assert done.returncode == 2, log[-3000:]
    assert "cell gpu-system was stopped after" in log and "budget; what it recorded is kept" in log
    summary = (out / "summary.md").read_text()
    assert "(incomplete)" in summary and "| gpu-system |" in summary
    with tarfile.open(out / "evidence.tar.gz") as tar:
        recorded = tar.extractfile("evidence/results/gpu-system/results.jsonl").read().decode().splitlines()
    assert len(recorded) > 10 and all(json.loads(line)["verdict"] for line in recorded)
