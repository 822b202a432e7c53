"""Real sample files of `domains.fundus`: two fundus images from scikit-image's wheel.

Registered with `core.data.samples` (which finds this module by itself); fetch them with
`resuite data fetch --domain fundus`. The checksums were measured on the extracted members.

This module is loaded without its package's `__init__` (so that `resuite data list` imports no
TensorFlow): import nothing here but `core.data.samples`.
"""

from core.data.samples import Sample, register

# One shared dict per artifact.
_SKIMAGE = dict(registry="pypi", package="scikit-image", version="0.26.0", artifact="wheel", artifact_mb=13.7)

register(
    Sample(
        "fundus.retina", "fundus", **_SKIMAGE,
        member="skimage/data/retina.jpg",
        sha256="38a07f36f27f095e818aea7b96d34202c05176d30253c66733f2e00379e9e0e6", nbytes=269564,
        description="colour fundus photograph of a normal left eye, 1411x1411 RGB JPEG (skimage.data.retina)",
        licence="CC0-1.0 (Wikimedia Commons)"),
    Sample(
        "fundus.microaneurysms", "fundus", **_SKIMAGE,
        member="skimage/data/microaneurysms.png",
        sha256="a1e1be59aa447f8ce082f7fa809997ab369a2b137cb6c4202abc647c7ccf6456", nbytes=4950,
        description="102x102 green-channel crop with microaneurysms from an HRF diabetic-retinopathy image",
        licence="CC0-1.0 (HRF database)"),
)
