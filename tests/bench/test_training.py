"""bench/training.py: Eigen and oneDNN alternate in fresh processes; steps/s, ratio, the faster, the declared check."""

import json

from bench import training
from core.testing import TestCase


def _stand_in(log, eigen_seconds, onednn_seconds, task="speech.apnet"):
    config = {"log": log, "seconds": {"0": eigen_seconds, "1": onednn_seconds}}
    return {"stand_in": {"task": task, "builder": "tests.bench.fake_training:step", "batch": 8, "quick_batch": 1,
                         "input": "a stand-in step", "config": config}}


class TrainingBenchTest(TestCase):
    def test_kernels_alternate_in_fresh_processes_and_the_slower_declared_one_is_flagged(self):
        log = f"{self.get_temp_dir()}/log.jsonl"
        # speech.apnet declares oneDNN; the stand-in runs 2x faster with Eigen.
        result = training.run(["stand_in"], rounds=2, repeats=2, warmup=1, quick=True, kind="avx2",
                              models=_stand_in(log, 0.02, 0.04))
        with open(log) as file:
            logged = [json.loads(line) for line in file]
        self.assertEqual([entry["onednn"] for entry in logged], ["0", "1", "0", "1"])  # ABAB
        self.assertEqual(len({entry["pid"] for entry in logged}), 4)  # a fresh process each
        (row,) = result["rows"]
        self.assertEqual((len(row["seconds eigen"]), len(row["seconds onednn"])), (2, 2))
        self.assertTrue(36 < row["steps/s eigen"] < 51, row)  # 20 ms steps
        self.assertTrue(18 < row["steps/s onednn"] < 26, row)  # 40 ms steps
        self.assertAlmostEqual(row["oneDNN/Eigen"], row["steps/s onednn"] / row["steps/s eigen"])
        self.assertEqual((row["faster"], row["declared"]), ("eigen", "onednn"))
        self.assertTrue(row["check"].startswith("MISMATCH: declared onednn is"), row["check"])
        self.assertIsNone(row["note"])
        printed = training.table(result["rows"])[0]
        self.assertEqual(printed["oneDNN/Eigen"], f"{row['oneDNN/Eigen']:.2f}×")

    def test_a_failed_child_is_noted_and_gives_no_ratio(self):
        def launcher(python, request, env):
            if env["TF_ENABLE_ONEDNN_OPTS"] == "1":
                return {"error": "RuntimeError: no kernel"}
            return {"seconds": 0.5}

        models = {"m": {"task": "fundus.dr", "builder": "x:y", "batch": 4, "quick_batch": 1, "input": "{batch} images"}}
        (row,) = training.run(["m"], rounds=2, repeats=1, models=models, launcher=launcher, kind="avx2")["rows"]
        self.assertEqual((row["steps/s eigen"], row["steps/s onednn"]), (2.0, None))
        self.assertEqual((row["oneDNN/Eigen"], row["faster"], row["check"]), (None, None, "not measured"))
        self.assertEqual(row["note"], "onednn: 2 of 2 failed: RuntimeError: no kernel")
        self.assertEqual(row["input"], "4 images")


def test_verdict_names_the_faster_and_ties_within_the_tolerance():
    assert training.verdict(2.0, 3.0, "onednn") == {"oneDNN/Eigen": 1.5, "faster": "onednn", "check": "ok"}
    assert training.verdict(3.0, 2.0, "onednn")["check"] == "MISMATCH: declared onednn is 33 % slower than eigen"
    assert training.verdict(1.0, 1.04, "eigen")["check"] == "tie (within 5 %)"
    assert training.verdict(1.0, 1.04, "eigen", tolerance=0.01)["check"].startswith("MISMATCH")


def test_the_declared_kernels_are_what_resuite_starts_each_task_with():
    assert training.declared_kernels("speech.apnet", "avx2")[0] == "onednn"
    assert training.declared_kernels("lamost.rrnet", "avx2") == ("onednn", "onednn")
    for spec in training.MODELS.values():  # every model's task is found (not the TaskRunner fallback)
        assert training.declared_kernels(spec["task"], "avx2")[1] != "TaskRunner default", spec["task"]
