"""The shipped SSIM-regression preset: what it is, that it loads, and (large) that its recorded scores repeat."""

import numpy as np
import pytest

from core import presets
from domains.mri.quality import SSIMRegressor
from domains.mri.quality.presets import PACKAGE

NAME = "ssim_mni_small"


def test_the_preset_is_small_documented_and_loads():
    metadata = presets.list_presets(PACKAGE)[NAME]
    assert metadata["size_mb"] <= presets.MAX_PRESET_MB
    assert metadata["seed"] == 0 and metadata["command"].startswith("make presets")
    model = SSIMRegressor.from_preset(NAME)
    assert model.slice_size == 128 and model.count_params() == metadata["parameters"]
    assert list(model.backbone.get_config()["widths"]) == [16, 32, 64, 128]
    ssim = model.predict_ssim(np.zeros((2, 128, 128, 1), "float32"))
    assert ssim.shape == (2,) and np.all((ssim > 0) & (ssim < 1))
    with pytest.raises(ValueError, match="No preset 'nope' in domains.mri.quality. Its presets: ssim_mni_small"):
        SSIMRegressor.from_preset("nope")


def test_the_wide_preset_fits_in_float16_and_carries_its_learning_curve():
    metadata = presets.list_presets(PACKAGE)["ssim_mni_wide"]
    assert metadata["size_mb"] <= presets.MAX_PRESET_MB and metadata["weights_storage"].startswith("float16")
    assert metadata["data"]["axis"] == [0, 1, 2] and "--option remap_probability=0.5" in metadata["command"]
    steps = [point["step"] for point in metadata["learning_curve"]]
    assert steps == sorted(steps) and steps[-1] == 3000
    model = SSIMRegressor.from_preset("ssim_mni_wide")
    assert list(model.backbone.get_config()["widths"]) == [32, 64, 128, 256]
    assert model.count_params() == metadata["parameters"]


@pytest.mark.large
def test_the_recorded_held_out_scores_repeat(tmp_path):
    from core.registry import RunConfig
    from domains.mri.quality.evaluation import report
    from domains.mri.quality.task import SSIMRegressionTask, _data

    metadata = presets.list_presets(PACKAGE)[NAME]
    task = SSIMRegressionTask()
    config = RunConfig(output_dir=tmp_path, options=task.resolve_options({"slice_size": 128}))
    scored = report(SSIMRegressor.from_preset(NAME), _data(config, 128), tmp_path, NAME)
    assert scored["residual_std"] == pytest.approx(metadata["metrics"]["test"]["residual_std"], abs=1e-4)
    assert scored["accuracy_3"] == pytest.approx(metadata["metrics"]["test"]["accuracy_3"], abs=1e-9)
