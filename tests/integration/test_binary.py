# SPDX-License-Identifier: Apache-2.0
"""`cuconform binary`: exit codes 0 / 1 / 2 and the JSON shape, on the suite's own fat binaries."""
import json
import os
import pathlib
import subprocess

BIN = os.environ["CUCONFORM_BIN"]
SUITE_FATBIN = pathlib.Path(os.environ["CUCONFORM_BUILD_DIR"]) / "kernels" / "cuconform_fatbin_suite.fatbin"


def run(*args):
    return subprocess.run([BIN, "binary", *args], capture_output=True, text=True, timeout=120)


def test_runs_everywhere_exit_0():
    result = run(str(SUITE_FATBIN), "--gpu", "sm_86", "--gpu", "sm_120", "--driver", "580.65.06")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "sm_86    native" in result.stdout
    assert "sm_120   ptx_jit" in result.stdout
    assert "Result = PASS" in result.stdout


def test_suite_json_exit_1():
    result = run("--suite", "--json", "--driver", "418.67")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["result"] == "some_gpu_has_no_code"
    by_name = {f["path"]: f for f in report["files"]}
    sm75 = by_name["embedded:cuconform_fatbin_sm75_only"]["fatbins"][0]
    assert [i["arch"] for i in sm75["images"]] == ["sm_75"]
    decisions = {a["gpu"]: a["decision"] for a in sm75["answers"]}
    assert decisions["sm_75"] == "native" and decisions["sm_80"] == "no_kernel_image"
    ptx = by_name["embedded:cuconform_fatbin_ptx75_only"]["fatbins"][0]["answers"]
    assert {a["decision"] for a in ptx} == {"ptx_too_new"}
    assert all(a["cuda_error"] == 222 for a in ptx)


def test_unreadable_input_exit_2(tmp_path):
    bad = tmp_path / "bad.fatbin"
    bad.write_bytes(SUITE_FATBIN.read_bytes()[:40])
    result = run(str(bad), str(SUITE_FATBIN))
    assert result.returncode == 2
    assert f"{bad}: at offset 0x8: expected" in result.stderr
    assert run("--gpu", "sm_90a", str(SUITE_FATBIN)).returncode == 2


def test_the_cli_carries_its_kernels_and_a_library_is_judged_by_what_a_gpu_can_run():
    """The README's example: the CLI's own embedded images are found; per GPU first, the details after; a library
    whose fat binaries are partly architecture-specific passes where every GPU has code (cuDNN's libcudnn_cnn has
    sm_75-only images beside the others)."""
    cli = run(BIN, "--gpu", "sm_86", "--gpu", "sm_70")
    assert "4 fat binaries" in cli.stdout, cli.stdout
    head = cli.stdout.split("details:")[0]
    assert "sm_86    partly  2 of 4" in head and "sm_70    none    0 of 4" in head, head
    assert cli.returncode == 1 and "Result = FAIL" in cli.stdout  # sm_70 has no code at all
    cnn = pathlib.Path("/usr/local/cuda-13.0/lib/libcudnn_cnn.so.9")
    if cnn.exists():
        lib = run(str(cnn))
        assert lib.returncode == 0 and "Result = PASS" in lib.stdout, lib.stdout[-600:]
        assert "sm_75    runs" in lib.stdout.split("details:")[0]


def test_a_missing_file_says_so():
    result = run("/nonexistent/libfoo.so")
    assert result.returncode == 2
    assert "/nonexistent/libfoo.so: no such file" in result.stderr and "corrupt" not in result.stderr
