"""domains.mri.quality — reference-free motion-artefact quality of brain MRI slices.

A 2-D ResNet-18 (`core`) regresses the SSIM between a motion-corrupted slice and its (unseen)
motion-free original, and grades it into 3, 5 or 10 SSIM ranges (Sciarra, Chatterjee et al.,
arXiv 2206.06725). Motion is simulated in k-space in the manner of TorchIO's `RandomMotion`
(`simulate_motion`), inside `tf.data`; slices come from any folder of NIfTI volumes (the real
samples: the MNI152 2009a template and nibabel's anatomical.nii), split by position with gaps.

Example:
```python
from domains.mri.quality import SSIMRegressor, load_quality_data, train_ssim_regressor
data = load_quality_data()                      # sample volumes, 128 x 128 slices
model = SSIMRegressor(slice_size=128, contrast_augmentation=True)
train_ssim_regressor(model, data, "runs/ssim")  # best epoch on validation
ssim = model.predict_ssim(data.test_set.x)
```
"""

from domains.mri.quality import task  # noqa: F401  (registers the CLI task mri.ssim_regression)
from domains.mri.quality.data import (
    CorruptedSet,
    QualityData,
    SliceSet,
    corrupt_slices,
    load_quality_data,
    load_slices,
    split_slices,
    ssim_label,
    training_dataset,
    volume_slices,
)
from domains.mri.quality.evaluation import paper_rows, plot_scatter, ssim_report
from domains.mri.quality.model import (
    PAPER,
    SSIMClasses,
    SSIMRegressor,
    contrast_augment,
    ssim_bins,
    ssim_to_class,
)
from domains.mri.quality.motion import centred_spectrum, simulate_motion
from domains.mri.quality.training import train_ssim_regressor

__all__ = [
    "PAPER",
    "CorruptedSet",
    "QualityData",
    "SSIMClasses",
    "SSIMRegressor",
    "SliceSet",
    "centred_spectrum",
    "contrast_augment",
    "corrupt_slices",
    "load_quality_data",
    "load_slices",
    "paper_rows",
    "plot_scatter",
    "simulate_motion",
    "split_slices",
    "ssim_bins",
    "ssim_label",
    "ssim_report",
    "ssim_to_class",
    "train_ssim_regressor",
    "training_dataset",
    "volume_slices",
]
