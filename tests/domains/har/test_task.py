"""The `har.*` CLI tasks: input errors, options, and train/evaluate/predict on BasicMotions."""

import json

import numpy as np
import pytest

from core import cli
from core.data import samples
from domains.har.data import load_uea_ts
from domains.har.task import _read_windows


def test_predict_input_errors_name_the_file(tmp_path):
    wrong = tmp_path / "wrong_channels.npy"
    np.save(wrong, np.zeros((2, 100, 9), "float32"))
    with pytest.raises(ValueError, match=r"wrong_channels.npy.*6"):
        _read_windows(wrong, 6)
    nan = tmp_path / "nan.npy"
    bad = np.zeros((2, 100, 6), "float32")
    bad[1, 5, 2] = np.nan
    np.save(nan, bad)
    with pytest.raises(ValueError, match=r"nan.npy.*NaN"):
        _read_windows(nan, 6)
    with pytest.raises(ValueError, match=r"signals.csv: expected a UEA .ts file or a .npy"):
        _read_windows(tmp_path / "signals.csv", 6)


def test_cli_train_evaluate_predict_on_basicmotions(tmp_path):
    out = tmp_path / "run"
    assert cli.main(["train", "har.resnet1d", "--epochs", "2", "--output", str(out), "--verbose", "0",
                     "--option", "depth=10"]) == 0
    results = json.loads((out / "train_results.json").read_text())
    confusion = np.array(results["confusion_matrix"])
    assert results["n_test"] == 40 and confusion.sum() == 40 and confusion.sum(axis=1).tolist() == [10, 10, 10, 10]
    assert results["accuracy"] == np.trace(confusion) / 40
    assert (out / "confusion_matrix.png").stat().st_size > 1000
    assert (out / "best.keras").exists() and (out / "log.csv").exists()

    assert cli.main(["evaluate", "har.resnet1d", "--model", str(out / "best.keras"), "--output", str(tmp_path / "ev"),
                     "--verbose", "0"]) == 0
    evaluated = json.loads((tmp_path / "ev" / "evaluate_results.json").read_text())
    assert evaluated["accuracy"] == results["accuracy"]

    test_file = samples.fetch("har.basicmotions_test", verbose=False)
    assert cli.main(["predict", "har.resnet1d", "--model", str(out / "best.keras"), "--output", str(tmp_path / "pr"),
                     str(test_file)]) == 0
    lines = (tmp_path / "pr" / "predictions.csv").read_text().splitlines()
    assert len(lines) == 41
    # The predictions of `predict` are those `evaluate` scored: the same accuracy on the test file's labels.
    _, labels, class_names = load_uea_ts(test_file)
    predicted = [line.split(",")[2] for line in lines[1:]]
    assert np.mean([p == class_names[y] for p, y in zip(predicted, labels)]) == results["accuracy"]
