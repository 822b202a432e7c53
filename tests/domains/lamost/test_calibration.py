"""σ per S/N bin: scales recovered from held-out errors, applied by bin (clipped at the ends), saved and loaded."""

import pathlib

import numpy as np

from core.testing import TestCase
from domains.lamost.calibration import SNR_EDGES, SNRCalibration, bin_index


class SNRCalibrationTest(TestCase):
    def _draw(self, seed, n=4000):
        rng = np.random.default_rng(seed)
        snr = np.exp(rng.uniform(np.log(5), np.log(150), n))
        true_scale = np.array([[2.0, 1.0], [1.2, 0.8], [0.7, 0.6], [0.5, 0.4]])[bin_index(snr)]  # per bin, label
        y = rng.normal(size=(n, 2))
        sigma = np.full((n, 2), 0.1)
        mean = y + rng.normal(size=(n, 2)) * sigma * true_scale
        return mean, sigma, y, snr, true_scale

    def test_the_scales_make_z_spread_one_in_every_bin_of_new_spectra(self):
        mean, sigma, y, snr, _ = self._draw(0)
        calibration = SNRCalibration.fit(mean, sigma, y, snr, ["a", "b"])
        self.assertAllClose(calibration.scales, [[2.0, 1.0], [1.2, 0.8], [0.7, 0.6], [0.5, 0.4]], rtol=0.1)
        self.assertEqual(calibration.counts.sum(), 4000)
        mean, sigma, y, snr, _ = self._draw(1)                 # new spectra of the same kind
        z = (mean - y) / calibration.apply(sigma, snr)
        for b in range(len(SNR_EDGES) - 1):
            spread = z[bin_index(snr) == b].std(axis=0)
            self.assertTrue(np.all((spread > 0.9) & (spread < 1.1)), (b, spread))

    def test_bins_clip_at_the_ends_and_a_thin_bin_takes_the_overall_scale(self):
        self.assertEqual(bin_index([0.0, 4.9, 5.0, 9.99, 10.0, 149.0, 1000.0]).tolist(), [0, 0, 0, 0, 1, 3, 3])
        mean, sigma, y, snr, _ = self._draw(2, n=400)
        thin = SNRCalibration.fit(mean, sigma, y, snr, ["a", "b"], min_count=10_000)
        overall = ((mean - y) / sigma).std(axis=0)
        self.assertAllClose(thin.scales, np.tile(overall, (4, 1)))
        with self.assertRaisesRegex(ValueError, "must be \\(n, 2\\)"):
            SNRCalibration.fit(mean[:, :1], sigma, y, snr, ["a", "b"])

    def test_save_and_load(self):
        mean, sigma, y, snr, _ = self._draw(3, n=400)
        calibration = SNRCalibration.fit(mean, sigma, y, snr, ["a", "b"])
        path = calibration.save(pathlib.Path(self.get_temp_dir()) / "c" / "snr_calibration.json")
        loaded = SNRCalibration.load(path)
        self.assertAllClose(loaded.apply(sigma, snr), calibration.apply(sigma, snr))
        self.assertEqual((loaded.edges, loaded.label_names), (SNR_EDGES, ["a", "b"]))
        path.write_text('{"edges": [5, 10]}')
        with self.assertRaisesRegex(ValueError, "not an S/N calibration"):
            SNRCalibration.load(path)
        with self.assertRaisesRegex(FileNotFoundError, "no such file"):
            SNRCalibration.load(path.parent / "none.json")
