"""`domains.lamost.data`: the MRS reader on the five shipped DR7 files and its errors on bad files, the
listing of MRS files, and the SYNTHETIC splits."""

import pathlib

import numpy as np
from absl.testing import parameterized
from astropy.io import fits

from core.testing import TestCase
from domains.lamost.data import SPECTRA_DIR, list_exposures, mrs_files, read_mrs, synthetic_splits
from domains.lamost.synthetic import make_dataset
from tests.domains.lamost.conftest import REPEATED_STAR, write_mrs


class ReadMRSTest(TestCase):
    def test_the_real_files_ship_in_the_package(self):
        files = mrs_files()
        self.assertEqual(len(files), 5)
        self.assertTrue(all(path.parent == SPECTRA_DIR and path.name.startswith("med-") for path in files))
        self.assertTrue((SPECTRA_DIR / "README.md").is_file())
        self.assertIn("domains", SPECTRA_DIR.parts)
        self.assertNotIn("tests", SPECTRA_DIR.parts)

    def test_reads_the_coadds_of_the_real_files(self):
        paths = mrs_files()
        spectra = [read_mrs(path) for path in paths]
        # four epochs of one star (one under a designation 0.3" off), and another star
        self.assertEqual(sum(s.designation.startswith("LAMOST J192814.09+4355") for s in spectra), 4)
        first = spectra[1]
        self.assertEqual((first.designation, first.mjd, first.source), (REPEATED_STAR, 58624, "COADD"))
        self.assertEqual(first.snr, (26.54, 44.67))
        self.assertTrue(first.helio_applied)
        self.assertAlmostEqual(first.helio_rv, -11.94207, places=5)
        self.assertEqual((len(first.blue.flux), len(first.red.flux)), (4156, 3800))
        for arm, (low, high) in ((first.blue, (4890, 5400)), (first.red, (6260, 6860))):
            self.assertTrue(low < arm.wavelength[0] < arm.wavelength[-1] < high)
            self.assertTrue(np.all(np.diff(arm.wavelength) > 0))
        # The masks hold IVAR = 0 and ANDMASK pixels: 6 + 19 in this file's blue arm, overlapping.
        with fits.open(paths[1]) as hdus:
            table = hdus["COADD_B"].data
            expected = (table["IVAR"] == 0) | (table["ANDMASK"] != 0)
        self.assertTrue(np.array_equal(first.blue.masked, expected))
        self.assertTrue(19 <= first.blue.masked.sum() <= 25)

    def test_reads_single_exposures_in_increasing_wavelength(self):
        path = mrs_files()[0]
        exposures = list_exposures(path)
        self.assertEqual(len(exposures), 7)
        self.assertEqual(exposures[0], "84107311")
        one = read_mrs(path, exposure=exposures[0])
        self.assertEqual((one.source, one.snr), ("84107311", (41.38, 93.38)))
        # The file's red exposure tables run backwards; the reader turns them round with their masks.
        self.assertTrue(np.all(np.diff(one.red.wavelength) > 0))
        with fits.open(path) as hdus:
            raw = hdus["R-84107311"].data
        self.assertTrue(np.array_equal(one.red.flux, raw["FLUX"][::-1]))
        with self.assertRaisesRegex(ValueError, r"no exposure '123'.*84107311"):
            read_mrs(path, exposure=123)

    def test_a_low_resolution_file_is_refused(self):
        path = pathlib.Path(self.get_temp_dir()) / "spec-55859-F5902_sp01-001.fits"
        fits.PrimaryHDU(np.zeros((5, 3909), "float32")).writeto(path)
        with self.assertRaisesRegex(ValueError, r"spec-55859.*low-resolution.*\(5, 3909\).*COADD_B"):
            read_mrs(path)

    @parameterized.named_parameters(
        ("missing_hdu", dict(drop_hdu="COADD_R"), r"missing HDU\(s\) \['COADD_R'\]"),
        ("missing_column", dict(drop_column="IVAR"), r"COADD_B has no column\(s\) \['IVAR'\]"),
        ("nan", dict(blue={"FLUX": np.where(np.arange(4000) == 7, np.nan, 1.0).astype("float32")}),
         r"COADD_B has 1 NaN/inf value\(s\) in FLUX \(first at row 7\)"),
        ("no_information", dict(red={"IVAR": np.zeros(4000, "float32")}), r"COADD_R \(the R arm\) has IVAR = 0 everywhere"),
    )
    def test_bad_files_name_the_file_and_what_was_expected(self, kwargs, message):
        path = write_mrs(pathlib.Path(self.get_temp_dir()) / "bad.fits", **kwargs)
        with self.assertRaisesRegex(ValueError, r"bad\.fits.*" + message):
            read_mrs(path)

    def test_empty_arm_and_missing_file(self):
        folder = pathlib.Path(self.get_temp_dir())
        path = write_mrs(folder / "empty.fits", empty_arm="COADD_B")
        with self.assertRaisesRegex(ValueError, r"empty\.fits: HDU COADD_B \(the B arm\) is empty"):
            read_mrs(path)
        with self.assertRaisesRegex(FileNotFoundError, r"nowhere\.fits: no such file"):
            read_mrs(folder / "nowhere.fits")
        (folder / "text.fits").write_text("not fits")
        with self.assertRaisesRegex(ValueError, r"text\.fits: not a readable FITS file"):
            read_mrs(folder / "text.fits")

    def test_a_truncated_file_is_refused_though_its_coadds_survive(self):
        import gzip

        folder = pathlib.Path(self.get_temp_dir())
        real = SPECTRA_DIR / "med-58625-TD192102N424113K01_sp12-076.fits.gz"
        cut = folder / "cut.fits.gz"
        cut.write_bytes(real.read_bytes()[: real.stat().st_size // 2])
        # What astropy alone makes of it: the co-adds (and some exposures) read, the rest silently gone.
        with fits.open(cut, memmap=False) as hdus:
            self.assertIn("COADD_R", [hdu.name for hdu in hdus])
        with self.assertRaisesRegex(ValueError, r"cut\.fits\.gz: truncated or corrupt gzip file; expected a LAMOST "
                                                rf"medium-resolution \(MRS\) file.*Received: {cut.stat().st_size} bytes"):
            read_mrs(cut)
        with self.assertRaisesRegex(ValueError, r"cut\.fits\.gz: truncated or corrupt gzip file"):
            list_exposures(cut)
        plain = folder / "cut.fits"  # uncompressed, cut inside an exposure's table
        data = gzip.decompress(real.read_bytes())
        plain.write_bytes(data[: int(len(data) * 0.9)])
        with self.assertRaisesRegex(ValueError, r"cut\.fits: truncated FITS file; expected .*Received: File may have "
                                                r"been truncated"):
            read_mrs(plain)


class MRSFilesTest(TestCase):
    def test_folders_give_their_mrs_files_and_files_stay_as_given(self):
        folder = pathlib.Path(self.get_temp_dir())
        (folder / "notes.txt").write_text("not a spectrum")
        given = folder / "med-1.fits.gz"
        self.assertEqual(mrs_files([SPECTRA_DIR, given]), [*mrs_files(), given])
        self.assertEqual(mrs_files(str(given)), [given])
        with self.assertRaisesRegex(ValueError, r"No MRS files in .*expected med-\*\.fits\.gz"):
            mrs_files([folder])


class SyntheticSplitsTest(TestCase):
    def test_each_split_has_its_own_seed_and_the_test_set_does_not_depend_on_the_others(self):
        train, test = synthetic_splits({"train": 6, "test": 4}, seed=1, splits=("train", "test"))
        (alone,) = synthetic_splits({"test": 4}, seed=1, splits=("test",))
        self.assertEqual((train[0].shape, test[1].shape), ((6, 7200, 2), (4, 3)))
        self.assertTrue(np.array_equal(alone[0], test[0]) and np.array_equal(alone[1], test[1]))
        expected = make_dataset(4, seed=1 * 10 + 2)
        self.assertTrue(np.array_equal(expected[1], test[1]))
        (abundances,) = synthetic_splits({"val": 2}, seed=0, labels="abundances", snr_range=(50.0, 60.0),
                                         splits=("val",))
        self.assertEqual(abundances[1].shape, (2, 14))
        self.assertTrue(np.all((abundances[2] >= 50) & (abundances[2] <= 60)))

    def test_errors_name_what_was_received(self):
        with self.assertRaisesRegex(ValueError, r"Received: splits=\('holdout',\)"):
            synthetic_splits({"holdout": 2}, splits=("holdout",))
        with self.assertRaisesRegex(ValueError, r"labels=.*stars"):
            synthetic_splits({"test": 2}, labels="stars", splits=("test",))
        with self.assertRaisesRegex(ValueError, r"Give the size of each split"):
            synthetic_splits({"train": 2}, splits=("test",))
