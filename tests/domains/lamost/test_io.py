"""The MRS reader on the five real DR7 files, and its errors on bad files."""

import numpy as np
import pytest
from astropy.io import fits

from domains.lamost.io import list_exposures, read_mrs
from tests.domains.lamost.conftest import REPEATED_STAR, write_mrs


def test_reads_the_coadds_of_the_real_files(mrs_files):
    spectra = [read_mrs(path) for path in mrs_files]
    # four epochs of one star (one under a designation 0.3" off), and another star
    assert sum(s.designation.startswith("LAMOST J192814.09+4355") for s in spectra) == 4
    first = spectra[1]
    assert first.designation == REPEATED_STAR and first.mjd == 58624 and first.source == "COADD"
    assert first.snr == (26.54, 44.67)
    assert first.helio_applied and first.helio_rv == pytest.approx(-11.94207)
    assert len(first.blue.flux) == 4156 and len(first.red.flux) == 3800
    for arm, (low, high) in ((first.blue, (4890, 5400)), (first.red, (6260, 6860))):
        assert low < arm.wavelength[0] < arm.wavelength[-1] < high
        assert np.all(np.diff(arm.wavelength) > 0)
    # The masks hold IVAR = 0 and ANDMASK pixels: 6 + 19 in this file's blue arm, overlapping.
    with fits.open(mrs_files[1]) as hdus:
        table = hdus["COADD_B"].data
        expected = (table["IVAR"] == 0) | (table["ANDMASK"] != 0)
    assert np.array_equal(first.blue.masked, expected) and 19 <= first.blue.masked.sum() <= 25


def test_reads_single_exposures_in_increasing_wavelength(mrs_files):
    exposures = list_exposures(mrs_files[0])
    assert len(exposures) == 7 and exposures[0] == "84107311"
    one = read_mrs(mrs_files[0], exposure=exposures[0])
    assert one.source == "84107311" and one.snr == (41.38, 93.38)
    # The file's red exposure tables run backwards; the reader turns them round with their masks.
    assert np.all(np.diff(one.red.wavelength) > 0)
    with fits.open(mrs_files[0]) as hdus:
        raw = hdus["R-84107311"].data
    assert np.array_equal(one.red.flux, raw["FLUX"][::-1])
    with pytest.raises(ValueError, match=r"no exposure '123'.*84107311"):
        read_mrs(mrs_files[0], exposure=123)


def test_a_low_resolution_file_is_refused(tmp_path):
    path = tmp_path / "spec-55859-F5902_sp01-001.fits"
    fits.PrimaryHDU(np.zeros((5, 3909), "float32")).writeto(path)
    with pytest.raises(ValueError, match=r"spec-55859.*low-resolution.*\(5, 3909\).*COADD_B"):
        read_mrs(path)


@pytest.mark.parametrize("kwargs, message", [
    (dict(drop_hdu="COADD_R"), r"missing HDU\(s\) \['COADD_R'\]"),
    (dict(drop_column="IVAR"), r"COADD_B has no column\(s\) \['IVAR'\]"),
    (dict(blue={"FLUX": np.where(np.arange(4000) == 7, np.nan, 1.0).astype("float32")}),
     r"COADD_B has 1 NaN/inf value\(s\) in FLUX \(first at row 7\)"),
    (dict(red={"IVAR": np.zeros(4000, "float32")}), r"COADD_R \(the R arm\) has IVAR = 0 everywhere"),
])
def test_bad_files_name_the_file_and_what_was_expected(tmp_path, kwargs, message):
    path = write_mrs(tmp_path / "bad.fits", **kwargs)
    with pytest.raises(ValueError, match=r"bad\.fits.*" + message):
        read_mrs(path)


def test_empty_arm_and_missing_file(tmp_path):
    path = write_mrs(tmp_path / "empty.fits", empty_arm="COADD_B")
    with pytest.raises(ValueError, match=r"empty\.fits: HDU COADD_B \(the B arm\) is empty"):
        read_mrs(path)
    with pytest.raises(FileNotFoundError, match=r"nowhere\.fits: no such file"):
        read_mrs(tmp_path / "nowhere.fits")
    (tmp_path / "text.fits").write_text("not fits")
    with pytest.raises(ValueError, match=r"text\.fits: not a readable FITS file"):
        read_mrs(tmp_path / "text.fits")
