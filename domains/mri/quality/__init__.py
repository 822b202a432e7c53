"""domains.mri.quality — reference-free motion-artefact quality of brain MRI slices.

A 2-D ResNet-18 (`core`) regresses the SSIM between a motion-corrupted slice and its (unseen)
motion-free original, and grades it into 3, 5 or 10 SSIM ranges (Sciarra, Chatterjee et al.,
arXiv 2206.06725). Motion is simulated in k-space in the manner of TorchIO's `RandomMotion`
(`simulate_motion`), inside `tf.data`; slices come from any folder of NIfTI volumes (the real
samples: the MNI152 2009a template and nibabel's anatomical.nii), split by position with gaps.
The CLI task is `mri.ssim_regression`.

Modules: `data` (a package: slices, splits, augmentation, corruption and labels, the tf.data stream,
SYNTHETIC heads), `motion` (k-space simulation), `skull` (a SYNTHETIC
skull and scalp around a skull-stripped volume), `model` (SSIMRegressor), `training`,
`evaluation`, `presets`, `task`.

Example:
```python
from domains.mri.quality import SSIMRegressor, load_quality_data, train_ssim_regressor
data = load_quality_data(slice_size=64)
model = SSIMRegressor(slice_size=64, width=16)
train_ssim_regressor(model, data, "runs/ssim", epochs=1, steps_per_epoch=2)   # best epoch on validation
ssim = model.predict_ssim(data.test_set.x)
```
"""

from domains.mri.quality import task  # noqa: F401  (registers the CLI task mri.ssim_regression)
from domains.mri.quality.data import load_quality_data
from domains.mri.quality.evaluation import ssim_report
from domains.mri.quality.model import SSIMRegressor
from domains.mri.quality.motion import simulate_motion
from domains.mri.quality.skull import synthetic_head
from domains.mri.quality.training import train_ssim_regressor

__all__ = ["SSIMRegressor", "load_quality_data", "simulate_motion", "ssim_report", "synthetic_head", "train_ssim_regressor"]
