"""Evaluation: S/N bins and baselines side by side, real files' repeated epochs, plots."""

import numpy as np
import pytest

from domains.lamost.evaluation import compare_models, predict_files, repeated_epochs, report
from domains.lamost.model import RRNet
from domains.lamost.synthetic import make_dataset
from tests.domains.lamost.conftest import REPEATED_STAR


@pytest.fixture(scope="module")
def test_set():
    return make_dataset(24, seed=5, snr_range=(5.0, 100.0))


@pytest.fixture(scope="module")
def model(test_set):
    """One untrained RRNet for the module (its predict function is traced once)."""
    model = RRNet(mode="raw", hidden_units=(8,))
    model.set_target_statistics(test_set[1])
    return model


def test_report_compares_models_per_snr_bin_with_a_constant_baseline(tmp_path, mrs_files, model, test_set):
    x, y, snr = test_set
    results = compare_models({"RRNet": model}, x, y, snr, constant=y.mean(axis=0))
    groups = results["RRNet"]["groups"]
    assert sum(groups[g]["Teff"]["n"] for g in groups if "–" in g) == 24
    assert groups["S/N ≥ 10"]["Teff"]["n"] == int((snr >= 10).sum())
    mean, sigma = model.predict_gaussian(x)
    assert results["RRNet"]["labels"]["logg"]["mae"] == np.abs(mean[:, 1] - y[:, 1]).mean()
    assert "z_std" not in results["constant (training mean)"]["labels"]["Teff"]

    flat = report({"RRNet": model}, (x, y, snr), tmp_path, "test", constant=y.mean(axis=0), real_files=mrs_files)
    assert (tmp_path / "predictions.png").stat().st_size > 5000 and (tmp_path / "snr_curves.png").exists()
    assert [row["model"] for row in flat["table"]][:2] == ["RRNet", "constant (training mean)"]
    assert f"{REPEATED_STAR} Teff scatter/σ" in flat


def test_repeated_epochs_of_the_real_star(mrs_files, model):
    rows = predict_files(model, mrs_files)
    assert len(rows) == 5 and rows[1]["designation"] == REPEATED_STAR and rows[1]["snr"] == 26.54
    stars = repeated_epochs(rows, model.label_names)
    # Four epochs, one under another plan and a designation 0.3″ away, are one star; the fifth file is another.
    assert len(stars) == 1 and stars[0]["epochs"] == 4
    values = np.array([r["Teff"] for r in rows[1:]])
    assert np.isclose(stars[0]["Teff_scatter"], values.std(ddof=1))
    assert np.isclose(stars[0]["Teff_scatter_over_sigma"],
                      values.std(ddof=1) / np.mean([r["Teff_sigma"] for r in rows[1:]]))
    with_exposures = predict_files(model, mrs_files[:1], exposures=True)
    assert [r["source"] for r in with_exposures][:2] == ["COADD", "84107311"] and len(with_exposures) == 8
