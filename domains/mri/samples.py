"""Real sample files of `domains.mri`: the MNI ICBM152 T1 template (nilearn's wheel) and a
tiny real scan (nibabel's wheel). DISGAN reads the template, the SSIM regressor both.

Registered with `core.data.samples` (which finds this module by itself); fetch them with
`resuite data fetch --domain mri`. The checksums were measured on the extracted members.

This module is loaded without its package's `__init__` (so that `resuite data list` imports no
TensorFlow): import nothing here but `core.data.samples`.
"""

from core.data.samples import Sample, register

# One shared dict per artifact.
_NILEARN = dict(registry="pypi", package="nilearn", version="0.14.1", artifact="wheel", artifact_mb=11.5)
_NIBABEL = dict(registry="pypi", package="nibabel", version="5.4.2", artifact="wheel", artifact_mb=3.3)
_MNI_LICENCE = "BSD-3-Clause (nilearn) + MNI ICBM152 notice (free use, keep the copyright notice)"

register(
    Sample(
        "mri.mni152_1mm", "mri", **_NILEARN,
        member="nilearn/datasets/data/mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz",
        sha256="421a10e872fd6cadae7f61d358dffbcc1795a497d61ee76c5dda2503e1a1e9e6", nbytes=1617531,
        description="MNI ICBM152 2009a symmetric T1 template, skull-stripped, 197x233x189 at 1 mm, uint8 0-255 "
                    "(nilearn rescales to 0-1; its 2 mm template is this file resampled)",
        licence=_MNI_LICENCE),
    Sample(
        "mri.anatomical", "mri", **_NIBABEL,
        member="nibabel/tests/data/anatomical.nii",
        sha256="1c089f37b6597a38bb4157a1e1b3f7f13f1bc9d4e7a8cfdfaf91d85cd8f66594", nbytes=68002,
        description="tiny real T1 volume, 33x41x25 at 2 mm, big-endian int16",
        licence="MIT"),
)
