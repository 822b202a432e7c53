"""bench/official.py: official and ours alternate in fresh processes; a ratio only from figures of this run."""

import json
import sys

from bench import official
from core.testing import TestCase

FAKE = {"ours": "tests.bench.fake_official:ours", "official": "tests.bench.fake_official:official"}


class SameRunTest(TestCase):
    def _config(self, **extra):
        self.log = f"{self.get_temp_dir()}/log.jsonl"
        return {"batch": 4, "log": self.log, "ours_seconds": 0.025, "official_seconds": 0.05, **extra}

    def _logged(self):
        with open(self.log) as file:
            return [json.loads(line) for line in file]

    def test_sides_alternate_in_fresh_processes_and_the_ratio_is_this_runs(self):
        clone = self.get_temp_dir()
        rows = official.same_run("rrnet", clone, sys.executable, rounds=3, repeats=2, kernels=("default", "oneDNN on"),
                                 config=self._config(), builders=FAKE)
        name = f"official {clone.rstrip('/').rsplit('/', 1)[-1]} threads=2"
        order = [(entry["side"], entry["onednn"]) for entry in self._logged()]
        forward = [(name, None), ("ours", None), ("ours", "1")]
        self.assertEqual(order, forward + forward[::-1] + forward)  # ABBA: each side once per round
        self.assertEqual(len({entry["pid"] for entry in self._logged()}), 9)  # a fresh process each
        self.assertEqual([row["side"] for row in rows], ["official", "ours, TF default", "ours, TF oneDNN on"])
        theirs = rows[0]
        self.assertEqual(len(theirs["rounds"]), 3)
        self.assertIsNone(theirs["ratio"])
        for row in rows[1:]:
            self.assertEqual(len(row["rounds"]), 3)
            self.assertAlmostEqual(row["ratio"], theirs["seconds"] / row["seconds"])
            self.assertTrue(1.6 < row["ratio"] < 2.4, row)  # 50 ms against 25 ms sleeps
            self.assertEqual(row["parameters"], 100)

    def test_no_ratio_when_the_official_side_failed_in_this_run(self):
        rows = official.same_run("rrnet", self.get_temp_dir(), sys.executable, rounds=1, repeats=1,
                                 config=self._config(official_fails=True), builders=FAKE)
        self.assertIn("1 of 1 failed: RuntimeError: the official code failed here", rows[0]["note"])
        self.assertIsNone(rows[0]["seconds"])
        self.assertIsNotNone(rows[1]["seconds"])
        self.assertIsNone(rows[1]["ratio"])
        self.assertEqual([row["official/ours"] for row in official.table(rows)], [None, None])

    def test_without_a_clone_the_stored_figure_is_labelled_and_never_divided(self):
        launched = []

        def launcher(python, request, env):
            launched.append(request["builder"])
            return {"seconds": 0.3, "best": 0.3, "parameters": 3_981_994}

        rows = official.same_run("rrnet", None, None, rounds=2, launcher=launcher)
        self.assertEqual(launched, ["bench.official:ours_rrnet"] * 2)  # the official code is not run
        self.assertEqual(rows[0]["note"], f"0.45 s {official.STORED}")
        self.assertIsNone(rows[0]["seconds"])
        self.assertIsNone(rows[1]["ratio"])
        printed = official.table(rows)
        self.assertEqual([row["official/ours"] for row in printed], [None, None])

    def test_no_ratio_when_the_parameter_counts_differ(self):
        def launcher(python, request, env):
            count = 7 if "clone" in request else 8
            return {"seconds": 0.3, "best": 0.3, "parameters": count}

        rows = official.same_run("disgan", "/clone", "/torch/python", rounds=1, launcher=launcher)
        self.assertIsNone(rows[1]["ratio"])
        self.assertIn("parameters differ (official 7)", rows[1]["note"])

    def test_clones_are_told_apart_by_their_files(self):
        root = self.get_temp_dir()
        for folder, files in {"RRNet": ["models/RRNet.py", "models/StarNet.py"], "APNet": ["models.py", "config.json"],
                              "DISGAN": ["mains/model/model_DISGAN.py"]}.items():
            for file in files:
                path = official.pathlib.Path(root, folder, file)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text("")
        paths = [f"{root}/{name}" for name in ("DISGAN", "APNet", "RRNet")]
        self.assertEqual(official.find_clone("starnet", paths), f"{root}/RRNet")
        self.assertEqual(official.find_clone("apnet", paths), f"{root}/APNet")
        self.assertEqual(official.find_clone("disgan", paths), f"{root}/DISGAN")
        self.assertIsNone(official.find_clone("fusionactnet", paths))
        self.assertEqual(official.config_of("apnet", frames=20, batch=3), {"frames": 20, "weight_norm": "folded"})


def test_rows_without_a_clone_time_nothing_and_give_the_stored_figure():
    import argparse

    parser = argparse.ArgumentParser()
    official.add_arguments(parser)
    args = parser.parse_args([])
    rows = official.rows(args, ["disgan", "apnet"])
    assert [(row["side"], row["seconds"], row["ratio"]) for row in rows] == [("official", None, None)] * 2
    assert rows[0]["note"] == f"9.2 s {official.STORED}"
    assert rows[1]["note"] == "not timed (no --official clone and --torch-python)"  # folded: no stored figure


def test_main_saves_the_rows_it_prints(tmp_path, capsys):
    # Without a clone nothing is timed: the saved rows are the stored figures, labelled, as printed.
    path = tmp_path / "results" / "official.json"
    assert official.main(["--models", "disgan", "--output", str(path)]) == 0
    saved = json.loads(path.read_text())
    assert saved["rows"][0]["note"] == f"9.2 s {official.STORED}" and saved["rows"][0]["seconds"] is None
    assert saved["environment"].startswith("TensorFlow ") and saved["rounds"] == 3 and "date" in saved
    assert f"saved: {path}" in capsys.readouterr().out
