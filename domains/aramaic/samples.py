"""Real sample files of `domains.aramaic`: the Noto Sans Imperial Aramaic font (a Debian
package).

Registered with `core.data.samples` (which finds this module by itself); fetch them with
`resuite data fetch --domain aramaic`. The checksums were measured on the extracted members.

This module is loaded without its package's `__init__` (so that `resuite data list` imports no
TensorFlow): import nothing here but `core.data.samples`.
"""

from core.data.samples import Sample, register

# One shared dict per artifact.
_NOTO = dict(registry="debian", package="fonts-noto-core", version="20201225-1", artifact="deb", artifact_mb=12.2)

register(
    Sample(
        "aramaic.noto_imperial_aramaic", "aramaic", **_NOTO,
        member="usr/share/fonts/truetype/noto/NotoSansImperialAramaic-Regular.ttf",
        sha256="a1eaa5484ea50bace57ed59ea64e630abf196d7eaf55e26b0ed299223a5100c3", nbytes=6432,
        description="Noto Sans Imperial Aramaic font: the 22 letters U+10840-U+10855 and the numbers",
        licence="OFL-1.1"),
)
