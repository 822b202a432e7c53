"""The shipped APNet preset: small, documented, loads as an APNet, and (large) its recorded held-out scores repeat."""

import numpy as np
import pytest

from core import presets
from domains.speech import APNet
from domains.speech.presets import DEFAULT_PRESET, PACKAGE, RECIPES


def test_the_preset_is_small_documented_and_vocodes():
    metadata = presets.list_presets(PACKAGE)[DEFAULT_PRESET]
    assert metadata["size_mb"] <= presets.MAX_PRESET_MB and metadata["seed"] == 0
    assert metadata["command"].startswith("make presets") and "resuite train speech.apnet" in metadata["command"]
    options, epochs = RECIPES[DEFAULT_PRESET][1:3]
    assert metadata["training"]["steps"] == epochs * options["steps_per_epoch"]  # a step budget, not the time cap
    model = APNet.from_preset(DEFAULT_PRESET)
    assert model.generator.count_params() == metadata["parameters"]
    assert model.feature_config.sample_rate == 8000
    waveform = (0.1 * np.random.default_rng(0).normal(size=(1, 4000))).astype("float32")
    audio = model.vocode(waveform)
    assert audio.shape == (1, 4000) and np.all(np.isfinite(audio))
    with pytest.raises(ValueError, match="No preset 'nope' in domains.speech"):
        APNet.from_preset("nope")


@pytest.mark.large
def test_the_recorded_held_out_scores_repeat(tmp_path):
    from domains.speech.data import asterisk_files, split_files
    from domains.speech.evaluation import report

    metadata = presets.list_presets(PACKAGE)[DEFAULT_PRESET]
    options = RECIPES[DEFAULT_PRESET][1]
    test = split_files(asterisk_files(), 0.05, 0.05, seed=0)["test"][: options["test_files"]]
    assert [p.name for p in test] == metadata["test_files"][: options["test_files"]]
    scored = report(APNet.from_preset(DEFAULT_PRESET), test, tmp_path, DEFAULT_PRESET)["mean"]
    for row, key in (("APNet", "apnet"), ("Griffin-Lim", "griffin_lim")):
        for metric in ("lsd_db", "stoi", "pesq", "mcd_db", "ip_error"):
            assert scored[row][metric] == pytest.approx(metadata["metrics"][f"test_{key}_{metric}"], abs=2e-3)
