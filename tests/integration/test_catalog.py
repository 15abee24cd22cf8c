# SPDX-License-Identifier: Apache-2.0
"""The catalogue declares each thing once: a case's needs derive its first rules, its gpu/no_gpu label, its CTest
labels and its CTest resource group, and a GPU that CTest hands a case becomes its CUDA_VISIBLE_DEVICES."""
import json
import os
import subprocess

CLI = os.environ.get("CUCONFORM_BIN", "build/bin/cuconform")
BUILD = os.environ.get("CUCONFORM_BUILD_DIR", "build")


def listing():
    proc = subprocess.run([CLI, "list", "--json"], capture_output=True, text=True, check=True)
    return {c["id"]: c for c in json.loads(proc.stdout)}


def test_needs_derive_labels_and_the_first_rules():
    cases = listing()
    gpu = [c for c in cases.values() if c["needs_gpu"]]
    assert gpu, "the catalogue has GPU cases"
    for c in cases.values():
        assert ("gpu" in c["labels"]) == c["needs_gpu"], c["id"]
        assert ("no_gpu" in c["labels"]) != c["needs_gpu"], c["id"]
    shape = cases["shape.conv.channel_mismatch"]
    assert shape["needs"] == ["cudnn"]
    explain = subprocess.run([CLI, "explain", "shape.conv.channel_mismatch"], capture_output=True, text=True,
                             check=True).stdout
    rules = explain.split("Rules (the first that holds decides):")[1].split("\n\n")[0]
    assert rules.strip().splitlines()[0].strip() == "when !cudnn -> error(loader, LIBRARY_NOT_FOUND)", rules


def test_ctest_has_the_labels_and_a_gpu_slot_for_gpu_cases():
    proc = subprocess.run(["ctest", "--test-dir", BUILD, "-L", "conformance", "--show-only=json-v1"],
                          capture_output=True, text=True, check=True)
    tests = {t["name"]: t for t in json.loads(proc.stdout)["tests"]}

    def prop(test, name):
        return next((p["value"] for p in test.get("properties", []) if p["name"] == name), None)

    cases = listing()
    for case_id, case in cases.items():
        test = tests[f"conformance.{case_id}"]
        labels = prop(test, "LABELS")
        assert set(case["labels"]) <= set(labels), (case_id, labels)
        groups = prop(test, "RESOURCE_GROUPS")
        if case["needs_gpu"]:
            assert groups == [{"requirements": [{".type": "gpus", "slots": 1}]}], (case_id, groups)
        else:
            assert groups is None, (case_id, groups)


def test_the_gpu_ctest_gives_a_case_is_its_visible_device(tmp_path):
    env = dict(os.environ, CTEST_RESOURCE_GROUP_0_GPUS="id:3,slots:1")
    env.pop("CUDA_VISIBLE_DEVICES", None)
    subprocess.run([CLI, "run", "--only", "env.cuda_home.unset", "--out", str(tmp_path), "--cell", "c", "--quiet"],
                   env=env, capture_output=True, text=True, timeout=120)
    with open(tmp_path / "c" / "fingerprint.json") as f:
        assert json.load(f)["env"]["CUDA_VISIBLE_DEVICES"] == "3"
