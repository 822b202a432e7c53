"""`lamost.rrnet`: the demo (the preset, then a brief run), and from the CLI an ensemble, evaluate, predict, errors."""

import json

import numpy as np
import pytest

from core import cli
from core.registry import RunConfig, get_task
from domains.lamost.presets import DEFAULT_PRESET
from domains.lamost.task import _load
from tests.domains.lamost.conftest import FIXTURES, REPEATED_STAR

TINY = ["--option", "n_train=32", "--option", "n_val=16", "--option", "n_test=16", "--option", "mode=raw",
        "--option", "hidden_units=[8]", "--option", "baseline=false"]
REAL_FILE = FIXTURES / "med-58625-TD192102N424113K01_sp12-076.fits.gz"


def test_demo_scores_the_preset_on_held_out_and_real_spectra_then_trains(tmp_path):
    rows = get_task("lamost.rrnet").demo(RunConfig(output_dir=tmp_path, verbose=0))   # smoke mode (conftest)
    assert rows["result"].startswith(f"preset {DEFAULT_PRESET} on 32 held-out SYNTHETIC spectra")
    assert rows["baseline"].startswith("constant (training mean): Teff ")
    assert " ± " in rows[f"real DR7: {REPEATED_STAR}, 4 epochs"]
    assert "then a brief training run" in rows["note"]
    report = json.loads((tmp_path / "preset" / "test_report.json").read_text())
    assert report["real_files"]["repeated_epochs"][0]["epochs"] == 4
    scores = {name: scored["groups"]["S/N ≥ 10"]["Teff"]["mae"] for name, scored in report["reports"].items()}
    assert scores[DEFAULT_PRESET] < 0.5 * scores["constant (training mean)"]   # the trained preset, not a stand-in
    assert (tmp_path / "best.keras").exists()


def test_cli_train_ensemble_evaluate_predict(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(["train", "lamost.rrnet", "--epochs", "1", "--batch-size", "16", "--output", str(out),
                     "--verbose", "0", *TINY, "--option", "ensemble=2"]) == 0
    results = json.loads((out / "train_results.json").read_text())
    assert results["model"] == str(out / "ensemble") and results["n_test"] == 16
    assert (out / "ensemble" / "member_1.keras").exists() and (out / "predictions.png").exists()
    report = json.loads((out / "test_report.json").read_text())
    assert set(report["reports"]) == {"RRNet ensemble of 2", "RRNet (member 0)", "constant (training mean)"}
    assert report["real_files"]["repeated_epochs"][0]["epochs"] == 4

    no_files = tmp_path / "no_real_files"   # the real files were checked above: not read again
    no_files.mkdir()
    assert cli.main(["evaluate", "lamost.rrnet", "--model", str(out / "ensemble"), "--output", str(tmp_path / "ev"),
                     "--verbose", "0", "--option", "n_test=16", "--option", f"real_files={no_files}"]) == 0
    evaluated = json.loads((tmp_path / "ev" / "evaluate_results.json").read_text())
    assert evaluated["Teff_mae_snr10"] > 0 and evaluated["n_test"] == 16

    capsys.readouterr()
    member = out / "ensemble" / "member_0.keras"
    assert cli.main(["predict", "lamost.rrnet", "--model", str(member), "--output", str(tmp_path / "pr"),
                     str(REAL_FILE), "--option", "rv=-20"]) == 0
    printed = capsys.readouterr().out
    assert f"{REAL_FILE.name} [COADD]" in printed and " ± " in printed
    lines = (tmp_path / "pr" / "predictions.csv").read_text().splitlines()
    assert len(lines) == 2 and "Teff_sigma" in lines[0]
    row = dict(zip(lines[0].split(","), lines[1].split(",")))
    assert float(row["Teff_sigma"]) > 0 and np.isfinite(float(row["[Fe/H]"]))


def test_cli_predict_with_the_preset(tmp_path, capsys):
    assert cli.main(["predict", "lamost.rrnet", "--preset", DEFAULT_PRESET, "--output", str(tmp_path),
                     str(REAL_FILE)]) == 0
    printed = capsys.readouterr().out
    assert f"{REAL_FILE.name} [COADD]" in printed and "Teff " in printed and " K" in printed
    row = (tmp_path / "predictions.csv").read_text().splitlines()
    values = dict(zip(row[0].split(","), row[1].split(",")))
    assert 3000 < float(values["Teff"]) < 9000 and float(values["logg_sigma"]) > 0


def test_cli_errors_name_the_file(tmp_path, capsys):
    from astropy.io import fits

    low = tmp_path / "spec-55859-F5902_sp01-001.fits"
    fits.PrimaryHDU(np.zeros((5, 3909), "float32")).writeto(low)
    model = tmp_path / "m.keras"
    from domains.lamost.model import RRNet
    RRNet(mode="raw", hidden_units=(8,)).save(model)
    assert cli.main(["predict", "lamost.rrnet", "--model", str(model), "--output", str(tmp_path), str(low)]) == 1
    assert "low-resolution" in capsys.readouterr().err
    with pytest.raises(FileNotFoundError, match="no such model"):
        _load(tmp_path / "none.keras")
    assert cli.main(["train", "lamost.rrnet", "--option", "mode=lstm", "--output", str(tmp_path)]) == 1
    assert cli.main(["predict", "lamost.rrnet", "--preset", "nope", "--output", str(tmp_path), str(REAL_FILE)]) == 1
    assert f"No preset 'nope' in domains.lamost. Its presets: {DEFAULT_PRESET}" in capsys.readouterr().err
