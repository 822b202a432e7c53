"""core.regression: per-label errors, calibration (std of z, coverage), groups."""

import numpy as np
import pytest

from core.regression import bin_groups, label_metrics, regression_report


def test_a_calibrated_gaussian_has_unit_z_and_nominal_coverage():
    rng = np.random.default_rng(0)
    truth = rng.normal(size=20000)
    sigma = rng.uniform(0.5, 2.0, size=20000)
    prediction = truth + rng.normal(size=20000) * sigma
    m = label_metrics(truth, prediction, sigma)
    assert m["z_std"] == pytest.approx(1.0, abs=0.02)
    assert m["coverage_1sigma"] == pytest.approx(0.683, abs=0.01)
    assert m["coverage_2sigma"] == pytest.approx(0.954, abs=0.005)
    # σ claimed twice too small: z twice too wide, coverage far below nominal
    over = label_metrics(truth, prediction, sigma / 2)
    assert over["z_std"] == pytest.approx(2.0, abs=0.05) and over["coverage_1sigma"] < 0.45


def test_errors_and_groups():
    truth = np.array([[0.0, 10.0], [1.0, 10.0], [2.0, 10.0], [3.0, 10.0]])
    prediction = truth + np.array([[1.0, 0.0], [-1.0, 0.0], [1.0, 2.0], [1.0, 2.0]])
    report = regression_report(truth, prediction, None, ["x", "y"], groups=bin_groups([5, 15, 25, 50], [0, 20, 50], "S/N"))
    assert report["labels"]["x"]["mae"] == 1.0 and report["labels"]["x"]["bias"] == 0.5
    assert report["labels"]["y"]["rmse"] == pytest.approx(np.sqrt(2))
    assert list(report["groups"]) == ["S/N 0–20", "S/N 20–50"]
    assert report["groups"]["S/N 0–20"]["y"]["mae"] == 0.0 and report["groups"]["S/N 20–50"]["y"]["n"] == 2
    with pytest.raises(ValueError, match=r"must be \(n, 2\)"):
        regression_report(truth[:, :1], prediction[:, :1], None, ["x", "y"])
    with pytest.raises(ValueError, match="sigma must be"):
        label_metrics([0.0], [1.0], [0.0])
