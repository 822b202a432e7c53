"""`lamost.rrnet`: the demo's numbers (the preset beside the constant, the real star, then a brief run), and
from the CLI an ensemble with StarNet, evaluate, predict, the preset, and errors."""

import contextlib
import io
import json
import pathlib

import numpy as np
import pytest

from core import cli
from core.registry import RunConfig, get_task
from core.testing import TestCase
from domains.lamost.data import SPECTRA_DIR
from domains.lamost.evaluation import CONSTANT
from domains.lamost.model import RRNet
from domains.lamost.presets import DEFAULT_PRESET
from tests.domains.lamost.conftest import REPEATED_STAR

TINY = ["--option", "n_train=32", "--option", "n_val=16", "--option", "n_test=16", "--option", "mode=raw",
        "--option", "hidden_units=[8]"]
REAL_FILE = SPECTRA_DIR / "med-58625-TD192102N424113K01_sp12-076.fits.gz"


def _run(argv):
    """`cli.main(argv)` with its stdout and stderr captured: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    return code, out.getvalue(), err.getvalue()


class RRNetTaskTest(TestCase):
    def test_the_task_declares_itself(self):
        task = get_task("lamost.rrnet")
        self.assertEqual((task.model_class, task.epochs, task.batch_size, task.inputs),
                         (RRNet, 30, 256, ("model", "preset")))
        self.assertNotIn("preset", [option.name for option in task.options])

    def test_noise_input_lines_and_ood_options_reach_the_model_data_and_flag(self):
        from domains.lamost.ood import OODScore
        from domains.lamost.task import _ood, synthetic_data

        task = get_task("lamost.rrnet")
        options = task.resolve_options({"noise_input": True, "lines": "ges", "n_train": 3, "n_val": 2, "n_test": 2,
                                        "mode": "raw", "hidden_units": [8]})
        train, val, test = synthetic_data(options, seed=0)
        self.assertEqual((train[0].shape, test[0].shape), ((3, 7200, 3), (2, 7200, 3)))
        self.assertTrue(np.all(train[0][..., 2][train[0][..., 1] > 0] > 0))   # σ on every good pixel
        self.assertTrue(task._build(RRNet, options).noise_input)
        illustrative = synthetic_data(dict(options, noise_input=False, lines="illustrative"), seed=0, splits=("test",))[0]
        self.assertEqual(illustrative[0].shape, (2, 7200, 2))
        self.assertFalse(np.allclose(illustrative[0][..., 0], test[0][..., 0], atol=0.02))   # another line model
        self.assertIsNone(_ood("none", DEFAULT_PRESET))
        self.assertIsNone(_ood("auto", None))                 # no shipped score for a --model
        self.assertIsInstance(_ood("auto", DEFAULT_PRESET), OODScore)
        self.assertIsInstance(_ood("auto", "rrnet_ges"), OODScore)

    def test_a_preset_is_scored_on_the_line_model_it_was_trained_on_unless_told(self):
        from domains.lamost.task import line_model, synthetic_data

        task = get_task("lamost.rrnet")
        options = task.resolve_options({"n_test": 2})
        self.assertIsNone(options["lines"])
        self.assertEqual(line_model(options, "rrnet_ges"), "ges")
        self.assertEqual(line_model(options, "rrnet_synthetic"), "illustrative")
        self.assertEqual(line_model(options, None), "illustrative")
        self.assertEqual(line_model(dict(options, lines="illustrative"), "rrnet_ges"), "illustrative")
        ges = synthetic_data(options, seed=0, splits=("test",), preset="rrnet_ges")[0]
        told = synthetic_data(dict(options, lines="ges"), seed=0, splits=("test",))[0]
        plain = synthetic_data(options, seed=0, splits=("test",))[0]
        self.assertAllClose(ges[0], told[0])
        self.assertFalse(np.allclose(ges[0][..., 0], plain[0][..., 0], atol=0.02))

    @pytest.mark.large
    def test_demo_scores_the_preset_on_held_out_and_real_spectra_then_trains(self):
        # The template test runs every demo in smoke mode; this checks what this demo's row says.
        output = pathlib.Path(self.get_temp_dir())
        rows = get_task("lamost.rrnet").demo(RunConfig(output_dir=output, verbose=0))   # smoke mode (conftest)
        self.assertTrue(rows["result"].startswith(f"preset {DEFAULT_PRESET} on 32 held-out SYNTHETIC spectra"))
        self.assertTrue(rows["baseline"].startswith(f"{CONSTANT}: Teff "))
        self.assertIn(" ± ", rows[f"real DR7: {REPEATED_STAR}, 4 epochs"])
        self.assertIn("then a brief training run", rows["note"])
        scored = json.loads((output / "preset" / "report.json").read_text())
        self.assertEqual(scored["details"]["real_files"]["repeated_epochs"][0]["epochs"], 4)
        # the trained preset, not a stand-in
        self.assertLess(scored["metrics"]["Teff"]["mae"], 0.5 * scored["baselines"][CONSTANT]["Teff"]["mae"])
        self.assertTrue((output / "best.keras").exists())

    def test_cli_train_ensemble_with_starnet_evaluate_predict(self):
        tmp = pathlib.Path(self.get_temp_dir())
        out = tmp / "run"
        code, _, err = _run(["train", "lamost.rrnet", "--epochs", "1", "--batch-size", "16", "--output", str(out),
                             "--verbose", "0", *TINY, "--option", "ensemble=2", "--option", "baseline=true"])
        self.assertEqual(code, 0, err)
        results = json.loads((out / "train_results.json").read_text())
        self.assertEqual(results["best_model"], str(out / "ensemble"))
        self.assertEqual(results["details"]["n_test"], 16)
        self.assertEqual(results["details"]["model"], "RRNet ensemble of 2")
        self.assertTrue((out / "ensemble" / "member_1.keras").exists() and (out / "predictions.png").exists())
        # One report per model: the ensemble's (with the real files) and, beside it, member 0's and StarNet's.
        self.assertEqual(set(results["other_models"]), {"RRNet (member 0)", "StarNet"})
        for name, other in results["other_models"].items():
            saved = json.loads(pathlib.Path(other["report_json"]).read_text())
            self.assertEqual(saved["details"]["model"], name)
            self.assertEqual(set(saved["baselines"]), {CONSTANT})
            self.assertEqual(saved["baselines"], results["baselines"])   # the same constant, the same test set
            self.assertGreater(other["metrics"]["Teff"]["mae"], 0)
        self.assertEqual(results["details"]["real_files"]["repeated_epochs"][0]["epochs"], 4)

        no_files = tmp / "no_real_files"   # the real files were checked above: not read again
        no_files.mkdir()
        code, _, err = _run(["evaluate", "lamost.rrnet", "--model", str(out / "ensemble"), "--output", str(tmp / "ev"),
                             "--verbose", "0", "--option", "n_test=16", "--option", f"real_files={no_files}"])
        self.assertEqual(code, 0, err)
        evaluated = json.loads((tmp / "ev" / "evaluate_results.json").read_text())
        self.assertGreater(evaluated["metrics"]["Teff"]["mae"], 0)
        self.assertEqual(evaluated["details"]["n_test"], 16)
        self.assertEqual(evaluated["details"]["real_files"], {})
        # evaluate's constant is the training labels' mean the members keep: the train run's baseline
        self.assertEqual(evaluated["baselines"], results["baselines"])

        member = out / "ensemble" / "member_0.keras"
        code, printed, err = _run(["predict", "lamost.rrnet", "--model", str(member), "--output", str(tmp / "pr"),
                                   str(REAL_FILE), "--option", "rv=-20"])
        self.assertEqual(code, 0, err)
        self.assertIn(f"{REAL_FILE.name} [COADD]", printed)
        self.assertIn(" ± ", printed)
        lines = (tmp / "pr" / "predictions.csv").read_text().splitlines()
        self.assertEqual(len(lines), 2)
        self.assertIn("Teff_sigma", lines[0])
        row = dict(zip(lines[0].split(","), lines[1].split(",")))
        self.assertGreater(float(row["Teff_sigma"]), 0)
        self.assertTrue(np.isfinite(float(row["[Fe/H]"])))

    def test_cli_predict_with_the_preset(self):
        tmp = pathlib.Path(self.get_temp_dir())
        code, printed, err = _run(["predict", "lamost.rrnet", "--preset", DEFAULT_PRESET, "--output", str(tmp),
                                   str(REAL_FILE)])
        self.assertEqual(code, 0, err)
        self.assertIn(f"{REAL_FILE.name} [COADD]", printed)
        self.assertIn("Teff ", printed)
        self.assertIn(" K", printed)
        row = (tmp / "predictions.csv").read_text().splitlines()
        values = dict(zip(row[0].split(","), row[1].split(",")))
        self.assertTrue(3000 < float(values["Teff"]) < 9000)
        self.assertGreater(float(values["logg_sigma"]), 0)
        # The RV is measured (both arms, with its error) and written; the co-add (S/N 26.5) is not flagged.
        self.assertEqual(values["rv_source"], "measured")
        self.assertLess(abs(float(values["rv_blue"]) - float(values["rv_red"])), 10.0)
        self.assertTrue(0 < float(values["rv_error"]) < 5.0)
        self.assertIn("km/s (measured)", printed)
        self.assertEqual(values["flag"], "")
        # A calibration file scales σ; --option rv= overrides the measurement.
        calibration = tmp / "snr_calibration.json"
        calibration.write_text(json.dumps({"edges": [5, 10, 20, 50, 150], "label_names": ["Teff", "logg", "[Fe/H]"],
                                           "scales": [[2.0, 2.0, 2.0]] * 4, "counts": [100] * 4}))
        code, printed, err = _run(["predict", "lamost.rrnet", "--preset", DEFAULT_PRESET, "--output", str(tmp / "c"),
                                   str(REAL_FILE), "--option", f"snr_calibration={calibration}",
                                   "--option", f"rv={values['rv']}"])
        self.assertEqual(code, 0, err)
        lines = (tmp / "c" / "predictions.csv").read_text().splitlines()
        again = dict(zip(lines[0].split(","), lines[1].split(",")))
        self.assertEqual(again["rv_source"], "given")
        self.assertAlmostEqual(float(again["logg_sigma"]), 2.0 * float(values["logg_sigma"]), places=4)

    def test_cli_errors_name_the_file(self):
        from astropy.io import fits

        tmp = pathlib.Path(self.get_temp_dir())
        low = tmp / "spec-55859-F5902_sp01-001.fits"
        fits.PrimaryHDU(np.zeros((5, 3909), "float32")).writeto(low)
        model = tmp / "m.keras"
        RRNet(mode="raw", hidden_units=(8,)).save(model)
        code, _, err = _run(["predict", "lamost.rrnet", "--model", str(model), "--output", str(tmp), str(low)])
        self.assertEqual(code, 1)
        self.assertIn("low-resolution", err)
        task = get_task("lamost.rrnet")
        with self.assertRaisesRegex(FileNotFoundError, "no such model"):
            task.load_model(RunConfig(output_dir=tmp, model_path=str(tmp / "none.keras")))
        self.assertEqual(_run(["train", "lamost.rrnet", "--option", "mode=lstm", "--output", str(tmp)])[0], 1)
        code, _, err = _run(["predict", "lamost.rrnet", "--preset", "nope", "--output", str(tmp), str(REAL_FILE)])
        self.assertEqual(code, 1)
        self.assertIn(f"No preset 'nope' for RRNet in domains.lamost. Its presets: {', '.join(sorted(RRNet.presets()))}.",
                      err)
        code, _, err = _run(["evaluate", "lamost.rrnet", "--data", str(tmp), "--preset", DEFAULT_PRESET,
                             "--output", str(tmp)])
        self.assertEqual(code, 1)
        self.assertIn("does not use --data", err)
