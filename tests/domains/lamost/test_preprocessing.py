"""RRNet's preprocessing on the real files: grid, rest frame, continuum ≈ 1, masks, errors."""

import pathlib

import numpy as np

from core.testing import TestCase
from domains.lamost.data import mrs_files, read_mrs
from domains.lamost.preprocessing import (
    BLUE_GRID, NUM_PIXELS, PIXELS_PER_ARM, RED_GRID, SPEED_OF_LIGHT_KMS, WAVELENGTHS, continuum, preprocess,
    preprocess_arrays, resample,
)
from tests.domains.lamost.conftest import write_mrs


class PreprocessingTest(TestCase):
    def test_the_grid_is_the_official_one(self):
        self.assertEqual((NUM_PIXELS, PIXELS_PER_ARM), (7200, 3600))
        self.assertEqual((BLUE_GRID[0], RED_GRID[0]), (4968.0, 6339.0))
        self.assertTrue(np.allclose(np.diff(WAVELENGTHS[:3600]), 0.1) and np.allclose(np.diff(WAVELENGTHS[3600:]), 0.1))
        self.assertAlmostEqual(RED_GRID[-1], 6698.9, places=6)

    def test_real_spectra_land_on_the_grid_normalised_with_their_masks(self):
        spectra = [read_mrs(path) for path in mrs_files()]
        batch = preprocess(spectra)
        self.assertEqual((batch.flux.shape, batch.good.shape), ((5, 7200), (5, 7200)))
        self.assertEqual(batch.flux.dtype, np.float32)
        for i, spectrum in enumerate(spectra):
            for arm, part in ((spectrum.blue, slice(0, 3600)), (spectrum.red, slice(3600, 7200))):
                flux, good = batch.flux[i, part], batch.good[i, part]
                # The continuum is ≈ 1: the median of a line-rich arm sits just below it, the upper
                # envelope (90th percentile) just above.
                self.assertTrue(0.97 < np.median(flux[good]) < 1.01)
                self.assertTrue(1.0 < np.percentile(flux[good], 90) < 1.08)
                # Each masked native pixel masks the grid pixels that interpolate from it.
                native_bad = arm.wavelength[arm.masked]
                grid = WAVELENGTHS[part]
                inside = native_bad[(native_bad > grid[0] + 0.2) & (native_bad < grid[-1] - 0.2)]
                for wavelength in inside:
                    nearest = np.argmin(np.abs(grid - wavelength))
                    self.assertFalse(good[nearest])
                self.assertTrue(np.all(flux[~good] == 1.0))
            self.assertTrue(np.all(batch.flux[i] >= -0.5) and np.all(batch.flux[i] <= 2.5))
        self.assertEqual(batch.masked_counts.tolist(), (~batch.good).sum(axis=1).tolist())
        self.assertGreater(batch.masked_counts[1], 0)  # ANDMASK pixels of the first epoch's blue arm
        x = batch.model_input()
        self.assertEqual(x.shape, (5, 7200, 2))
        self.assertLessEqual(set(np.unique(x[..., 1])), {0.0, 1.0})

    def test_rest_frame_shift_moves_a_line_by_its_doppler_shift(self):
        wavelength = np.linspace(4950, 5350, 4000)
        line = 5172.68
        rv = 60.0
        observed = line * (1 + rv / SPEED_OF_LIGHT_KMS)
        flux = 1.0 - 0.6 * np.exp(-0.5 * ((wavelength - observed) / 0.25) ** 2)
        red_wavelength = np.linspace(6300, 6750, 4000)
        masked = np.zeros(4000, bool)
        blue = (wavelength, flux[None], masked[None])
        red = (red_wavelength, np.ones((1, 4000)), masked[None])
        shifted = preprocess_arrays(blue, red, rv=rv)
        unshifted = preprocess_arrays(blue, red, rv=0.0)
        self.assertLessEqual(abs(BLUE_GRID[np.argmin(shifted.flux[0, :3600])] - line), 0.1)
        self.assertLessEqual(abs(BLUE_GRID[np.argmin(unshifted.flux[0, :3600])] - observed), 0.1)

    def test_continuum_of_a_batch_recovers_a_known_slope(self):
        rng = np.random.default_rng(0)
        grid = BLUE_GRID
        slope = 1.0 + 0.3 * (grid - grid[0]) / 360.0
        lines = np.ones_like(grid)
        for centre in rng.uniform(grid[0], grid[-1], 60):
            lines -= 0.5 * np.exp(-0.5 * ((grid - centre) / 0.2) ** 2)
        flux = np.stack([100 * slope * lines, 50 * slope[::-1] * lines])
        good = np.ones_like(flux, bool)
        good[0, 1000:1100] = False
        flux[0, 1000:1100] = 1e6  # a masked cosmic ray must not pull the fit
        fitted = continuum(flux, good, grid)
        self.assertTrue(np.allclose(fitted[0], 100 * slope, rtol=0.01))
        self.assertTrue(np.allclose(fitted[1], 50 * slope[::-1], rtol=0.01))

    def test_resample_masks_outside_and_bad_pixels(self):
        wavelength = np.linspace(5000.0, 5300.0, 301)
        masked = np.zeros(301, bool)
        masked[150] = True
        values, good, coverage = resample(wavelength, np.ones(301), masked, BLUE_GRID)
        self.assertAlmostEqual(coverage, 3000 / 3600, delta=1e-3)
        self.assertFalse(good[BLUE_GRID < 5000].any() or good[BLUE_GRID > 5300].any())
        self.assertFalse(good[np.argmin(np.abs(BLUE_GRID - 5150.0))])
        self.assertTrue(good[np.argmin(np.abs(BLUE_GRID - 5100.0))])

    def test_an_arm_off_the_grid_is_refused(self):
        path = write_mrs(pathlib.Path(self.get_temp_dir()) / "off.fits")
        spectrum = read_mrs(path)
        preprocess([spectrum])  # on the grid: fine
        with self.assertRaisesRegex(ValueError, r"off\.fits: the blue arm .* covers \d+% of RRNet's 4968–5328 Å window"):
            preprocess([spectrum], rv=20_000.0)
        with self.assertRaisesRegex(ValueError, r"rv must be finite"):
            preprocess([spectrum], rv=np.nan)

    def test_ivar_becomes_the_noise_channel(self):
        from domains.lamost.synthetic import make_spectra

        batch = make_spectra(3, seed=2, snr=np.array([10.0, 40.0, 40.0]), bad_pixel_rate=0.0)
        batch.blue["ivar"][2] *= 4.0                  # a quarter of the variance: half the σ
        batch.red["ivar"][2] *= 4.0
        self.assertIsNone(batch.preprocess().noise)     # only asked for: a second resampling
        pre = batch.preprocess(noise=True)
        blue = np.median(pre.noise[:, :PIXELS_PER_ARM], axis=1)
        # The generator's IVAR is photon noise: σ / continuum ≈ 1 / S/N at the continuum (a bit above in lines).
        self.assertTrue(0.9 < blue[0] * 10.0 < 1.3 and 0.9 < blue[1] * 40.0 < 1.3)
        self.assertAllClose(blue[2], blue[1] / 2.0, rtol=0.02)
        red = np.median(pre.noise[:, PIXELS_PER_ARM:], axis=1)
        self.assertTrue(np.all(red < blue))           # the red arm's S/N is higher
        self.assertEqual(pre.model_input(noise=True).shape, (3, NUM_PIXELS, 3))
        self.assertTrue(np.all(pre.model_input(noise=True)[..., 2][~pre.good] == 0))

    def test_real_files_carry_their_ivar_and_noise_needs_it(self):
        spectra = [read_mrs(path) for path in mrs_files()[:2]]
        pre = preprocess(spectra, noise=True)
        self.assertEqual(pre.noise.shape, (2, NUM_PIXELS))
        self.assertTrue(np.all(pre.noise[pre.good] > 0))
        bare = preprocess_arrays(*[(BLUE_GRID, np.ones((1, PIXELS_PER_ARM)), np.zeros((1, PIXELS_PER_ARM), bool)),
                                   (RED_GRID, np.ones((1, PIXELS_PER_ARM)), np.zeros((1, PIXELS_PER_ARM), bool))])
        with self.assertRaisesRegex(ValueError, "needs the spectra's IVAR"):
            bare.model_input(noise=True)
