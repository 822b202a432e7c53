"""domains.mri.quality.evaluation: `ssim_report`, the paper's rows and the report with its constant baseline."""

import json
import pathlib

import numpy as np
import pytest

from core.testing import TestCase
from domains.mri.quality.data import load_quality_data
from domains.mri.quality.evaluation import HEADLINE_KEYS, paper_rows, report, ssim_report, training_label_mean
from domains.mri.quality.model import PAPER, SSIMRegressor


class SSIMReportTest(TestCase):
    def test_ssim_report(self):
        y = np.linspace(0.5, 1.0, 50)
        perfect = ssim_report(y, y, (0.5, 1.0))
        assert perfect["residual_mean"] == 0 and perfect["residual_std"] == 0
        assert perfect["accuracy_3"] == perfect["accuracy_5"] == perfect["accuracy_10"] == 1.0
        constant = ssim_report(y, np.full_like(y, y.mean()), (0.5, 1.0))
        assert constant["residual_std"] == pytest.approx(perfect["label_std"]) == pytest.approx(np.std(y))
        shifted = ssim_report(y, y - 0.01, (0.5, 1.0))
        assert shifted["residual_mean"] == pytest.approx(-0.01) and shifted["residual_std"] == pytest.approx(0, abs=1e-12)
        assert shifted["accuracy_10"] < shifted["accuracy_5"] < 1.0
        assert np.sum(shifted["confusion_10"]) == 50 and shifted["edges_3"] == [0.5, 0.6667, 0.8333, 1.0]
        rows = paper_rows({"ours": shifted})
        assert rows[-1]["residual mean"] == "-0.0009" and rows[-1]["acc 10 cls"] == "89.0 %"
        self.assertEqual(PAPER["accuracy_3"], 0.97)


class ReportTest(TestCase):
    @pytest.fixture(autouse=True)
    def _phantoms(self, phantom_folder):
        self.phantom_folder = phantom_folder

    def test_report_scores_the_model_beside_the_training_mean(self):
        data = load_quality_data(self.phantom_folder, slice_size=32, val_draws=1, test_draws=2)
        output = pathlib.Path(self.get_temp_dir())
        result = report(SSIMRegressor(slice_size=32, width=8), data, output, "tiny", unused_option=1)
        prefixes = ("", "contrast_changed_", "remapped_")
        self.assertEqual(set(result["metrics"]), {p + key for p in prefixes for key in HEADLINE_KEYS})
        self.assertEqual(set(result["baselines"]), {"constant_train_mean"})
        self.assertEqual(set(result["baselines"]["constant_train_mean"]), set(result["metrics"]))
        # The untrained head predicts 0.85 everywhere: itself a constant, scored like the baseline's.
        constant = training_label_mean(data)
        self.assertEqual(result["details"]["baseline"]["constant_train_mean"], pytest.approx(constant))
        expected = ssim_report(data.test_set.y, np.full_like(data.test_set.y, constant), (0.5, 1.0))
        self.assertEqual(result["baselines"]["constant_train_mean"]["residual_mean"],
                         pytest.approx(expected["residual_mean"]))
        self.assertEqual(result["details"]["n_test"], len(data.test_set))
        self.assertEqual(result["metrics"]["residual_std"], pytest.approx(result["details"]["test"]["residual_std"]))
        assert {"test", "test_contrast", "test_remap", "test_groups", "data", "model", "paper"} <= set(result["details"])
        self.assertEqual([pathlib.Path(f).name for f in result["figures"]], ["scatter.png", "confusion_matrix_10.png"])
        assert all(pathlib.Path(f).exists() for f in result["figures"])
        saved = json.loads((output / "report.json").read_text())
        self.assertEqual(saved["metrics"], result["metrics"])
        # The baseline reads the training slices only: the same whatever the test set holds.
        self.assertEqual(training_label_mean(data), constant)


class _PixelModel:
    """A stand-in model whose predicted SSIM is each slice's first pixel: known residuals."""

    ssim_range = (0.5, 1.0)

    def predict_ssim(self, x):
        return np.asarray(x)[:, 0, 0, 0].astype("float64")


class HeldOutReportTest(TestCase):
    def _heldout(self, predicted, truth, axes):
        from domains.mri.quality.data.corruption import CorruptedSet
        from domains.mri.quality.data.heldout import HeldOutData, HeldOutSet
        from domains.mri.quality.data.slices import SliceSet

        n = len(truth)
        images = np.zeros((n, 4, 4, 1), "float32")
        images[:, 0, 0, 0] = predicted
        slices = SliceSet(images, np.ones_like(images), np.array(["/x/vol.nii.gz"] * n, dtype=object),
                          np.arange(n), np.ones(n), np.asarray(axes))
        corrupted = CorruptedSet(images, np.asarray(truth, "float32"), np.zeros(n, "float32"), np.arange(n))
        return HeldOutData({"vol.nii.gz": HeldOutSet(slices, corrupted, "/x/vol.nii.gz", "skull-stripped")},
                           constant=0.75, config={})

    def test_sigma_mae_and_r_against_a_known_answer_beside_the_constant(self):
        from domains.mri.quality.evaluation import heldout_report

        truth = np.array([0.6, 0.7, 0.8, 0.9, 0.55, 0.95])
        residual = np.array([0.1, -0.1, 0.1, -0.1, 0.02, 0.02])  # axial: mean 0, σ 0.1; sagittal: +0.02, σ 0
        heldout = self._heldout(truth + residual, truth, [2, 2, 2, 2, 0, 0])
        output = pathlib.Path(self.get_temp_dir())
        result = heldout_report(_PixelModel(), heldout, output, "known", training_sources=["/data/other.nii"])
        metrics, constant = result["metrics"], result["baselines"]["constant_train_mean"]
        self.assertAlmostEqual(metrics["vol.nii.gz.axial.residual_std"], 0.1, places=6)
        self.assertAlmostEqual(metrics["vol.nii.gz.axial.residual_mean"], 0.0, places=6)
        self.assertAlmostEqual(metrics["vol.nii.gz.axial.mae"], 0.1, places=6)
        self.assertAlmostEqual(metrics["vol.nii.gz.sagittal.residual_std"], 0.0, places=6)
        self.assertAlmostEqual(metrics["vol.nii.gz.sagittal.residual_mean"], 0.02, places=6)
        self.assertAlmostEqual(metrics["vol.nii.gz.all.residual_std"], float(np.std(residual)), places=6)
        self.assertAlmostEqual(metrics["vol.nii.gz.all.pearson_r"], float(np.corrcoef(truth, truth + residual)[0, 1]),
                               places=5)
        # The constant 0.75: residual 0.75 - truth.
        self.assertAlmostEqual(constant["vol.nii.gz.axial.residual_std"], float(np.std(truth[:4])), places=6)
        self.assertAlmostEqual(constant["vol.nii.gz.all.mae"], float(np.mean(np.abs(0.75 - truth))), places=6)
        self.assertAlmostEqual(constant["vol.nii.gz.all.residual_mean"], float(np.mean(0.75 - truth)), places=6)
        self.assertIsNone(constant["vol.nii.gz.all.pearson_r"])
        self.assertEqual(set(constant), set(metrics))
        self.assertEqual([(row["axes"], row["n"], row["trained on"]) for row in result["table"]],
                         [("all", 6, "no"), ("sagittal", 2, "no"), ("axial", 4, "no")])
        self.assertEqual(result["details"]["baseline"]["constant_train_mean"], 0.75)
        saved = json.loads((output / "report.json").read_text())
        self.assertEqual(saved["details"]["vol.nii.gz"]["in_training"], "no")
        assert (output / "scatter.png").exists()
        seen = heldout_report(_PixelModel(), heldout, output, "known", training_sources=["/y/vol.nii.gz"])
        self.assertEqual(seen["table"][0]["trained on"], "yes")
        self.assertEqual(heldout_report(_PixelModel(), heldout, output, "known")["table"][0]["trained on"], "unknown")
