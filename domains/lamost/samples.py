"""Real sample files of `domains.lamost`: two CALSPEC spectra (pyphot's wheel) and IRAF's
standard-star tables (a Debian package).

Registered with `core.data.samples` (which finds this module by itself); fetch them with
`resuite data fetch --domain lamost`. The checksums were measured on the extracted members.

This module is loaded without its package's `__init__` (so that `resuite data list` imports no
TensorFlow): import nothing here but `core.data.samples`.
"""

from core.data.samples import Sample, register

# One shared dict per artifact.
_PYPHOT = dict(registry="pypi", package="pyphot", version="2.1.1", artifact="wheel", artifact_mb=15.7)
_IRAF = dict(registry="debian", package="iraf-noao", version="2.17-4", artifact="deb", artifact_mb=9.1)

register(
    Sample(
        "lamost.sun", "lamost", **_PYPHOT,
        member="pyphot/libs/sun_reference_stis_001.fits",
        sha256="50e64211bc8ddca60360eeb351c171d11d3641569274f12c788db0686ac9be14", nbytes=51840,
        description="observed solar spectrum (HST CALSPEC), FITS table of 1,467 rows: WAVELENGTH, FLUX, ...",
        licence="MIT (pyphot); CALSPEC spectra are public"),
    Sample(
        "lamost.vega", "lamost", **_PYPHOT,
        member="pyphot/libs/alpha_lyr_stis_011.fits",
        sha256="60aebf5c193223f69061cd176d6309730c3210051fffad0dd6ad44475199ceaa", nbytes=288000,
        description="observed spectrum of Vega (HST CALSPEC), FITS table of 9,192 rows: WAVELENGTH, FLUX, ...",
        licence="MIT (pyphot); CALSPEC spectra are public"),
    Sample(
        "lamost.iraf_onedstds", "lamost", **_IRAF,
        member="usr/lib/iraf/noao/lib/onedstds", is_directory=True,
        sha256="68e507de4ab5028170e860de821f2099e608a8534088330d00d70ad039a283a2", nbytes=595675,
        description="IRAF spectrophotometric standard-star tables: 370 files (346 .dat: wavelength, AB mag, "
                    "bandwidth) in 13 folders, no stellar labels",
        licence="IRAF licence (permissive)"),
)
