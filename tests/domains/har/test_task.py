"""The `har.*` CLI tasks: input errors, options, train/evaluate/predict on BasicMotions and on UEA fixtures."""

import json
import pathlib
import re

import keras
import numpy as np
import pytest

from core import cli
from core.data import samples
from domains.har.data import load_uea_ts
from core.registry import RunConfig
from domains.har.task import FusionActNetTask, _load, _read_windows


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


UEA = pathlib.Path(__file__).resolve().parent / "data" / "fixtures" / "uea"
# A small FusionActNet, fused stage only (the two-stage recipe is tested in test_training.py).
TINY = ["--option", "width=0.0625", "--option", "expert_epochs=[0,0]", "--epochs", "1", "--verbose", "0"]


def test_cli_trains_fusionactnet_on_a_variable_length_set_and_chooses_its_static_classes(tmp_path):
    # 2 channels, 18-30 steps per case, 5 classes: shorter than FusionActNet's 32-step minimum.
    out = tmp_path / "fa"
    assert cli.main(["train", "har.fusionactnet", "--data", str(UEA / "GaitVariable"), "--output", str(out), *TINY]) == 0
    results = json.loads((out / "train_results.json").read_text())
    assert (results["dataset"], results["channels"], results["window_length"]) == ("GaitVariable", 2, 32)
    assert results["classes"] == "lie, sit, walk, jog, jump" and results["n_test"] == 10
    assert results["length_handling"].startswith("series of 19-30 (train) and 18-30 (test) steps resampled")
    assert results["static_classes"] == "lie, sit" and results["grouping"].startswith("activity rule on the training")
    model = keras.saving.load_model(out / "best.keras")
    assert model.input_shape == (None, 32, 2) and model.static_classes == ["lie", "sit"]
    assert np.array(results["confusion_matrix"]).sum(axis=1).tolist() == [2, 2, 2, 2, 2]

    # predict refuses the variable-length test file unless told how to fit it to the model's length.
    test_file = UEA / "GaitVariable" / "GaitVariable_TEST.ts"
    with pytest.raises(ValueError, match=r"GaitVariable_TEST.ts: the model takes windows of 32 time steps. "
                                         r"Received: windows of 18-30 time steps"):
        _read_windows(test_file, 2, 32)
    assert cli.main(["predict", "har.fusionactnet", "--model", str(out / "best.keras"), "--output", str(tmp_path / "pr"),
                     "--option", "resize=resample", str(test_file)]) == 0
    rows = [line.split(",") for line in (tmp_path / "pr" / "predictions.csv").read_text().splitlines()[1:]]
    assert len(rows) == 10 and {row[2] for row in rows} <= {"lie", "sit", "walk", "jog", "jump"}


def test_static_classes_from_the_option_or_known_per_set():
    task = FusionActNetTask()
    for root, options, static, grouping in (
        (UEA / "GaitVariable" / "GaitVariable_TRAIN.ts", {"static_classes": '["lie"]'}, ["lie"], "--option static_classes"),
        (None, {}, ["Standing"], "the known postures of BasicMotions"),
    ):
        config = RunConfig(output_dir=pathlib.Path("unused"), data=root,
                           options=task.resolve_options({"width": "0.0625", **options}))
        model, configured = task.build_model(_load(config, min_length=task.min_length), config)
        assert (model.static_classes, configured["grouping"]) == (static, grouping)
        assert configured["parameters"] == model.count_params() < 40_000
    with pytest.raises(ValueError, match=r"width must be positive. Received: width=0.0"):
        task.build_model(_load(config), RunConfig(output_dir=pathlib.Path("unused"),
                                                  options=task.resolve_options({"width": "0"})))


def test_cli_trains_resnet1d_on_a_univariate_set_and_predict_names_a_wrong_length(tmp_path, capsys):
    # 1 channel, 40 steps, 3 classes: the names come from the file's @classLabel line.
    out = tmp_path / "rn"
    folder = UEA / "GaitUnivariate"
    assert cli.main(["train", "har.resnet1d", "--data", str(folder), "--output", str(out), "--epochs", "1",
                     "--verbose", "0", "--option", "depth=10"]) == 0
    results = json.loads((out / "train_results.json").read_text())
    assert (results["channels"], results["window_length"], results["classes"]) == (1, 40, "still, walk, run")
    assert "length_handling" not in results and results["n_test"] == 6

    short = tmp_path / "short.npy"
    np.save(short, np.zeros((3, 25, 1), "float32"))
    assert cli.main(["predict", "har.resnet1d", "--model", str(out / "best.keras"), "--output", str(tmp_path / "p"),
                     str(short)]) == 1
    assert re.search(r"short.npy: the model takes windows of 40 time steps. Received: windows of 25 time steps",
                     capsys.readouterr().err)
    assert cli.main(["predict", "har.resnet1d", "--model", str(out / "best.keras"), "--output", str(tmp_path / "p"),
                     "--option", "resize=pad", str(short), str(folder / "GaitUnivariate_TEST.ts")]) == 0
    predicted = [line.split(",")[2] for line in (tmp_path / "p" / "predictions.csv").read_text().splitlines()[1:]]
    assert len(predicted) == 9 and set(predicted) <= {"still", "walk", "run"}

    # A model file of another task is refused by name, before TensorFlow sees it.
    assert cli.main(["predict", "mri.disgan", "--model", str(out / "best.keras"), "--output", str(tmp_path / "m"),
                     "head.nii.gz"]) == 1
    assert re.search(r"best.keras holds a Classifier, a model of har.resnet1d; mri.disgan loads a DISGAN or a "
                     r"disgan_generator", capsys.readouterr().err)
    assert cli.main(["evaluate", "har.fusionactnet", "--model", str(out / "best.keras"), "--data", str(folder),
                     "--output", str(tmp_path / "e")]) == 1
    assert "a model of har.resnet1d; har.fusionactnet loads a FusionActNet" in capsys.readouterr().err
    # evaluate on the same set with the right task scores what train scored.
    assert cli.main(["evaluate", "har.resnet1d", "--model", str(out / "best.keras"), "--data", str(folder),
                     "--output", str(tmp_path / "e2"), "--verbose", "0"]) == 0
    assert json.loads((tmp_path / "e2" / "evaluate_results.json").read_text())["accuracy"] == results["accuracy"]
    assert cli.main(["evaluate", "har.resnet1d", "--model", str(out / "best.keras"), "--data", str(UEA / "GaitVariable"),
                     "--output", str(tmp_path / "e3")]) == 1
    assert ("was trained on 1 channels and classes ['still', 'walk', 'run']. Received: GaitVariable with 2 channels"
            in capsys.readouterr().err)
