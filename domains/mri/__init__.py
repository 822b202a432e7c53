"""domains.mri — brain MRI: DISGAN super-resolution and reference-free motion-artefact quality.

- `domains.mri.io`: NIfTI through nibabel, with clear errors for every bad file.
- `domains.mri.quality`: `SSIMRegressor`, k-space motion simulation, 3/5/10-class grading.

Example:
```python
from domains.mri import SSIMRegressor, simulate_motion
```
"""

from domains.mri.quality import SSIMRegressor, simulate_motion, ssim_bins

__all__ = ["SSIMRegressor", "simulate_motion", "ssim_bins"]
