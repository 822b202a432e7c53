"""Evaluation: S/N bins beside a constant baseline, one report per model, real files' repeated epochs, plots,
and the float16 storage check."""

import json
import pathlib

import numpy as np

from core.evaluation import REPORT_KEYS
from core.testing import TestCase
from domains.lamost.calibration import SNRCalibration
from domains.lamost.data import SPECTRA_DIR, mrs_files, read_mrs
from domains.lamost.evaluation import (
    CONSTANT, _template_labels, compare_models, float16_check, predict_files, repeated_epochs, report, training_mean,
)
from domains.lamost.model import RRNet
from domains.lamost.rv import measure_rv
from domains.lamost.synthetic import make_dataset
from tests.domains.lamost.conftest import REPEATED_STAR, write_mrs


class EvaluationTest(TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.test_set = make_dataset(24, seed=5, snr_range=(5.0, 100.0))
        # One untrained RRNet for the class (its predict function is traced once).
        cls.model = RRNet(mode="raw", hidden_units=(8,))
        cls.model.set_target_statistics(cls.test_set[1])

    def test_compare_models_per_snr_bin_with_a_constant_baseline(self):
        x, y, snr = self.test_set
        results = compare_models({"RRNet": self.model}, x, y, snr, constant=y.mean(axis=0))
        groups = results["RRNet"]["groups"]
        self.assertEqual(sum(groups[g]["Teff"]["n"] for g in groups if "–" in g), 24)
        self.assertEqual(groups["S/N ≥ 10"]["Teff"]["n"], int((snr >= 10).sum()))
        mean, sigma = self.model.predict_gaussian(x)
        self.assertEqual(results["RRNet"]["labels"]["logg"]["mae"], np.abs(mean[:, 1] - y[:, 1]).mean())
        self.assertNotIn("z_std", results[CONSTANT]["labels"]["Teff"])

    def test_report_is_the_one_shape_with_the_constant_under_the_same_keys(self):
        x, y, snr = self.test_set
        output = pathlib.Path(self.get_temp_dir())
        result = report(self.model, (x, y, snr), output, "test", name="RRNet", constant=y.mean(axis=0),
                        real_files=mrs_files())
        self.assertEqual(set(result), set(REPORT_KEYS))
        self.assertTrue((output / "predictions.png").stat().st_size > 5000 and (output / "snr_curves.png").exists())
        self.assertEqual(result["figures"], [str(output / "predictions.png"), str(output / "snr_curves.png")])
        headline = compare_models({"RRNet": self.model}, x, y, snr, constant=y.mean(axis=0))
        for label in ("Teff", "logg", "[Fe/H]"):
            expected = headline["RRNet"]["groups"]["S/N ≥ 10"][label]
            self.assertEqual(result["metrics"][label],
                             {key: expected[key] for key in ("mae", "z_std", "coverage_1sigma")})
            self.assertEqual(result["baselines"][CONSTANT][label],
                             {"mae": headline[CONSTANT]["groups"]["S/N ≥ 10"][label]["mae"]})
        details = result["details"]
        self.assertEqual([row["model"] for row in details["table"]][:2], ["RRNet", CONSTANT])
        self.assertEqual(details["real_files"]["repeated_epochs"][0]["designation"], REPEATED_STAR)
        self.assertEqual(len(details["real_files"]["predictions"]), 5)
        self.assertEqual(json.loads((output / "report.json").read_text())["metrics"], result["metrics"])

    def test_the_constant_defaults_to_the_training_mean_the_model_keeps(self):
        x, y, snr = self.test_set
        result = report(self.model, (x, y, snr), self.get_temp_dir(), "test")
        self.assertEqual(result["details"]["constant"], list(self.model.target_mean))
        self.assertEqual(result["details"]["model"], "RRNet")
        self.assertTrue(np.allclose(training_mean(self.model), y.mean(axis=0)))

        class Keepless:
            label_names = self.model.label_names
            predict_gaussian = self.model.predict_gaussian

        with self.assertRaisesRegex(ValueError, r"keeps none\. Received: constant=None"):
            report(Keepless(), (x, y, snr), self.get_temp_dir(), "test")

    def test_repeated_epochs_of_the_real_star(self):
        files = mrs_files()
        rows = predict_files(self.model, files)
        self.assertEqual(len(rows), 5)
        self.assertEqual((rows[1]["designation"], rows[1]["snr"]), (REPEATED_STAR, 26.54))
        stars = repeated_epochs(rows, self.model.label_names)
        # Four epochs, one under another plan and a designation 0.3″ away, are one star; the fifth file is another.
        self.assertEqual((len(stars), stars[0]["epochs"]), (1, 4))
        values = np.array([r["Teff"] for r in rows[1:]])
        self.assertTrue(np.isclose(stars[0]["Teff_scatter"], values.std(ddof=1)))
        self.assertTrue(np.isclose(stars[0]["Teff_scatter_over_sigma"],
                                   values.std(ddof=1) / np.mean([r["Teff_sigma"] for r in rows[1:]])))
        with_exposures = predict_files(self.model, files[:1], exposures=True)
        self.assertEqual([r["source"] for r in with_exposures][:2], ["COADD", "84107311"])
        self.assertEqual(len(with_exposures), 8)

    def test_rows_carry_the_measured_rv_and_flag_a_spectrum_below_the_snr_floor(self):
        path = SPECTRA_DIR / "med-58625-TD192102N424113K01_sp12-076.fits.gz"
        rows = {row["source"]: row for row in predict_files(self.model, [path], exposures=True)}
        # The third exposure of this night has S/N 3.5 in its header: flagged with its S/N, the others not.
        self.assertEqual(rows["84420195"]["flag"].split(";")[0], "S/N 3.5 below the floor 5")
        # At S/N 4 the red arm gives no velocity (no χ² well inside the search): said so.
        self.assertEqual(rows["84420195"]["rv_red_error"], float("inf"))
        self.assertEqual(rows["84420195"]["flag"].split("; ")[1], "no RV from the red arm")
        self.assertEqual((rows["COADD"]["flag"], rows["84420148"]["flag"]), ("", ""))
        for row in rows.values():
            self.assertEqual(row["rv"], measure_rv(read_mrs(path, None if row["source"] == "COADD" else row["source"]),
                                                   labels=_template_labels(row)).rv)
        given = predict_files(self.model, [path], rv=-20.0, snr_floor=30.0)[0]
        self.assertEqual((given["rv_source"], given["rv"]), ("given", -20.0))
        self.assertEqual(given["flag"], "S/N 26.5 below the floor 30")
        # An S/N calibration scales σ by the scale of the spectrum's bin (S/N 26.5: the third, 20–50).
        scales = np.array([[1.0, 1.0, 1.0], [2.0, 2.0, 2.0], [3.0, 0.5, 4.0], [5.0, 5.0, 5.0]])
        calibration = SNRCalibration((5.0, 10.0, 20.0, 50.0, 150.0), list(self.model.label_names), scales,
                                     np.full(4, 100))
        scaled = predict_files(self.model, [path], rv=-20.0, calibration=calibration)[0]
        for label, scale in zip(self.model.label_names, scales[2]):
            self.assertAllClose(scaled[f"{label}_sigma"], scale * given[f"{label}_sigma"])
        # A spectrum with no star in it (noise around zero, no SNR in its header): its own S/N ≈ 0, flagged.
        rng = np.random.default_rng(0)
        empty = write_mrs(pathlib.Path(self.get_temp_dir()) / "med-empty.fits",
                          blue={"FLUX": rng.normal(0, 1, 4000).astype("float32")},
                          red={"FLUX": rng.normal(0, 1, 4000).astype("float32")})
        (row,) = predict_files(self.model, [empty])
        self.assertLess(abs(row["snr_measured"]), 0.2)
        self.assertTrue(row["flag"].startswith(f"S/N {row['snr_measured']:.1f} below the floor 5"), row["flag"])


class OODFlagTest(TestCase):
    def test_the_shipped_ood_score_flags_the_empty_sky_coadds_and_not_the_star(self):
        from domains.lamost.ood import OOD_FILES, OODScore
        from domains.lamost.presets import DEFAULT_PRESET

        preset = RRNet.from_preset(DEFAULT_PRESET)
        ood = OODScore.load(OOD_FILES[DEFAULT_PRESET])
        empty = mrs_files(SPECTRA_DIR / "empty_sky")
        star = SPECTRA_DIR / "med-58644-TD192102N424113K01_sp12-076.fits.gz"
        rows = predict_files(preset, empty + [star], ood=ood)
        self.assertEqual([round(row["snr"], 2) for row in rows], [0.0, 0.23, 52.25])
        for row in rows[:2]:   # real LAMOST co-adds with no star in the fibre
            self.assertGreater(row["ood_score"], ood.threshold)
            self.assertIn("unlike the training spectra", row["flag"])
        self.assertLess(rows[2]["ood_score"], ood.threshold)
        self.assertEqual(rows[2]["flag"], "")


class Float16CheckTest(TestCase):
    def test_float16_check_refuses_a_storage_that_moves_the_errors(self):
        # Every array stored in float16 and no change allowed: the tiny model's MAEs move, so it is refused.
        model = RRNet(mode="raw", widths=(2, 4, 8), num_pixels=720, rnn_steps=10, hidden_units=(8,))
        rng = np.random.default_rng(0)
        for weight in model.get_layer("gaussian").weights:
            weight.assign(rng.normal(0, 0.5, weight.shape).astype("float32"))
        x = np.stack([rng.normal(1, 0.1, (16, 720)), np.ones((16, 720))], -1).astype("float32")
        y = rng.normal(size=(16, 3)) * [500, 1, 0.3] + [5000, 3, 0]
        with self.assertRaisesRegex(ValueError, "The float16 storage changes the Teff MAE"):
            float16_check(model, (x, y, None), self.get_temp_dir(), float16_from=1, tolerance=0.0)
        # The preset's storage (only arrays of >= 65,536 values: none in this tiny model) keeps its numbers.
        check = float16_check(model, (x, y, None), self.get_temp_dir(), float16_from=65536)
        self.assertEqual(check["Teff"]["mae_float32"], check["Teff"]["mae_float16"])
        self.assertEqual(check["n_test"], 16)
