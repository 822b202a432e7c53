"""Real sample files of `domains.lamost`: none registered; the real spectra ship inside the package.

The five real LAMOST DR7 medium-resolution files that the task, the demo, the notebook, the
benchmark and the tests read are shipped in `domains/lamost/spectra/` (2.2 MB, MIT-licensed
`laspec` examples; `domains.lamost.data.SPECTRA_DIR`), so nothing needs fetching.

Three samples were registered here and used by nothing: two HST CALSPEC spectra (the Sun and
Vega, from pyphot's wheel) and IRAF's spectrophotometric standard-star tables (Debian's
iraf-noao). CALSPEC's optical spectra are at a resolution of R ≈ 500-1,000, far below MRS's
7,500, and the IRAF tables are magnitudes in bands with no stellar labels: neither can be put
on RRNet's 0.1 Å grid. The CALSPEC Sun now ships in `linedata/` (51 kB) beside the generator's
line data, for what its 10 Å bins can check: the line blanketing of the generator's Sun
(`domains.lamost.lines.read_solar_reference`, `scripts/lamost_sun_check.py`). A reference solar
spectrum at MRS resolution would be registered here.

This module is loaded without its package's `__init__` (so that `resuite data list` imports no
TensorFlow): import nothing here but `core.data.samples`.
"""
