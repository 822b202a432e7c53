"""SSIM-regression presets: a narrow ResNet-18 trained on the real sample volumes, shipped in the package.

`make presets` (scripts/make_presets.py) trains it with `make_presets()`: the task's full recipe
(128 x 128 slices, 20 epochs x 30 steps x 16 freshly corrupted slices, contrast augmentation)
on a ResNet-18 of a quarter width (16-32-64-128 channels: 0.7 M parameters, 2.8 MB), seed 0; the
held-out test scores are stored in the preset's `metadata.json`.

Example:
```python
from domains.mri.quality import SSIMRegressor
model = SSIMRegressor.from_preset("ssim_mni_small")
```
"""

import json
import pathlib

import keras

from core import presets

PACKAGE = "domains.mri.quality"
RECIPES = {
    "ssim_mni_small": (
        "SSIM regressor, ResNet-18 at a quarter width (16-32-64-128), 128 x 128 slices, contrast "
        "augmentation, trained on the MNI152 template and nibabel's anatomical.nii (slab split)",
        {"width": 16, "slice_size": 128},
        20,
    ),
}


def make_presets(names=None, seed=0, verbose=1):
    """Train and save the presets (the command behind `make presets`), returning their folders.

    Args:
        names: list of str or None (all of `RECIPES`).
        seed: int. Defaults to 0.
        verbose: int. Keras verbosity. Defaults to 1.
    """
    from domains.mri.quality.task import SSIMRegressionTask

    def describe(results, config):
        report = json.loads(pathlib.Path(results["report_json"]).read_text())
        return keras.saving.load_model(results["best_model"]), {
            "metrics": {key: report[key] for key in ("test", "test_contrast")}, "data": report["data"]}

    return presets.train_presets(SSIMRegressionTask(), PACKAGE, RECIPES, describe, names, seed, verbose)
