"""Reading LAMOST medium-resolution (MRS) spectra: the `med-*.fits.gz` files of DR7 and later.

An MRS file holds a primary HDU `Information` (the header: `DESIG`, `MJD`, `HELIO`, `HELIO_RV`,
...), two binary tables of the exposures co-added, `COADD_B` and `COADD_R` (FLUX, IVAR, LOGLAM,
ANDMASK, ORMASK), then one table per exposure, `B-<LMJM>` and `R-<LMJM>` (FLUX, IVAR, LOGLAM,
PIXMASK), LMJM being the exposure's local modified Julian minute. Wavelengths are in vacuum,
`10 ** LOGLAM` Å; with `HELIO = T` (every DR7 file) they are already heliocentric and `HELIO_RV`
is the correction that was applied.

Example:
```python
spectrum = read_mrs("med-58625-TD192102N424113K01_sp12-076.fits.gz")
spectrum.designation, spectrum.snr          # 'LAMOST J192814.09+435531.0', (26.54, 44.67)
spectrum.blue.wavelength[:3], spectrum.blue.masked.sum()
list_exposures("med-58625-TD192102N424113K01_sp12-076.fits.gz")   # ['84420148', '84420171', '84420195']
first = read_mrs("med-58625-TD192102N424113K01_sp12-076.fits.gz", exposure="84420148")
```
"""

import dataclasses
import pathlib

import numpy as np

COADD = ("COADD_B", "COADD_R")
COADD_COLUMNS = ("FLUX", "IVAR", "LOGLAM", "ANDMASK")
EXPOSURE_COLUMNS = ("FLUX", "IVAR", "LOGLAM", "PIXMASK")
SPEED_OF_LIGHT_KMS = 299_792.458
EXPECTED = ("a LAMOST medium-resolution (MRS) file: a primary HDU 'Information', binary tables "
            "COADD_B and COADD_R (FLUX, IVAR, LOGLAM, ANDMASK, ORMASK), then B-/R-<LMJM> tables per exposure")


@dataclasses.dataclass(frozen=True)
class Arm:
    """One arm of an MRS spectrum on its native pixels.

    Attributes:
        name: "B" (blue, ~4950–5350 Å) or "R" (red, ~6300–6800 Å).
        wavelength: (n,) float64, vacuum Å, heliocentric.
        flux: (n,) float32, relative flux.
        ivar: (n,) float32, inverse variance of the flux (0 = no information).
        masked: (n,) bool, True where the pixel is bad: IVAR = 0 or a mask bit set (ANDMASK for a
            co-added arm: bad in every exposure; PIXMASK for one exposure).
    """

    name: str
    wavelength: np.ndarray
    flux: np.ndarray
    ivar: np.ndarray
    masked: np.ndarray


@dataclasses.dataclass(frozen=True)
class MRSSpectrum:
    """A LAMOST MRS spectrum: the two arms of the co-add or of one exposure, and its header facts.

    Attributes:
        path: str. The file it was read from.
        source: str. "COADD" or the exposure's LMJM.
        designation: str. `DESIG` ("LAMOST Jhhmmss.ss+ddmmss.s").
        obsid: int or None. `OBSID`.
        mjd: int or None. `MJD`.
        ra, dec: float. `RA`, `DEC` [deg] of the target (NaN if absent).
        helio_rv: float. `HELIO_RV` [km/s], the heliocentric correction.
        helio_applied: bool. `HELIO`: the wavelengths are already heliocentric.
        snr: (float, float). S/N of the blue and red arm (`SNR` of each table header; NaN if absent).
        blue, red: `Arm`.
    """

    path: str
    source: str
    designation: str
    obsid: object
    mjd: object
    ra: float
    dec: float
    helio_rv: float
    helio_applied: bool
    snr: tuple
    blue: Arm
    red: Arm

    @property
    def arms(self):
        return (self.blue, self.red)

    def heliocentric_wavelengths(self):
        """(blue, red) wavelengths in the heliocentric frame: shifted by `HELIO_RV` unless `HELIO` says done."""
        factor = 1.0 if self.helio_applied else 1.0 + self.helio_rv / SPEED_OF_LIGHT_KMS
        return self.blue.wavelength * factor, self.red.wavelength * factor


def _open(path):
    from astropy.io import fits

    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file (expected {EXPECTED})")
    try:
        return fits.open(path, memmap=False)
    except OSError as error:
        raise ValueError(f"{path}: not a readable FITS file ({error}); expected {EXPECTED}") from None


def _check_mrs_layout(path, hdus):
    names = [hdu.name for hdu in hdus]
    if any(name not in names for name in COADD):
        primary = hdus[0]
        if primary.data is not None and np.ndim(primary.data) == 2:
            raise ValueError(
                f"{path}: a low-resolution LAMOST spectrum (one image HDU of shape {primary.data.shape}: flux, "
                f"inverse variance, wavelength, ... rows), not a medium-resolution one. Expected {EXPECTED}. "
                f"Received HDUs: {names}")
        missing = [name for name in COADD if name not in names]
        raise ValueError(f"{path}: missing HDU(s) {missing}. Expected {EXPECTED}. Received HDUs: {names}")


def list_exposures(path):
    """The LMJMs of the single exposures of an MRS file that have both a B and an R table, in file order.

    Args:
        path: str or Path of a `med-*.fits[.gz]` file.
    """
    with _open(path) as hdus:
        _check_mrs_layout(path, hdus)
        names = [hdu.name for hdu in hdus]
    blue = [name[2:] for name in names if name.startswith("B-")]
    return [lmjm for lmjm in blue if f"R-{lmjm}" in names]


def _read_arm(path, hdu, arm, mask_column):
    columns = [c.upper() for c in hdu.columns.names]
    required = ("FLUX", "IVAR", "LOGLAM", mask_column)
    missing = [c for c in required if c not in columns]
    if missing:
        raise ValueError(f"{path}: HDU {hdu.name} has no column(s) {missing}. Expected columns {list(required)}. "
                         f"Received: {columns}")
    data = hdu.data
    if data is None or len(data) == 0:
        raise ValueError(f"{path}: HDU {hdu.name} (the {arm} arm) is empty: expected one row per pixel")
    flux = np.asarray(data["FLUX"], dtype="float32")
    ivar = np.asarray(data["IVAR"], dtype="float32")
    wavelength = 10.0 ** np.asarray(data["LOGLAM"], dtype="float64")
    for name, values in (("FLUX", flux), ("IVAR", ivar), ("LOGLAM", wavelength)):
        bad = ~np.isfinite(values)
        if bad.any():
            raise ValueError(f"{path}: HDU {hdu.name} has {int(bad.sum())} NaN/inf value(s) in {name} "
                             f"(first at row {int(np.argmax(bad))}): expected finite numbers")
    if np.any(ivar < 0):
        raise ValueError(f"{path}: HDU {hdu.name} has negative IVAR values: expected inverse variances >= 0")
    if not np.any(ivar > 0):
        raise ValueError(f"{path}: HDU {hdu.name} (the {arm} arm) has IVAR = 0 everywhere: no pixel carries "
                         "information")
    masked = (ivar == 0) | (np.asarray(data[mask_column]) != 0)
    step = np.diff(wavelength)
    if np.all(step < 0):  # the single-exposure red tables run from red to blue
        wavelength, flux, ivar, masked = wavelength[::-1], flux[::-1], ivar[::-1], masked[::-1]
    elif not np.all(step > 0):
        raise ValueError(f"{path}: HDU {hdu.name}: LOGLAM must be monotonic along the rows "
                         f"(it turns at row {int(np.argmax(np.sign(step) != np.sign(step[0]))) + 1})")
    return Arm(arm, wavelength, flux, ivar, masked)


def _snr(header):
    value = header.get("SNR")
    return float(value) if value is not None else float("nan")


def read_mrs(path, exposure=None):
    """Read an MRS file: the co-added spectrum, or one exposure's.

    Args:
        path: str or Path of a `med-*.fits[.gz]` file.
        exposure: None (the co-add, `COADD_B`/`COADD_R`) or an exposure's LMJM (str or int),
            as `list_exposures` gives them. Defaults to None.

    Returns:
        MRSSpectrum.

    Raises:
        FileNotFoundError: no such file.
        ValueError: not FITS, a low-resolution file, a missing HDU or column, NaN/inf values,
            IVAR = 0 everywhere in an arm, or an empty arm, with the file named.
    """
    with _open(path) as hdus:
        _check_mrs_layout(path, hdus)
        header = hdus[0].header
        if exposure is None:
            names, mask_column, source = COADD, "ANDMASK", "COADD"
        else:
            source = str(exposure)
            names, mask_column = (f"B-{source}", f"R-{source}"), "PIXMASK"
            present = [hdu.name for hdu in hdus]
            if any(name not in present for name in names):
                raise ValueError(f"{path}: no exposure {source!r} (HDUs {list(names)}). Its exposures: "
                                 f"{list_exposures(path)}. Received: exposure={exposure!r}")
        blue = _read_arm(path, hdus[names[0]], "B", mask_column)
        red = _read_arm(path, hdus[names[1]], "R", mask_column)
        snr = (_snr(hdus[names[0]].header), _snr(hdus[names[1]].header))
        return MRSSpectrum(
            path=str(path), source=source, designation=str(header.get("DESIG", "")).strip(),
            obsid=header.get("OBSID"), mjd=header.get("MJD"),
            ra=float(header.get("RA", np.nan)), dec=float(header.get("DEC", np.nan)),
            helio_rv=float(header.get("HELIO_RV", 0.0)), helio_applied=bool(header.get("HELIO", False)),
            snr=snr, blue=blue, red=red)
