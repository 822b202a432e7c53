"""domains.mri — brain MRI: DISGAN super-resolution and reference-free motion-artefact quality.

- `domains.mri.io`: NIfTI through nibabel, with clear errors for every bad file.
- `domains.mri.disgan`: `DISGAN` (3-D RRDB generator, wavelet-informed 3-D UNet discriminator),
  patch data (and the TFDS builder `HcpPatches`), whole-volume tiled inference NIfTI to NIfTI,
  evaluation against interpolation.
- `domains.mri.quality`: `SSIMRegressor`, k-space motion simulation, 3/5/10-class grading.

Example:
```python
from domains.mri import DISGAN, SSIMRegressor
```
"""

from domains.mri.disgan import DISGAN, build_discriminator, build_generator, super_resolve_file
from domains.mri.quality import SSIMRegressor, simulate_motion, ssim_bins

__all__ = [
    "DISGAN",
    "SSIMRegressor",
    "build_discriminator",
    "build_generator",
    "simulate_motion",
    "ssim_bins",
    "super_resolve_file",
]
