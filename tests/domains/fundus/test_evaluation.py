"""domains.fundus.evaluation, and the fidelity check on the paper's released predictions."""

import gzip
import json
import pathlib

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from core.calibration import expected_calibration_error
from core.testing import TestCase
from domains.fundus import evaluation
from domains.fundus.data import synthetic_data
from domains.fundus.evaluation import (
    CHANCE,
    PAPER,
    auc_with_ci,
    chance_baseline,
    load_released_predictions,
    operating_point,
    patient_ids,
    patient_level,
    per_source_auc,
    referral_curve,
    report,
    report_predictions,
    screening_report,
)
from domains.fundus.model import DRClassifier


@pytest.fixture(scope="module")
def released():
    return load_released_predictions("test")


class EvaluationTest(TestCase):
    @pytest.fixture(autouse=True)
    def _fixtures(self, released):
        self.released = released

    def test_released_predictions_reproduce_the_paper(self):
        # Castilla et al. (SIPAIM 2022): test AUC 0.955 [0.953-0.956] on 61,007 images, 13,470 referable.
        released = self.released
        self.assertEqual(len(released.labels), 61007)
        self.assertEqual(released.labels.sum(), 13470)
        auc, low, high = auc_with_ci(released.labels, released.probabilities, n_bootstrap=400, seed=0)
        self.assertEqual(round(auc, 3), PAPER["test_auc"])
        self.assertEqual(auc, pytest.approx(0.9546, abs=5e-5))
        # Our 95 % percentile bootstrap over images lands within 0.001 of each end of the paper's interval.
        self.assertTrue(low < auc < high)
        self.assertEqual(low, pytest.approx(PAPER["test_auc_ci"][0], abs=1e-3))
        self.assertEqual(high, pytest.approx(PAPER["test_auc_ci"][1], abs=1e-3))
        validation = load_released_predictions("validation")
        self.assertEqual(len(validation.labels), 9569)
        self.assertEqual(round(roc_auc_score(validation.labels, validation.probabilities), 3), PAPER["validation_auc"])

    def test_released_per_source_aucs(self):
        released = self.released
        sources = per_source_auc(released.labels, released.probabilities, released.sources)
        self.assertEqual(set(sources), set(PAPER["per_source_auc"]))
        self.assertEqual(sum(s["n"] for s in sources.values()), 61007)
        self.assertEqual(sources["Kaggle"]["n"], 53576)
        self.assertEqual(sources["Messidor2"]["n"], 1744)
        for source, paper_auc in PAPER["per_source_auc"].items():
            # docs/papers.md rounds to 3 decimals (Kaggle: 0.95147 is quoted 0.952).
            self.assertEqual(sources[source]["auc"], pytest.approx(paper_auc, abs=1e-3), source)

    def test_screening_report_on_released(self):
        released = self.released
        results = screening_report(released.labels, released.probabilities, filenames=released.filenames,
                                   n_bootstrap=20)
        self.assertEqual(results["accuracy"], pytest.approx(0.927, abs=5e-4))
        screening = results["screening"]
        self.assertGreaterEqual(screening["at_sensitivity"]["sensitivity"], 0.85)
        self.assertTrue(screening["meets_target"])
        self.assertGreater(screening["at_sensitivity"]["specificity"], 0.9)
        self.assertGreaterEqual(screening["at_specificity"]["specificity"], 0.80)
        # Both eyes of each Kaggle patient pooled (26,788 patients), DeepDRiD's 4 images per patient
        # (100), the 7,031 images of the other sets each their own.
        self.assertEqual(results["patient_level"]["n"], 26788 + 100 + 7031)
        self.assertTrue(0.9 < results["patient_level"]["auc"] < 1)
        # Referring the most uncertain (highest-entropy) images leaves an easier, better-ranked rest.
        aucs = results["referral"]["auc"]
        self.assertEqual(aucs[0], pytest.approx(results["auc"]))
        self.assertGreater(aucs[-1], aucs[0] + 0.01)
        self.assertTrue(0 < results["ece"] < 0.1)
        # The positive-class ECE of core.calibration, 15 bins: the value README quotes (0.026).
        self.assertEqual(results["ece"], expected_calibration_error(released.probabilities, released.labels))
        self.assertEqual(round(results["ece"], 3), 0.026)

    def test_bootstrap_replicates_equal_sklearn_weighted_auc(self):
        rng = np.random.default_rng(1)
        labels = rng.integers(0, 2, 200)
        scores = np.round(rng.random(200), 1)  # many ties
        weights = rng.integers(0, 3, (4, 200))
        expected = [roc_auc_score(labels, scores, sample_weight=w) for w in weights]
        np.testing.assert_allclose(evaluation._weighted_aucs(labels, scores, weights), expected, rtol=1e-12)

    def test_auc_interval_narrows_with_more_images(self):
        rng = np.random.default_rng(0)
        widths = []
        for n in (200, 5000):
            labels = rng.integers(0, 2, n)
            scores = labels + rng.normal(0, 1, n)
            auc, low, high = auc_with_ci(labels, scores, n_bootstrap=200)
            self.assertTrue(low < auc < high)
            widths.append(high - low)
        self.assertLess(widths[1], widths[0] / 3)
        with self.assertRaisesRegex(ValueError, "both classes"):
            auc_with_ci([1, 1, 1], [0.2, 0.5, 0.9])

    def test_operating_points(self):
        labels = np.array([0, 0, 0, 0, 1, 1, 1, 1])
        scores = np.array([0.1, 0.2, 0.3, 0.6, 0.4, 0.7, 0.8, 0.9])
        at_half = operating_point(labels, scores, threshold=0.5)
        self.assertEqual(at_half["sensitivity"], 0.75)
        self.assertEqual(at_half["specificity"], 0.75)
        self.assertEqual(at_half["referred_fraction"], 0.5)
        self.assertEqual(at_half["ppv"], 0.75)
        # 100 % sensitivity needs the threshold down to 0.4: the most specific such point.
        full = operating_point(labels, scores, sensitivity=1.0)
        self.assertEqual(full["threshold"], pytest.approx(0.4))
        self.assertEqual(full["specificity"], 0.75)
        strict = operating_point(labels, scores, specificity=1.0)
        self.assertEqual(strict["threshold"], pytest.approx(0.7))
        self.assertEqual(strict["sensitivity"], 0.75)
        with self.assertRaisesRegex(ValueError, "exactly one"):
            operating_point(labels, scores, threshold=0.5, sensitivity=0.85)
        with self.assertRaisesRegex(ValueError, "0 \\(non-referable\\) or 1"):
            operating_point([0, 2], [0.1, 0.2], threshold=0.5)

    def test_patients_pool_both_eyes(self):
        names = ["Kaggle/10_left", "Kaggle/10_right", "Kaggle/11_left", "DeepDRID/265_l1", "DeepDRID/265_r2",
                 "Messidor2/20051020_43808_0100_PP", "DDR/10_left"]
        ids = patient_ids(names)
        self.assertTrue(ids[0] == ids[1] == "Kaggle/patient_10")
        self.assertEqual(ids[2], "Kaggle/patient_11")
        self.assertTrue(ids[3] == ids[4] == "DeepDRID/patient_265")
        self.assertEqual(ids[5], names[5])
        self.assertEqual(ids[6], "DDR/10_left")
        patients, labels, scores = patient_level([0, 1, 0, 0, 0, 1, 0], [0.2, 0.7, 0.1, 0.3, 0.4, 0.9, 0.5], ids)
        pooled = dict(zip(patients, zip(labels, scores)))
        self.assertEqual(pooled["Kaggle/patient_10"], (1, 0.7))
        self.assertEqual(pooled["DeepDRID/patient_265"], (0, 0.4))
        self.assertEqual(len(patients), 5)

    def test_expected_calibration_error_of_the_referable_probability(self):
        rng = np.random.default_rng(0)
        p = rng.random(200000)
        calibrated = (rng.random(p.size) < p).astype(int)
        self.assertLess(expected_calibration_error(p, calibrated), 0.01)
        # Always 0.9 confident, right half of the time: ECE 0.4.
        half_right = np.r_[np.zeros(50), np.ones(50)]
        self.assertAlmostEqual(expected_calibration_error(np.full(100, 0.9), half_right), 0.4)

    def test_referral_curve_refers_the_flagged_errors_first(self):
        labels = np.array([0] * 6 + [1] * 4)
        scores = np.array([0.1, 0.2, 0.1, 0.3, 0.9, 0.8, 0.7, 0.8, 0.9, 0.2])  # images 4, 5, 9 are wrong
        uncertainty = np.zeros(10)
        uncertainty[[4, 5, 9]] = 1.0
        curve = referral_curve(labels, scores, uncertainty, fractions=(0.0, 0.1, 0.3))
        self.assertEqual(curve["retained"], [10, 9, 7])
        self.assertTrue(curve["auc"][0] < curve["auc"][1] < curve["auc"][2] == 1.0)
        with self.assertRaisesRegex(ValueError, "one value per image"):
            referral_curve(labels, scores, uncertainty[:5])

    def test_report_predictions_writes_json_and_plots_beside_chance(self):
        tmp_path = pathlib.Path(self.get_temp_dir())
        rng = np.random.default_rng(0)
        labels = rng.integers(0, 2, 300)
        scores = np.clip(0.5 * labels + rng.normal(0.25, 0.2, 300), 0, 1)
        names = [f"Kaggle/{i // 2}_{'left' if i % 2 else 'right'}" for i in range(300)]
        out = report_predictions(labels, scores, tmp_path, "synthetic", filenames=names, n_bootstrap=50)
        saved = json.loads((tmp_path / "report.json").read_text())
        self.assertEqual(saved, out)
        self.assertEqual(out["report_json"], str(tmp_path / "report.json"))
        self.assertEqual(out["metrics"]["auc"], pytest.approx(roc_auc_score(labels, scores)))
        self.assertTrue(out["metrics"]["auc_ci_low"] < out["metrics"]["auc"] < out["metrics"]["auc_ci_high"])
        self.assertEqual(out["metrics"]["ece"], expected_calibration_error(scores, labels))
        self.assertEqual(out["details"]["patient_level"]["n"], 150)
        self.assertEqual(set(out["baselines"]), {CHANCE})
        self.assertEqual(set(out["baselines"][CHANCE]), set(out["metrics"]))
        for name in ("roc.png", "referral_curve.png"):
            self.assertIn(str(tmp_path / name), out["figures"])
            self.assertGreater((tmp_path / name).stat().st_size, 10000)

    def test_chance_ranks_nothing_and_refers_everything(self):
        labels = np.array([0] * 30 + [1] * 10)
        chance = chance_baseline(labels, n_bootstrap=20)
        self.assertTrue(chance["auc"] == chance["auc_ci_low"] == chance["auc_ci_high"] == 0.5)
        self.assertEqual(chance["specificity_at_85_sensitivity"], 0.0)
        self.assertEqual(chance["sensitivity_at_80_specificity"], 0.0)
        self.assertEqual(chance["ece"], pytest.approx(0.25))
        self.assertEqual(chance["accuracy"], pytest.approx(0.25))
        self.assertEqual(chance["auc_20pct_referred"], 0.5)
        self.assertEqual((chance["n"], chance["positives"]), (40, 10))

    def test_report_of_a_model_on_a_test_split(self):
        tmp_path = pathlib.Path(self.get_temp_dir())
        data = synthetic_data(0, 0, 12, raw_size=128, seed=3)
        model = DRClassifier(image_size=64, width=8, graham_radius=32)
        out = report(model, data, tmp_path / "data", "tiny", samples=2, n_bootstrap=20)
        self.assertEqual(out["title"], "tiny")
        self.assertEqual(out["metrics"]["n"], 12)
        self.assertEqual(out["metrics"]["positives"], data.test.labels.sum())
        self.assertTrue(out["details"]["data"].endswith("SYNTHETIC photographs"))
        self.assertEqual(out["details"]["uncertainty"], "tta")
        self.assertEqual(out["baselines"][CHANCE]["auc"], 0.5)
        self.assertEqual(len(out["details"]["referral"]["auc"]), 11)
        figures = [pathlib.Path(f).name for f in out["figures"]]
        self.assertEqual(figures, ["roc.png", "referral_curve.png", "gradcam.png"])
        # A split alone is scored the same (no data description); the entropy orders the referral without TTA.
        split = report(model, data.test, tmp_path / "split", "tiny", samples=2, n_bootstrap=20)
        self.assertEqual(split["metrics"], out["metrics"])
        self.assertNotIn("data", split["details"])
        plain = report(model, data.test, tmp_path / "plain", "tiny", uncertainty="none", n_bootstrap=20)
        self.assertIsNone(plain["details"]["samples"])
        with self.assertRaisesRegex(ValueError, "report needs a FundusData"):
            report(model, data.test.labels, tmp_path, "tiny")
        with self.assertRaisesRegex(ValueError, "uncertainty must be tta, mc_dropout or none"):
            report(model, data, tmp_path, "tiny", uncertainty="ensemble")

    def test_gradcam_draws_the_heat_onto_a_lesion_inside_the_eye(self):
        # SYNTHETIC: healthy drawings (grade 0) with a cluster of haemorrhages and exudates drawn into one
        # region; the shipped preset (trained on such drawings) explains its referable logit there.
        from PIL import Image, ImageDraw

        from domains.fundus.evaluation import explain, gradcam_figure, save_gradcam
        from domains.fundus.preprocessing import fov_mask
        from domains.fundus.synthetic import synthetic_fundus

        model = DRClassifier.from_preset("dr_synthetic_small")
        for seed, (cy, cx) in ((0, (80, 80)), (2, (170, 160))):
            healthy = synthetic_fundus(0, size=256, seed=seed)
            canvas = Image.fromarray(healthy.copy())
            draw, rng = ImageDraw.Draw(canvas), np.random.default_rng(seed)
            for count, (low, high), colour in ((14, (2.5, 5.0), (100, 15, 10)), (6, (1.2, 2.5), (245, 225, 110))):
                for _ in range(count):
                    y, x, r = cy + rng.uniform(-18, 18), cx + rng.uniform(-18, 18), rng.uniform(low, high)
                    draw.ellipse([x - r, y - r, x + r, y + r], fill=colour)
            photo = np.asarray(canvas)
            p_healthy, _ = explain(model, healthy)
            p, heat = explain(model, photo)
            self.assertGreater(p, p_healthy)
            self.assertEqual((heat.shape, float(heat.max())), ((256, 256), 1.0))
            fov = np.asarray(fov_mask(photo))
            np.testing.assert_array_equal(heat[~fov], 0)  # nothing outside the eye
            region = np.zeros(heat.shape, bool)
            region[cy - 24:cy + 24, cx - 24:cx + 24] = True
            share, mass = (region & fov).sum() / fov.sum(), heat[region].sum() / heat.sum()
            self.assertGreater(mass, 1.3 * share, (seed, mass, share))
        tmp_path = pathlib.Path(self.get_temp_dir())
        self.assertEqual(save_gradcam(model, photo, tmp_path / "o" / "overlay.png", probability=0.5), 0.5)
        self.assertEqual(save_gradcam(model, photo, tmp_path / "overlay.png"), pytest.approx(p, abs=1e-6))
        self.assertTrue((tmp_path / "o" / "overlay.png").stat().st_size > 1000)
        figure = gradcam_figure(photo, heat, title="t", probability=0.25)
        overlay = figure.axes[1].get_images()[1].get_array()
        self.assertEqual(overlay.shape, (256, 256, 4))
        np.testing.assert_allclose(overlay[..., 3], 0.6 * heat, atol=1e-6)  # opaque where hot, clear where cold
        self.assertIn("P(referable) 0.25", figure.axes[1].get_title())

    def test_released_file_errors(self):
        tmp_path = pathlib.Path(self.get_temp_dir())
        bad = tmp_path / "bad.csv.gz"
        with gzip.open(bad, "wt") as handle:
            handle.write("Filename,label\nKaggle/1_left,1\n")
        with self.assertRaisesRegex(ValueError, "bad.csv.gz: expected the columns"):
            load_released_predictions(path=bad)
        with self.assertRaisesRegex(ValueError, "split must be one of"):
            load_released_predictions("train")
