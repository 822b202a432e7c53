"""SSIM-regression presets: a narrow ResNet-18 trained on the real sample volumes, shipped in the package.

`make presets` (scripts/make_presets.py) trains them with `make_presets()`, seed 0; the held-out
test scores are stored in each preset's `metadata.json`:

- `ssim_mni_small`: the task's default recipe (128 x 128 axial slices, 20 epochs x 30 steps x 16
  freshly corrupted slices, contrast augmentation) on a ResNet-18 of a quarter width
  (16-32-64-128 channels: 0.7 M parameters, 3.0 MB).
- `ssim_mni_wide`: a ResNet-18 of half width (32-64-128-256: 2.8 M parameters, kernels stored in
  float16), slices along all three axes, half of them remapped to another contrast, 60 epochs x
  50 steps (3,000 steps, 5 x the default); its `metadata.json` also holds the learning curve
  (the test set scored every 5 epochs of the run).

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
    "ssim_mni_wide": (
        "SSIM regressor, ResNet-18 at half width (32-64-128-256), 128 x 128 slices, sagittal + coronal + axial, "
        "contrast augmentation and intensity remapping to other contrasts (half the slices), trained on the MNI152 "
        "template and nibabel's anatomical.nii (slab split per volume and axis); large kernels stored in float16",
        {"width": 32, "slice_size": 128, "axis": "all", "remap_probability": 0.5, "steps_per_epoch": 50,
         "curve_every": 5},
        60,
    ),
}
# Recipes whose large weight arrays are stored in float16 (`core.presets.store_float16`), and from which size.
FLOAT16_FROM = {"ssim_mni_wide": 4096}


def make_presets(names=None, seed=0, verbose=1):
    """Train and save the presets (the command behind `make presets`), returning their folders.

    Args:
        names: list of str or None (all of `RECIPES`).
        seed: int. Defaults to 0.
        verbose: int. Keras verbosity. Defaults to 1.
    """
    from domains.mri.quality.task import SSIMRegressionTask

    def describe(results, config):
        folder = pathlib.Path(results["report_json"]).parent
        report = json.loads(pathlib.Path(results["report_json"]).read_text())
        metadata = {"metrics": {key: report[key] for key in report if key.startswith("test")},
                    "data": report["data"], "train_seconds": results["train_seconds"]}
        curve = folder / "learning_curve.json"
        if curve.exists():  # the test set at checkpoints of this run (recipes with curve_every)
            metadata["learning_curve"] = json.loads(curve.read_text())["points"]
        return keras.saving.load_model(results["best_model"]), metadata

    made = {}
    for name in names or RECIPES:
        made.update(presets.train_presets(SSIMRegressionTask(), PACKAGE, RECIPES, describe, [name], seed, verbose,
                                          FLOAT16_FROM.get(name)))
    return made
