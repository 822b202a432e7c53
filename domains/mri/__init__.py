"""domains.mri — brain MRI: DISGAN super-resolution and reference-free motion-artefact quality.

- `domains.mri.io`: NIfTI through nibabel, with clear errors for every bad file (both models).
- `domains.mri.disgan`: `DISGAN` (3-D RRDB generator, wavelet-informed 3-D UNet discriminator).
- `domains.mri.quality`: `SSIMRegressor`, k-space motion simulation, 3/5/10-class grading.

Example:
```python
from domains.mri import DISGAN, SSIMRegressor
sr = DISGAN.from_preset("disgan_mni_psnr")
quality = SSIMRegressor.from_preset("ssim_mni_small")
```
"""

from domains.mri.disgan import DISGAN
from domains.mri.quality import SSIMRegressor

__all__ = ["DISGAN", "SSIMRegressor"]
