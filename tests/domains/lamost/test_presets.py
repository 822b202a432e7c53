"""The shipped RRNet preset: under 10 MB with float16 storage that keeps its numbers, documented, loads in float32."""

import numpy as np
import pytest

from core import presets
from domains.lamost import RRNet
from domains.lamost import presets as lamost_presets
from domains.lamost.presets import DEFAULT_PRESET, FLOAT16_TOLERANCE, PACKAGE, float16_check


def test_the_preset_is_small_documented_and_keeps_its_float32_numbers():
    metadata = presets.list_presets(PACKAGE)[DEFAULT_PRESET]
    assert metadata["size_mb"] <= presets.MAX_PRESET_MB and metadata["seed"] == 0
    assert metadata["command"].startswith("make presets") and "SYNTHETIC" in metadata["description"]
    assert metadata["weights_storage"].startswith("float16 for the 3 arrays of >= 65536 values")
    check = metadata["metrics"]["float16_check"]
    for label in ("Teff", "logg", "[Fe/H]"):
        mae32, mae16 = check[label]["mae_float32"], check[label]["mae_float16"]
        assert abs(mae16 - mae32) <= FLOAT16_TOLERANCE * mae32
    model = RRNet.from_preset(DEFAULT_PRESET)
    assert model.count_params() == metadata["parameters"] and model.mode == "post-RNN"
    kernel = model.get_layer("hidden_0").kernel.numpy()   # 14,400 × 256: stored in float16, computed in float32
    assert kernel.dtype == np.float32 and np.array_equal(kernel, kernel.astype(np.float16).astype(np.float32))
    mean = model.standardization.mean.numpy()             # 7,200 values: kept in float32
    assert not np.array_equal(mean, mean.astype(np.float16).astype(np.float32))


def test_float16_check_refuses_a_storage_that_moves_the_errors(tmp_path, monkeypatch):
    # Every array stored in float16 and no change allowed: the tiny model's MAEs move, so it is refused.
    model = RRNet(mode="raw", widths=(2, 4, 8), num_pixels=720, rnn_steps=10, hidden_units=(8,))
    rng = np.random.default_rng(0)
    for weight in model.get_layer("gaussian").weights:
        weight.assign(rng.normal(0, 0.5, weight.shape).astype("float32"))
    x = np.stack([rng.normal(1, 0.1, (16, 720)), np.ones((16, 720))], -1).astype("float32")
    y = rng.normal(size=(16, 3)) * [500, 1, 0.3] + [5000, 3, 0]
    monkeypatch.setattr(lamost_presets, "FLOAT16_FROM", 1)
    monkeypatch.setattr(lamost_presets, "FLOAT16_TOLERANCE", 0.0)
    with pytest.raises(ValueError, match="The float16 storage changes the Teff MAE"):
        float16_check(model, (x, y, None), tmp_path)
