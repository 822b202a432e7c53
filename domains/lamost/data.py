"""LAMOST data: the reader of medium-resolution (MRS) files, the shipped real spectra, and the SYNTHETIC splits.

**Reader.** An MRS file (`med-*.fits.gz`, DR7 and later) holds a primary HDU `Information` (the
header: `DESIG`, `MJD`, `HELIO`, `HELIO_RV`, ...), two binary tables of the exposures co-added,
`COADD_B` and `COADD_R` (FLUX, IVAR, LOGLAM, ANDMASK, ORMASK), then one table per exposure,
`B-<LMJM>` and `R-<LMJM>` (FLUX, IVAR, LOGLAM, PIXMASK), LMJM being the exposure's local modified
Julian minute. Wavelengths are in vacuum, `10 ** LOGLAM` Å; with `HELIO = T` (every DR7 file) they
are already heliocentric and `HELIO_RV` is the correction that was applied. `read_mrs` reads the
co-add or one exposure; `mrs_files` lists the MRS files of folders or paths.

**Real spectra.** Five real DR7 files ship in the package (`SPECTRA_DIR`, `spectra/README.md`:
four epochs of LAMOST J192814.09+435531.0 and one of another star, from the MIT-licensed
`laspec` repository); the task, the demo, the notebook and the benchmark predict them.

**Splits.** No labelled LAMOST spectra can be had offline: training, validation and test sets
are SYNTHETIC (`domains.lamost.synthetic`), each split drawn from its own seed
(`synthetic_splits`), so the test set is the same whatever else is asked. The tf.data pipeline
of training is `core.data.from_arrays` (`domains.lamost.training`).

Example:
```python
from domains.lamost.data import SPECTRA_DIR, list_exposures, mrs_files, read_mrs, synthetic_splits
path = SPECTRA_DIR / "med-58625-TD192102N424113K01_sp12-076.fits.gz"
spectrum = read_mrs(path)
spectrum.designation, spectrum.snr          # 'LAMOST J192814.09+435531.0', (26.54, 44.67)
spectrum.blue.wavelength[:3], spectrum.blue.masked.sum()
list_exposures(path)                        # ['84420148', '84420171', '84420195']
first = read_mrs(path, exposure="84420148")
len(mrs_files())                            # 5: the shipped DR7 files
(test,) = synthetic_splits({"test": 64}, seed=0, splits=("test",))   # (x, y, snr) of SYNTHETIC spectra
```
"""

import dataclasses
import pathlib

import numpy as np

from domains.lamost.model import FAMILIES
from domains.lamost.preprocessing import SPEED_OF_LIGHT_KMS
from domains.lamost.synthetic import make_dataset

# The real DR7 MRS files shipped in the package (see spectra/README.md).
SPECTRA_DIR = pathlib.Path(__file__).resolve().parent / "spectra"
MRS_SUFFIXES = (".fits", ".fits.gz", ".fit", ".fit.gz")
SPLITS = ("train", "val", "test")
COADD = ("COADD_B", "COADD_R")
COADD_COLUMNS = ("FLUX", "IVAR", "LOGLAM", "ANDMASK")
EXPOSURE_COLUMNS = ("FLUX", "IVAR", "LOGLAM", "PIXMASK")
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
    """The file's HDUs, all read; a truncated file is refused rather than read in part.

    A gzip stream that ends early (a `.fits.gz` cut short) would still give the HDUs before the
    cut (often both co-adds), and a FITS file shorter than its headers announce only makes
    astropy warn: both are a ValueError naming the file.
    """
    import gzip
    import io
    import warnings
    import zlib

    from astropy.io import fits

    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file (expected {EXPECTED})")
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":  # gzip, whatever the suffix
        try:
            raw = gzip.decompress(raw)
        except (EOFError, OSError, zlib.error) as error:
            raise ValueError(f"{path}: truncated or corrupt gzip file; expected {EXPECTED}. "
                             f"Received: {len(raw)} bytes ({error})") from None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            hdus = fits.open(io.BytesIO(raw), memmap=False)
            hdus.readall()
        except (OSError, TypeError, ValueError) as error:
            raise ValueError(f"{path}: not a readable FITS file ({error}); expected {EXPECTED}") from None
    truncated = [str(w.message) for w in caught if "truncated" in str(w.message)]
    if truncated:
        hdus.close()
        raise ValueError(f"{path}: truncated FITS file; expected {EXPECTED}. Received: {truncated[0]}")
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return hdus


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


def mrs_files(inputs=None):
    """The MRS files of `inputs` (files, and the `med-*.fits[.gz]` files of folders), sorted per folder.

    Args:
        inputs: a path or a list of paths (str or Path): files are kept as given (`read_mrs`
            names a missing or wrong one), folders give their MRS files. None: the shipped DR7
            files (`SPECTRA_DIR`). Defaults to None.

    Returns:
        list of pathlib.Path.

    Raises:
        ValueError: no MRS file in `inputs`.

    Example:
    ```python
    [path.name for path in mrs_files()][:1]   # ['med-58408-TD230151N343645T01_sp01-015.fits.gz']
    mrs_files(["runs/my_spectra", "med-58625-TD192102N424113K01_sp12-076.fits.gz"])
    ```
    """
    if inputs is None:
        inputs = [SPECTRA_DIR]
    elif isinstance(inputs, (str, pathlib.PurePath)):
        inputs = [inputs]
    paths = []
    for item in map(pathlib.Path, inputs):
        if item.is_dir():
            paths.extend(sorted(p for p in item.glob("*") if p.name.endswith(MRS_SUFFIXES)))
        else:
            paths.append(item)
    if not paths:
        raise ValueError(f"No MRS files in {[str(i) for i in inputs]}: expected med-*.fits.gz files or folders "
                         f"of them. Received: inputs={[str(i) for i in inputs]}")
    return paths


def synthetic_splits(sizes, seed=0, labels="stellar", snr_range=(5.0, 150.0), splits=SPLITS, noise=False,
                     lines="illustrative"):
    """SYNTHETIC labelled sets (x, y, snr), one per split, each from its own seed.

    Split `s` is drawn with seed `10 · seed + SPLITS.index(s)`: the test set of a seed is the same
    whether or not the training set is made too (a preset is scored on the test set of its run).

    Args:
        sizes: dict {split: number of spectra} for each split asked (e.g. {"test": 1000}).
        seed: int. Defaults to 0.
        labels: str. "stellar" (Teff, logg, [Fe/H]) or "abundances" (the 14 [X/H]), a key of
            `domains.lamost.model.FAMILIES`. Defaults to "stellar".
        snr_range: (low, high) blue-arm S/N of the spectra. Defaults to (5.0, 150.0).
        splits: tuple of "train", "val", "test". Defaults to all three.
        noise: bool. x gets the per-pixel noise channel (for `noise_input` models). Defaults to False.
        lines: the generator's line model, "illustrative" or "ges" (`synthetic.make_spectra`).
            Defaults to "illustrative".

    Returns:
        tuple of (x (n, 7200, 2 or 3), y (n, labels), snr (n,)), one per split in `splits`' order.

    Raises:
        ValueError: an unknown split or label family, or a split without its size.

    Example:
    ```python
    train, test = synthetic_splits({"train": 256, "test": 64}, seed=0, splits=("train", "test"))
    train[0].shape, test[1].shape   # (256, 7200, 2), (64, 3)
    ```
    """
    unknown = [split for split in splits if split not in SPLITS]
    if unknown or labels not in FAMILIES:
        raise ValueError(f"splits must be among {SPLITS} and labels one of {list(FAMILIES)}. "
                         f"Received: splits={splits}, labels={labels!r}")
    missing = [split for split in splits if split not in sizes]
    if missing:
        raise ValueError(f"Give the size of each split asked. Received: sizes={sizes}, splits={splits}")
    return tuple(make_dataset(int(sizes[split]), labels=FAMILIES[labels], seed=seed * 10 + SPLITS.index(split),
                              snr_range=tuple(snr_range), noise=noise, lines=lines)
                 for split in splits)
