"""`fundus.dr` through the CLI: train on SYNTHETIC photographs, evaluate, predict with the gate first."""

import csv
import json

import numpy as np
import pytest
from PIL import Image

from core import cli
from core.registry import RunConfig, get_task

# The data options of the demo's training run under smoke mode (task.DEMO_OPTIONS).
DEMO_DATA = ["--option", "synthetic_train=16", "--option", "synthetic_validation=8", "--option", "synthetic_test=16",
             "--option", "raw_size=128", "--option", "n_bootstrap=50", "--option", "tta_samples=2"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The demo (smoke mode): the real photograph through the gate, a brief training run on SYNTHETIC drawings."""
    out = tmp_path_factory.mktemp("fundus") / "demo"
    rows = get_task("fundus.dr").demo(RunConfig(output_dir=out, verbose=0))
    assert rows["baseline"] == "chance: AUC 0.500" and "SYNTHETIC" in rows["note"]
    assert rows["real photograph (skimage retina)"].startswith("gate: gradeable")
    return out


def test_train_and_evaluate_agree(trained, tmp_path):
    results = json.loads((trained / "test_report.json").read_text())
    assert results["n"] == 16 and results["auc_ci"][0] <= results["auc"] <= results["auc_ci"][1]
    for name in ("best.keras", "final.keras", "log.csv", "roc.png", "referral_curve.png", "gradcam.png"):
        assert (trained / name).exists(), name
    assert cli.main(["evaluate", "fundus.dr", "--model", str(trained / "best.keras"), "--output", str(tmp_path),
                     "--verbose", "0", *DEMO_DATA]) == 0
    evaluated = json.loads((tmp_path / "evaluate_results.json").read_text())
    assert "SYNTHETIC" in evaluated["data"]
    # The same SYNTHETIC test split and the same model (restored to its best epoch): the same AUC.
    assert evaluated["auc"] == pytest.approx(results["auc"])


def test_predict_gates_first(trained, retina, tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    Image.fromarray(retina[::2, ::2]).save(photos / "good.jpg")
    Image.fromarray((retina[::2, ::2] * 0.08).astype(np.uint8)).save(photos / "dark.png")
    out = tmp_path / "pred"
    assert cli.main(["predict", "fundus.dr", "--model", str(trained / "best.keras"), "--output", str(out),
                     "--option", "tta_samples=2", str(photos)]) == 0
    rows = {row["file"].split("/")[-1]: row for row in csv.DictReader(open(out / "predictions.csv"))}
    assert rows["good.jpg"]["gradeable"] == "True" and 0 <= float(rows["good.jpg"]["p_referable"]) <= 1
    assert float(rows["good.jpg"]["uncertainty"]) >= 0
    assert rows["dark.png"]["gradeable"] == "False" and rows["dark.png"]["p_referable"] == ""
    assert rows["dark.png"]["reason"].startswith("too dark")


def test_predict_bad_inputs(trained, tmp_path):
    task = get_task("fundus.dr")
    (tmp_path / "empty").mkdir()

    def run(*inputs):
        config = RunConfig(output_dir=tmp_path / "out", model_path=str(trained / "best.keras"))
        return task.predict(config, [str(i) for i in inputs])

    with pytest.raises(ValueError, match="empty: no images in this folder"):
        run(tmp_path / "empty")
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    with pytest.raises(ValueError, match="broken.jpg: not a readable image"):
        run(tmp_path / "broken.jpg")
    Image.fromarray(np.zeros((300, 300), np.uint8)).save(tmp_path / "gray.png")
    with pytest.raises(ValueError, match="gray.png: expected a colour"):
        run(tmp_path / "gray.png")
    with pytest.raises(ValueError, match="Give a model"):
        task.predict(RunConfig(output_dir=tmp_path), [str(tmp_path / "gray.png")])
    with pytest.raises(ValueError, match="has no option 'size'"):
        task.resolve_options({"size": "64"})


def test_evaluate_on_public_layouts(trained, tmp_path):
    fixtures = __import__("pathlib").Path(__file__).parent / "data" / "fixtures"
    model = str(trained / "best.keras")
    small = ["--option", "n_bootstrap=20", "--option", "tta_samples=2"]
    assert cli.main(["evaluate", "fundus.dr", "--model", model, "--data", str(fixtures / "idrid"), "--option",
                     "format=idrid", "--output", str(tmp_path / "idrid"), "--verbose", "0", *small]) == 0
    idrid = json.loads((tmp_path / "idrid" / "evaluate_results.json").read_text())
    assert idrid["n_test"] == 3 and "idrid" in idrid["data"] and "SYNTHETIC" not in idrid["data"]
    sets = tmp_path / "sets"
    sets.mkdir()
    for name in ("eyepacs", "aptos"):
        (sets / name).symlink_to(fixtures / name)
    assert cli.main(["evaluate", "fundus.dr", "--model", model, "--data", str(sets), "--option",
                     f"split_file={fixtures / 'global_split.ini'}", "--output", str(tmp_path / "split"),
                     "--verbose", "0", *small]) == 0
    report = json.loads((tmp_path / "split" / "test_report.json").read_text())
    assert report["n"] == 5 and set(report["per_source"]) == {"Kaggle", "APTOS2019"}
    assert cli.main(["evaluate", "fundus.dr", "--model", model, "--data", str(sets), "--output",
                     str(tmp_path / "x")]) != 0  # no format: refused with a message


def test_evaluate_released_predictions(tmp_path):
    # The task's `released` option (Python API: the CLI's evaluate requires --model).
    results = get_task("fundus.dr").evaluate(RunConfig(output_dir=tmp_path, options={
        "released": "validation", "n_bootstrap": 20}))
    assert results["n_test"] == 9569 and round(results["auc"], 3) == 0.972
    assert (tmp_path / "roc.png").exists()
    from domains.fundus.evaluation import main

    assert main(["validation", str(tmp_path / "module")]) == 0
    assert (tmp_path / "module" / "test_report.json").exists()
