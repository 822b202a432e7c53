"""The shipped Aramaic preset: what it is, that it loads and answers, and (large) that its scores repeat (the demo: test_task.py)."""

import numpy as np
import pytest

from core import presets
from domains.aramaic import AramaicClassifier
from domains.aramaic.presets import PACKAGE, RECIPES

NAME = "aramaic_letters_small"


def test_the_preset_is_small_documented_calibrated_and_loads():
    metadata = presets.list_presets(PACKAGE)[NAME]
    assert metadata["size_mb"] <= presets.MAX_PRESET_MB
    assert metadata["seed"] == 0 and metadata["command"].startswith("make presets")
    model = AramaicClassifier.from_preset(NAME)
    assert model.image_size == RECIPES[NAME][1]["image_size"] and model.count_params() == metadata["parameters"]
    assert list(model.backbone.get_config()["widths"]) == [16, 32, 64, 128]
    test = metadata["metrics"]["synthetic_test"]
    assert model.temperature == pytest.approx(test["temperature"]) and model.temperature != 1.0
    assert model.illegible_threshold == pytest.approx(test["illegible_threshold"])
    answers = model.answer(np.zeros((2, 64, 64, 3), "float32"))
    assert len(answers) == 2 and len(answers[0]["top3"]) == 3
    with pytest.raises(ValueError, match=f"No preset 'nope' in {PACKAGE}. Its presets: {NAME}"):
        AramaicClassifier.from_preset("nope")


@pytest.mark.large
def test_the_recorded_synthetic_test_scores_repeat(tmp_path):
    from domains.aramaic.data import synthetic_splits
    from domains.aramaic.evaluation import report

    metadata = presets.list_presets(PACKAGE)[NAME]
    model = AramaicClassifier.from_preset(NAME)
    test = synthetic_splits(image_size=model.image_size, val_examples=23, test_examples=2300, seed=0).test
    scored = report(model, test[0], test[1], tmp_path, NAME, params=test[2])
    recorded = metadata["metrics"]["synthetic_test"]
    assert scored["accuracy"] == pytest.approx(recorded["accuracy"], abs=1e-9)
    assert scored["top3_accuracy"] == pytest.approx(recorded["top3_accuracy"], abs=1e-9)
