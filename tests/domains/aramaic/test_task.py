"""`aramaic.letters`: the CLI task trains, evaluates (synthetic or real crops) and predicts; bad input is refused.

The demo's run is `tests/domains/test_template.py`'s; its row is `demo_row`'s, tested here.
"""

import csv
import json
import pathlib

import keras
import numpy as np
import pytest
from PIL import Image

from core import cli
from core.registry import RunConfig, get_task
from core.testing import TestCase
from domains.aramaic.synth import AramaicSynth
from domains.aramaic.task import DEMO_OPTIONS as TINY  # under RESUITE_SMOKE=1: 32 px, ResNet-10 width 4, 2 steps
from domains.aramaic.task import PRESET_TRAINING, AramaicLettersTask, demo_row
from domains.aramaic.training import DEFAULT_BATCH_SIZE, DEFAULT_EPOCHS


class DeclarationTest(TestCase):
    def test_the_task_declares_its_model_defaults_and_inputs(self):
        task = get_task("aramaic.letters")
        self.assertIsInstance(task, AramaicLettersTask)
        self.assertEqual((task.epochs, task.batch_size), (DEFAULT_EPOCHS, DEFAULT_BATCH_SIZE))
        self.assertEqual(set(task.inputs), {"data", "model", "preset"})
        options = task.resolve_options()
        self.assertIsNone(options["time_minutes"])  # no limit
        self.assertNotIn("preset", options)
        self.assertEqual(task.resolve_options({"time_minutes": "1.5"})["time_minutes"], 1.5)

    def test_missing_model_and_options(self):
        task, folder = get_task("aramaic.letters"), pathlib.Path(self.get_temp_dir())
        with self.assertRaisesRegex(FileNotFoundError, "nope.keras: no such model file"):
            task.predict(RunConfig(output_dir=folder, model_path=str(folder / "nope.keras")), ["x.png"])
        with self.assertRaisesRegex(ValueError, "has no option 'colour'"):
            task.resolve_options({"colour": "red"})
        with self.assertRaisesRegex(ValueError, "needs a model: --model PATH .* or --preset NAME"):
            task.evaluate(RunConfig(output_dir=folder))
        with self.assertRaisesRegex(ValueError, "does not use --dataset"):
            task.evaluate(RunConfig(output_dir=folder, dataset="kai214", preset="aramaic_letters_small"))

    def test_the_demo_row_reads_the_preset_report(self):
        scored = {"metrics": {"accuracy": 0.75, "top3_accuracy": 0.92, "answered_fraction": 0.43,
                              "answered_accuracy": 0.98},
                  "baselines": {"chance": {"accuracy": 1 / 23}, "majority class": {"accuracy": 1 / 23}},
                  "details": {"n_test": 23}}
        row = demo_row(scored, 1, 3.0)
        self.assertTrue(row["result"].startswith("preset aramaic_letters_small: accuracy 75.0%, top-3 92.0% on 23"))
        self.assertIn("chance 4.3%", row["baseline"])
        self.assertIn("majority class 4.3%", row["baseline"])
        self.assertIn("1 epoch(s)", row["note"])


@pytest.mark.usefixtures("tiny_run", "crops")
class TrainEvaluatePredictTest(TestCase):
    def test_train_reports_test_scores_and_calibrates(self):
        folder, results = self.run_dir, self.run_results
        report = json.loads((folder / "test" / "report.json").read_text())
        details = report["details"]
        self.assertEqual(details["n_test"], TINY["test_examples"])
        self.assertEqual(len(details["accuracy_by_severity"]), 5)
        self.assertEqual(sum(r["n"] for r in details["accuracy_by_elevation"]), 23)
        self.assertGreaterEqual(min(r["range"][0] for r in details["accuracy_by_severity"] if r["n"]), 0.2)  # harder
        self.assertLessEqual({"best.keras", "final.keras", "calibrated.keras", "log.csv"}, {p.name for p in folder.iterdir()})
        self.assertEqual(len((folder / "log.csv").read_text().splitlines()), 2)  # one epoch
        calibrated = keras.saving.load_model(folder / "calibrated.keras")  # the temperature and threshold are kept
        self.assertEqual(calibrated.temperature, details["temperature"])
        self.assertNotEqual(calibrated.temperature, 1.0)
        self.assertEqual(calibrated.illegible_threshold, details["illegible_threshold"])
        self.assertEqual(calibrated.image_size, TINY["image_size"])
        for name in ("confusion_matrix.png", "accuracy_coverage.png", "conditions.png", "mistakes.png"):
            self.assertGreater((folder / "test" / name).stat().st_size, 1000)
        self.assertEqual(results["test_accuracy"], report["metrics"]["accuracy"])
        self.assertLessEqual(set(PRESET_TRAINING), set(results))  # what a preset records of its run
        self.assertEqual(report["baselines"]["chance"]["accuracy"], 1 / 23)

    def test_evaluate_on_real_crops_folder(self):
        config = RunConfig(output_dir=pathlib.Path(self.get_temp_dir()), model_path=str(self.run_dir / "calibrated.keras"),
                           data=str(self.crops))
        results = get_task("aramaic.letters").evaluate(config)
        self.assertEqual(results["details"]["n_test"], 30)
        self.assertNotIn("accuracy_by_severity", results["details"])  # real crops: no conditions
        self.assertEqual(set(results["baselines"]), {"chance", "majority class"})

    def test_evaluate_with_ablation_writes_the_stage_table(self):
        task, folder = get_task("aramaic.letters"), pathlib.Path(self.get_temp_dir())
        options = {"ablation": True, "ablation_examples": 23, "test_examples": 46}
        config = RunConfig(output_dir=folder, model_path=str(self.run_dir / "calibrated.keras"), options=options)
        results = task.evaluate(config)
        table = json.loads((folder / "ablation.json").read_text())
        self.assertEqual((results["details"]["n_test"], table["quartile_examples"], len(table["variants"])), (46, 46, 13))
        self.assertEqual(results["ablation: all (the test split)"], table["variants"][-1]["accuracy"])
        self.assertTrue((folder / "ablation.png").is_file() and (folder / "report.json").is_file())
        with self.assertRaisesRegex(ValueError, "does not apply to real crops"):
            task.evaluate(RunConfig(output_dir=folder, model_path=config.model_path, data=str(self.crops),
                                    options=options))

    def test_evaluate_scores_held_out_hands_beside_the_in_style_test(self):
        from domains.aramaic.hands import missing_hands

        held = ["phoenician:NotoSansPhoenician", "samaritan:NotoSansSamaritan"]
        if missing_hands(held):
            pytest.skip(f"fonts not installed: {missing_hands(held)}")
        task, folder = get_task("aramaic.letters"), pathlib.Path(self.get_temp_dir())
        config = RunConfig(output_dir=folder, model_path=str(self.run_dir / "calibrated.keras"),
                           options={"test_examples": 23, "held_out_hands": held})
        results = task.evaluate(config)
        self.assertEqual(results["details"]["n_test"], 23)  # the in-style test split, as without hands
        for name in held:
            report = json.loads((folder / "held_out" / name.replace(":", "_") / "report.json").read_text())
            self.assertEqual(results[f"held_out {name} accuracy"], report["metrics"]["accuracy"])
            self.assertEqual(report["details"]["n_test"], 23)
        with self.assertRaisesRegex(ValueError, "either held out or used for calibration"):
            task.evaluate(RunConfig(output_dir=folder, model_path=config.model_path,
                                    options={"held_out_hands": held, "calibration_hands": held[:1]}))

    @pytest.fixture(autouse=True)
    def _capsys(self, capsys):
        self.capsys = capsys

    def test_predict_prints_top3_or_illegible(self):
        folder = pathlib.Path(self.get_temp_dir())
        image = self.crops / "Bet" / "00000001.png"
        status = cli.main(["predict", "aramaic.letters", "--model", str(self.run_dir / "calibrated.keras"), "--output",
                           str(folder), str(image), str(self.crops / "Gimel")])
        self.assertEqual(status, 0)
        printed = self.capsys.readouterr().out
        line = next(line for line in printed.splitlines() if line.startswith(str(image)))
        self.assertEqual((line.count("%"), line.count("|")), (3, 2))  # three letters with their probabilities
        rows = list(csv.DictReader((folder / "predictions.csv").open()))
        self.assertEqual(len(rows), 1 + 2)
        self.assertEqual(rows[0]["file"], str(image))
        p = [float(rows[0][f"p{i}"]) for i in (1, 2, 3)]
        self.assertEqual(p, sorted(p, reverse=True))
        self.assertLessEqual(sum(p), 1.0 + 1e-6)
        threshold = json.loads((folder / "predict_results.json").read_text())["illegible_threshold"]
        self.assertEqual(rows[0]["answer"] == "illegible", float(rows[0]["confidence"]) < threshold - 1e-4)


@pytest.mark.usefixtures("tiny_run")
class BadCropsTest(TestCase):
    @pytest.fixture(autouse=True)
    def _capsys(self, capsys):
        self.capsys = capsys

    def check_refused(self, make, message):
        folder = pathlib.Path(self.get_temp_dir())
        root = folder / "crops"
        (root / "Alef").mkdir(parents=True)
        Image.fromarray(np.zeros((20, 20, 3), "uint8")).save(root / "Alef" / "ok.png")
        make(root)
        status = cli.main(["evaluate", "aramaic.letters", "--model", str(self.run_dir / "calibrated.keras"), "--data",
                           str(root), "--output", str(folder / "out")])
        self.assertEqual(status, 1)
        self.assertRegex(self.capsys.readouterr().err, message)

    def test_a_sub_folder_that_is_no_letter(self):
        self.check_refused(lambda root: (root / "Beth").mkdir(), r"sub-folders \['Beth'\] are not letter names")

    def test_an_empty_image(self):
        self.check_refused(lambda root: (root / "Alef" / "empty.png").write_bytes(b""), r"empty.png: the image file is empty")

    def test_an_unreadable_image(self):
        self.check_refused(lambda root: (root / "Alef" / "bad.png").write_bytes(b"not an image"),
                           r"bad.png: not a readable image")

    def test_an_image_too_small_for_the_model(self):
        # The tiny run's model takes 32 px: the shorter side must be at least 8 px (a quarter).
        self.check_refused(lambda root: Image.fromarray(np.zeros((1, 1, 3), "uint8")).save(root / "Alef" / "dot.png"),
                           r"dot\.png: image too small for this model: 1×1 px; the shorter side must be at least 8 px "
                           r"\(a quarter of the model's 32-px input\)\. Received: size=\(1, 1\)")

    def test_predict_refuses_a_1x1_image_before_predicting_any(self):
        folder = pathlib.Path(self.get_temp_dir())
        Image.fromarray(np.zeros((20, 20, 3), "uint8")).save(folder / "ok.png")
        Image.fromarray(np.zeros((7, 30, 3), "uint8")).save(folder / "thin.png")
        status = cli.main(["predict", "aramaic.letters", "--model", str(self.run_dir / "calibrated.keras"),
                           "--output", str(folder / "out"), str(folder / "ok.png"), str(folder / "thin.png")])
        self.assertEqual(status, 1)
        self.assertRegex(self.capsys.readouterr().err, r"thin\.png: image too small for this model: 30×7 px; the "
                                                       r"shorter side must be at least 8 px")
        self.assertFalse((folder / "out" / "predictions.csv").exists())


@pytest.mark.usefixtures("tiny_run", "noto_font")
class FineTuneTest(TestCase):
    def test_fine_tune_on_a_real_crops_layout(self):
        folder = pathlib.Path(self.get_temp_dir())
        root = folder / "kilamuwa"
        synth = AramaicSynth(image_size=32, fonts=self.noto_font)
        for split, seed in (("train", 1), ("valid", 2)):  # no test/: nothing is scored (report() is tested above)
            synth.export_folder(root / split, 23, seed=seed)
        config = RunConfig(output_dir=folder / "run", epochs=1, batch_size=8, data=str(root),
                           model_path=str(self.run_dir / "calibrated.keras"), options=dict(TINY))
        results = get_task("aramaic.letters").train(config)
        self.assertEqual((results["train_crops"], results["val_crops"]), (23, 23))
        self.assertNotIn("test_accuracy", results)
        self.assertTrue((folder / "run" / "calibrated.keras").is_file() and (folder / "run" / "best.keras").is_file())
        (root / "valid").rename(root / "elsewhere")
        with self.assertRaisesRegex(ValueError, "needs valid/"):
            get_task("aramaic.letters").train(config)
