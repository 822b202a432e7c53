"""The shipped fundus preset: small, documented as SYNTHETIC-trained, loads and predicts."""

import numpy as np
import pytest

from core import presets
from domains.fundus import DRClassifier
from domains.fundus.presets import PACKAGE, RECIPES

NAME = "dr_synthetic_small"


def test_the_preset_is_small_documented_and_loads():
    metadata = presets.list_presets(PACKAGE)[NAME]
    assert metadata["size_mb"] <= presets.MAX_PRESET_MB
    assert metadata["seed"] == 0 and metadata["command"].startswith("make presets")
    assert "SYNTHETIC" in metadata["description"] and "SYNTHETIC" in metadata["data"]
    assert 0.5 < metadata["metrics"]["synthetic_test"]["auc"] <= 1.0
    model = DRClassifier.from_preset(NAME)
    assert model.image_size == RECIPES[NAME][1]["image_size"] and model.count_params() == metadata["parameters"]
    assert list(model.backbone.get_config()["widths"]) == [16, 32, 64, 128]
    p = model.referable_probability(np.full((2, 128, 128, 3), 0.5, "float32"))
    assert p.shape == (2,) and np.all((p >= 0) & (p <= 1))
    with pytest.raises(ValueError, match=f"No preset 'nope' in {PACKAGE}. Its presets: {NAME}"):
        DRClassifier.from_preset("nope")
