"""`fundus.dr` through the CLI: train on SYNTHETIC photographs, evaluate, predict with the gate first."""

import contextlib
import csv
import io
import json
import pathlib
import re

import numpy as np
import pytest
from PIL import Image

from core import cli
from core.registry import RunConfig, get_task
from core.testing import TestCase

# The data options of the demo's training run under smoke mode (task.DEMO_OPTIONS).
DEMO_DATA = ["--option", "synthetic_train=16", "--option", "synthetic_validation=8", "--option", "synthetic_test=16",
             "--option", "raw_size=128", "--option", "n_bootstrap=50", "--option", "tta_samples=2"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The demo (smoke mode): the real photograph through the gate, a brief training run on SYNTHETIC drawings."""
    out = tmp_path_factory.mktemp("fundus") / "demo"
    rows = get_task("fundus.dr").demo(RunConfig(output_dir=out, verbose=0))
    # The preset on 16 held-out drawings beside chance (a constant: no ranking, every image referred).
    assert rows["result"].startswith("preset dr_synthetic_small: AUC ") and rows["result"].endswith(
        "on 16 held-out SYNTHETIC drawings")
    assert rows["baseline"] == "chance: AUC 0.500 [0.500, 0.500], specificity at 85 % sensitivity 0.00"
    assert "SYNTHETIC" in rows["note"] and (out / "preset" / "report.json").exists()
    assert rows["real photograph (skimage retina)"].startswith("gate: gradeable")
    assert rows["real photograph (skimage retina)"].endswith(f"Grad-CAM overlay {out / 'gradcam_retina.png'}")
    assert (out / "gradcam_retina.png").exists()
    assert rows["HRF microaneurysm crop (real, 102 px)"].startswith("gate: not a colour photograph")
    return out


class DiabeticRetinopathyTaskTest(TestCase):
    @pytest.fixture(autouse=True)
    def _fixtures(self, retina, trained):
        self.retina = retina
        self.trained = trained

    def test_train_and_evaluate_agree(self):
        trained = self.trained
        tmp_path = pathlib.Path(self.get_temp_dir())
        results = json.loads((trained / "report.json").read_text())["metrics"]
        self.assertEqual(results["n"], 16)
        self.assertTrue(results["auc_ci_low"] <= results["auc"] <= results["auc_ci_high"])
        for name in ("best.keras", "final.keras", "log.csv", "roc.png", "referral_curve.png", "gradcam.png"):
            self.assertTrue((trained / name).exists(), name)
        code = cli.main(["evaluate", "fundus.dr", "--model", str(trained / "best.keras"), "--output", str(tmp_path),
                         "--verbose", "0", *DEMO_DATA])
        self.assertEqual(code, 0)
        evaluated = json.loads((tmp_path / "evaluate_results.json").read_text())
        self.assertIn("SYNTHETIC", evaluated["details"]["data"])
        self.assertTrue(evaluated["title"].startswith("best.keras on 16 test"))
        # The same SYNTHETIC test split (made alone: its seed does not depend on the training counts)
        # and the same model (restored to its best epoch): the same AUC.
        self.assertEqual(evaluated["metrics"]["auc"], pytest.approx(results["auc"]))
        self.assertEqual(evaluated["baselines"]["chance"]["auc"], 0.5)

    def test_predict_gates_first(self):
        trained = self.trained
        retina = self.retina
        tmp_path = pathlib.Path(self.get_temp_dir())
        photos = tmp_path / "photos"
        photos.mkdir()
        Image.fromarray(retina[::2, ::2]).save(photos / "good.jpg")
        Image.fromarray((retina[::2, ::2] * 0.08).astype(np.uint8)).save(photos / "dark.png")
        Image.fromarray(retina[::2, ::2, ::-1].copy()).save(photos / "blue.png")  # not a fundus's colours
        Image.fromarray(np.full((1, 1, 3), 120, np.uint8)).save(photos / "dot.png")
        out = tmp_path / "pred"
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            code = cli.main(["predict", "fundus.dr", "--model", str(trained / "best.keras"), "--output", str(out),
                             "--option", "tta_samples=2", "--option", "gradcam=true", str(photos)])
        self.assertEqual(code, 0)
        rows = {row["file"].split("/")[-1]: row for row in csv.DictReader(open(out / "predictions.csv"))}
        self.assertEqual(rows["good.jpg"]["verdict"], "gradeable")
        p, spread = float(rows["good.jpg"]["p_referable"]), float(rows["good.jpg"]["uncertainty"])
        self.assertTrue(0 <= p <= 1 and spread >= 0)
        self.assertEqual(rows["good.jpg"]["gradcam"], str(out / "gradcam" / "good.png"))
        self.assertTrue((out / "gradcam" / "good.png").exists())
        self.assertEqual(sorted(path.name for path in (out / "gradcam").iterdir()), ["good.png"])
        self.assertEqual((rows["dark.png"]["verdict"], rows["dark.png"]["p_referable"]), ("ungradeable", ""))
        self.assertTrue(rows["dark.png"]["reason"].startswith("too dark"))
        self.assertEqual(rows["blue.png"]["verdict"], "not a fundus photograph")
        # A 1×1 image is not classified: its verdict gives its size and what the model (64-px input) needs.
        self.assertEqual(rows["dot.png"]["verdict"], "too small")
        self.assertEqual(rows["dot.png"]["reason"], "too small to grade: 1×1 px, a field of view 1 px across; the "
                         "model (64-px input) needs at least 32 px: use the camera's full-resolution file")
        # The terminal: one row per photograph with its verdict, P(referable) ± σ, the reason.
        lines = {line.split()[0].split("/")[-1]: line for line in printed.getvalue().splitlines()
                 if str(photos) in line}
        self.assertEqual(set(lines), {"good.jpg", "dark.png", "blue.png", "dot.png"})
        # The terminal rounds the model's P to 3 decimals, the CSV to 4: they agree within both roundings.
        shown = re.search(r"gradeable\s+(\d\.\d{3}) ± (\d\.\d{3})$", lines["good.jpg"])
        self.assertIsNotNone(shown, lines["good.jpg"])
        self.assertLessEqual(abs(float(shown[1]) - p), 0.00055)
        self.assertLessEqual(abs(float(shown[2]) - spread), 0.00055)
        self.assertRegex(lines["dark.png"], r"ungradeable\s+— \(not graded\)\s+too dark \(mean luminance")
        self.assertRegex(lines["blue.png"], r"not a fundus photograph\s+— \(not graded\)\s+not a fundus photograph:")
        self.assertRegex(lines["dot.png"], r"too small\s+— \(not graded\)\s+too small to grade: 1×1 px")
        self.assertRegex(printed.getvalue(), r"(?m)^images\s+4$")
        self.assertRegex(printed.getvalue(), r"(?m)^gradeable\s+1$")
        results = json.loads((out / "predict_results.json").read_text())
        self.assertEqual((results["images"], results["gradeable"]), (4, 1))
        self.assertEqual([row["verdict"] for row in results["photographs"]],
                         ["not a fundus photograph", "ungradeable", "too small", "gradeable"])

    def test_predict_bad_inputs(self):
        trained = self.trained
        tmp_path = pathlib.Path(self.get_temp_dir())
        task = get_task("fundus.dr")
        (tmp_path / "empty").mkdir()

        def run(*inputs):
            config = RunConfig(output_dir=tmp_path / "out", model_path=str(trained / "best.keras"))
            return task.predict(config, [str(i) for i in inputs])

        with self.assertRaisesRegex(ValueError, "empty: no images in this folder"):
            run(tmp_path / "empty")
        (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
        with self.assertRaisesRegex(ValueError, "broken.jpg: not a readable image"):
            run(tmp_path / "broken.jpg")
        Image.fromarray(np.zeros((300, 300), np.uint8)).save(tmp_path / "gray.png")
        with self.assertRaisesRegex(ValueError, "gray.png: expected a colour"):
            run(tmp_path / "gray.png")
        with self.assertRaisesRegex(ValueError, "Task fundus.dr needs a model: --model PATH"):
            task.predict(RunConfig(output_dir=tmp_path), [str(tmp_path / "gray.png")])
        with self.assertRaisesRegex(ValueError, "has no option 'size'"):
            task.resolve_options({"size": "64"})

    def test_evaluate_on_public_layouts(self):
        trained = self.trained
        tmp_path = pathlib.Path(self.get_temp_dir())
        fixtures = pathlib.Path(__file__).parent / "data" / "fixtures"
        model = str(trained / "best.keras")
        small = ["--option", "n_bootstrap=20", "--option", "tta_samples=2"]
        code = cli.main(["evaluate", "fundus.dr", "--model", model, "--data", str(fixtures / "idrid"), "--option",
                         "format=idrid", "--output", str(tmp_path / "idrid"), "--verbose", "0", *small])
        self.assertEqual(code, 0)
        idrid = json.loads((tmp_path / "idrid" / "evaluate_results.json").read_text())
        self.assertEqual(idrid["metrics"]["n"], 3)
        self.assertIn("idrid", idrid["details"]["data"])
        self.assertNotIn("SYNTHETIC", idrid["details"]["data"])
        sets = tmp_path / "sets"
        sets.mkdir()
        for name in ("eyepacs", "aptos"):
            (sets / name).symlink_to(fixtures / name)
        code = cli.main(["evaluate", "fundus.dr", "--model", model, "--data", str(sets), "--option",
                         f"split_file={fixtures / 'global_split.ini'}", "--output", str(tmp_path / "split"),
                         "--verbose", "0", *small])
        self.assertEqual(code, 0)
        report = json.loads((tmp_path / "split" / "report.json").read_text())
        self.assertEqual(report["metrics"]["n"], 5)
        self.assertEqual(set(report["details"]["per_source"]), {"Kaggle", "APTOS2019"})
        code = cli.main(["evaluate", "fundus.dr", "--model", model, "--data", str(sets),
                         "--output", str(tmp_path / "x")])
        self.assertNotEqual(code, 0)  # no format: refused with a message

    def test_evaluate_released_predictions(self):
        # The task's `released` option needs no model (no --model, no --preset).
        tmp_path = pathlib.Path(self.get_temp_dir())
        code = cli.main(["evaluate", "fundus.dr", "--option", "released=validation", "--option", "n_bootstrap=20",
                         "--output", str(tmp_path)])
        self.assertEqual(code, 0)
        results = json.loads((tmp_path / "evaluate_results.json").read_text())
        self.assertEqual(results["metrics"]["n"], 9569)
        self.assertEqual(round(results["metrics"]["auc"], 3), 0.972)
        self.assertEqual(results["baselines"]["chance"]["auc"], 0.5)
        self.assertTrue((tmp_path / "roc.png").exists())
        task = get_task("fundus.dr")
        with self.assertRaisesRegex(ValueError, "released=... scores the paper's released predictions, not a model"):
            task.evaluate(RunConfig(output_dir=tmp_path, preset="dr_synthetic_small",
                                    options={"released": "validation"}))
        from domains.fundus.evaluation import main

        self.assertEqual(main(["validation", str(tmp_path / "module")]), 0)
        self.assertTrue((tmp_path / "module" / "report.json").exists())

    def test_make_preset_records_the_training_run(self):
        # `make_preset` ships the run's best model and records its data, time and test metrics; the
        # training run itself is the demo's (its results as `train` returns them).
        trained = self.trained
        tmp_path = pathlib.Path(self.get_temp_dir())
        task = get_task("fundus.dr")
        results = {**json.loads((trained / "report.json").read_text()), "best_model": str(trained / "best.keras"),
                   "train_seconds": 1.5}
        task.train = lambda config: results  # this instance only
        model, metadata = task.make_preset(RunConfig(output_dir=tmp_path, verbose=0))
        self.assertIsInstance(model, task.model_class)
        self.assertEqual(model.image_size, 64)
        expected = {"data": results["details"]["data"],
                    "training": {"train_seconds": 1.5, "test_metrics": results["metrics"]}}
        self.assertEqual(metadata, expected)
        self.assertIn("SYNTHETIC", metadata["data"])
        # The task's declared defaults fill a run's epochs and batch size: the training recipe's.
        self.assertEqual((task.epochs, task.batch_size), (30, 16))
