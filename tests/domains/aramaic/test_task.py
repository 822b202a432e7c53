"""`aramaic.letters`: the CLI task trains, evaluates (synthetic or real crops) and predicts; bad input is refused."""

import csv
import json

import keras
import numpy as np
import pytest
from PIL import Image

from core import cli
from core.registry import RunConfig, get_task
from domains.aramaic.synth import AramaicSynth
from domains.aramaic.task import DEMO_OPTIONS as TINY  # under RESUITE_SMOKE=1: 32 px, ResNet-10 width 4, 2 steps


@pytest.fixture(scope="module")
def trained(tmp_path_factory, noto_font):
    """`resuite demo aramaic.letters` in smoke mode: the preset scored, then a tiny training run (TINY)."""
    folder = tmp_path_factory.mktemp("aramaic_run")
    task = get_task("aramaic.letters")
    row = task.demo(RunConfig(output_dir=folder, epochs=1, verbose=0, options=task.resolve_options()))
    return row, folder


@pytest.fixture(scope="module")
def crops(tmp_path_factory, noto_font):
    """A folder in the real-crops layout (one sub-folder per letter), written by the synth's export."""
    root = tmp_path_factory.mktemp("crops")
    AramaicSynth(image_size=40, fonts=noto_font).export_folder(root, 30, seed=11)
    (root / "Alef" / "00000000.png").rename(root / "Alef" / "big.png")
    return root


def test_demo_scores_the_preset_then_trains(trained):
    row, folder = trained
    assert row["result"].startswith("preset aramaic_letters_small: accuracy") and "chance 4.3%" in row["baseline"]
    assert (folder / "preset" / "report.json").is_file()


def test_train_reports_test_scores_and_calibrates(trained):
    _, folder = trained
    report = json.loads((folder / "test" / "report.json").read_text())
    assert report["n_test"] == TINY["test_examples"]
    assert len(report["accuracy_by_severity"]) == 5 and sum(r["n"] for r in report["accuracy_by_elevation"]) == 23
    assert min(r["range"][0] for r in report["accuracy_by_severity"] if r["n"]) >= 0.2  # harder test damage
    assert {"best.keras", "final.keras", "calibrated.keras", "log.csv"} <= {p.name for p in folder.iterdir()}
    assert len((folder / "log.csv").read_text().splitlines()) == 2  # one epoch
    calibrated = keras.saving.load_model(folder / "calibrated.keras")  # the temperature and threshold are kept
    assert calibrated.temperature == report["temperature"] != 1.0
    assert calibrated.illegible_threshold == report["illegible_threshold"]
    assert calibrated.image_size == TINY["image_size"]
    for name in ("confusion_matrix.png", "accuracy_coverage.png", "conditions.png", "mistakes.png"):
        assert (folder / "test" / name).stat().st_size > 1000


def test_evaluate_on_real_crops_folder(trained, crops, tmp_path):
    _, folder = trained
    config = RunConfig(output_dir=tmp_path, model_path=str(folder / "calibrated.keras"), data=str(crops))
    results = get_task("aramaic.letters").evaluate(config)
    assert results["n_test"] == 30 and "accuracy_by_severity" not in results  # real crops: no conditions


def test_evaluate_with_ablation_writes_the_stage_table(trained, crops, tmp_path):
    _, folder = trained
    task = get_task("aramaic.letters")
    options = task.resolve_options({"ablation": True, "ablation_examples": 23, "test_examples": 46, "val_examples": 23})
    config = RunConfig(output_dir=tmp_path, model_path=str(folder / "calibrated.keras"), options=options)
    results = task.evaluate(config)
    table = json.loads((tmp_path / "ablation.json").read_text())
    assert results["n_test"] == 46 and table["quartile_examples"] == 46 and len(table["variants"]) == 13
    assert results["ablation: all (the test split)"] == table["variants"][-1]["accuracy"]
    assert (tmp_path / "ablation.png").is_file() and (tmp_path / "report.json").is_file()
    with pytest.raises(ValueError, match="does not apply to real crops"):
        task.evaluate(RunConfig(output_dir=tmp_path, model_path=config.model_path, data=str(crops), options=options))


def test_predict_prints_top3_or_illegible(trained, crops, tmp_path, capsys):
    _, folder = trained
    image = crops / "Bet" / "00000001.png"
    status = cli.main(["predict", "aramaic.letters", "--model", str(folder / "calibrated.keras"), "--output",
                       str(tmp_path), str(image), str(crops / "Gimel")])
    assert status == 0
    printed = capsys.readouterr().out
    line = next(line for line in printed.splitlines() if line.startswith(str(image)))
    assert line.count("%") == 3 and line.count("|") == 2  # three letters with their probabilities
    rows = list(csv.DictReader((tmp_path / "predictions.csv").open()))
    assert len(rows) == 1 + 2 and rows[0]["file"] == str(image)
    p = [float(rows[0][f"p{i}"]) for i in (1, 2, 3)]
    assert p == sorted(p, reverse=True) and sum(p) <= 1.0 + 1e-6
    assert (rows[0]["answer"] == "illegible") == (float(rows[0]["confidence"]) < json.loads(
        (tmp_path / "predict_results.json").read_text())["illegible_threshold"] - 1e-4)


@pytest.mark.parametrize("make, message", [
    (lambda root: (root / "Beth").mkdir(), r"sub-folders \['Beth'\] are not letter names"),
    (lambda root: (root / "Alef" / "empty.png").write_bytes(b""), r"empty.png: the image file is empty"),
    (lambda root: (root / "Alef" / "bad.png").write_bytes(b"not an image"), r"bad.png: not a readable image"),
])
def test_bad_crop_folders_are_refused_naming_the_problem(trained, tmp_path, capsys, make, message):
    _, folder = trained
    root = tmp_path / "crops"
    (root / "Alef").mkdir(parents=True)
    Image.fromarray(np.zeros((20, 20, 3), "uint8")).save(root / "Alef" / "ok.png")
    make(root)
    status = cli.main(["evaluate", "aramaic.letters", "--model", str(folder / "calibrated.keras"), "--data", str(root),
                       "--output", str(tmp_path / "out")])
    assert status == 1
    import re

    assert re.search(message, capsys.readouterr().err)


def test_missing_model_and_options(tmp_path):
    task = get_task("aramaic.letters")
    with pytest.raises(FileNotFoundError, match="nope.keras: no such model file"):
        task.predict(RunConfig(output_dir=tmp_path, model_path=str(tmp_path / "nope.keras")), ["x.png"])
    with pytest.raises(ValueError, match="has no option 'colour'"):
        task.resolve_options({"colour": "red"})


def test_fine_tune_on_a_real_crops_layout(trained, noto_font, tmp_path):
    _, folder = trained
    root = tmp_path / "kilamuwa"
    synth = AramaicSynth(image_size=32, fonts=noto_font)
    for split, seed in (("train", 1), ("valid", 2)):  # no test/: nothing is scored (report() is tested above)
        synth.export_folder(root / split, 23, seed=seed)
    config = RunConfig(output_dir=tmp_path / "run", epochs=1, batch_size=8, data=str(root),
                       model_path=str(folder / "calibrated.keras"), options=dict(TINY))
    results = get_task("aramaic.letters").train(config)
    assert results["train_crops"] == 23 and results["val_crops"] == 23 and "n_test" not in results
    assert (tmp_path / "run" / "calibrated.keras").is_file() and (tmp_path / "run" / "best.keras").is_file()
    (root / "valid").rename(root / "elsewhere")
    with pytest.raises(ValueError, match="needs valid/"):
        get_task("aramaic.letters").train(config)
