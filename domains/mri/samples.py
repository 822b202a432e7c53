"""Real sample files of `domains.mri`: the MNI ICBM152 T1 template (nilearn's wheel), a
tiny real scan (nibabel's wheel) and the Colin27 single-subject T1, with and without skull
(Debian's mricron-data). DISGAN trains on the template and is tested on Colin27 (never trained
on); the SSIM regressor reads the template and the tiny scan.

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
_MRICRON = dict(registry="debian", package="mricron-data", version="1.2.20211006+dfsg-4", artifact="deb",
                artifact_mb=16.1)
_COLIN_LICENCE = "BSD-3-Clause (MRIcron, Debian mricron-data) + MNI Colin27 notice (free use, keep the copyright notice)"

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
    Sample(
        "mri.colin27", "mri", **_MRICRON,
        member="usr/share/mricron/templates/ch2.nii.gz",
        sha256="a009051127f64dc3dd554d5f5b589870ea72106d9642c21b4e7093e478cfc309", nbytes=3510351,
        description="Colin27 (ch2): one subject's T1 averaged over 27 scans, with skull, 181x217x181 at 1 mm, uint8, "
                    "background 0 (MNI space, origin -90, -125, -71)",
        licence=_COLIN_LICENCE),
    Sample(
        "mri.colin27_brain", "mri", **_MRICRON,
        member="usr/share/mricron/templates/ch2bet.nii.gz",
        sha256="592a2d20abdf36eefcb540ca8958428040edffc1bc1a18ba1dcfbabac77c5dd1", nbytes=1329155,
        description="Colin27 brain-extracted (ch2bet), 181x217x181 at 1 mm, uint8, background 0",
        licence=_COLIN_LICENCE),
)
