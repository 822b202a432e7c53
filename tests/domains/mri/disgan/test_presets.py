"""The shipped DISGAN preset: what it is, that it loads as a DISGAN, and (large) that its recorded scores repeat."""

import numpy as np
import pytest

from core import presets
from domains.mri.disgan import DISGAN
from domains.mri.disgan.presets import DEFAULT_PRESET, PACKAGE, load_preset_generator


def test_the_preset_is_small_documented_and_loads_as_a_disgan():
    metadata = presets.list_presets(PACKAGE)[DEFAULT_PRESET]
    assert metadata["size_mb"] <= presets.MAX_PRESET_MB
    assert metadata["seed"] == 0 and metadata["command"].startswith("make presets")
    assert metadata["metrics"]["sr_tricubic_psnr"] > 0
    model = DISGAN.from_preset(DEFAULT_PRESET)
    assert model.generator.count_params() == metadata["parameters"]
    assert model.feature_extractor is None
    lr = np.random.default_rng(0).normal(size=(1, 8, 8, 8, 1)).astype("float32")
    np.testing.assert_array_equal(model.predict(lr, verbose=0), load_preset_generator().predict(lr, verbose=0))
    assert model.predict(lr, verbose=0).shape == (1, 16, 16, 16, 1)


@pytest.mark.large
def test_the_recorded_held_out_scores_repeat(tmp_path):
    from core.data import samples
    from domains.mri.disgan.evaluation import report, summary
    from domains.mri.disgan.training import template_split

    metadata = presets.list_presets(PACKAGE)[DEFAULT_PRESET]
    tests = template_split(samples.fetch("mri.mni152_1mm", verbose=False), 32, 32).test
    scores = summary(report({"DISGAN": load_preset_generator()}, tests, tmp_path, "preset", noise_levels=(0.0, 0.05)))
    for key, value in metadata["metrics"].items():
        assert scores[key] == pytest.approx(value, abs=2e-3), key
