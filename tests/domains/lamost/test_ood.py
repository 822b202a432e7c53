"""The out-of-distribution score: fitted on training features, calibrated on held-out ones, saved, flagged."""

import pathlib

import numpy as np

from core.tasks.gaussian import GaussianEnsemble
from core.testing import TestCase
from domains.lamost.model import RRNet
from domains.lamost.ood import OODScore, features

SMALL = dict(mode="raw", num_pixels=720, widths=(2, 4, 8), rnn_steps=10, hidden_units=(16,))


def _spectra(n, seed, depth=0.3):
    """Flux with one absorption line of random depth and position band, plus noise; mask all good."""
    rng = np.random.default_rng(seed)
    grid = np.arange(720)
    centre = rng.uniform(300, 420, (n, 1))
    flux = 1.0 - depth * rng.uniform(0.5, 1.0, (n, 1)) * np.exp(-0.5 * ((grid - centre) / 6.0) ** 2)
    flux += rng.normal(0.0, 0.01, flux.shape)
    return np.stack([flux, np.ones_like(flux)], axis=-1).astype("float32")


class OODScoreTest(TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.model = RRNet(**SMALL)
        rng = np.random.default_rng(0)
        for weight in cls.model.weights:   # random, varied features (the initial network is near-constant)
            if weight.trainable:
                weight.assign(rng.normal(0.0, 0.2, weight.shape).astype("float32"))

    def test_held_out_spectra_are_flagged_at_the_stated_rate_and_unlike_ones_more(self):
        train, held_out, test = _spectra(400, 1), _spectra(400, 2), _spectra(400, 3)
        ood = OODScore.fit(self.model, train).calibrate(self.model, held_out, false_flag_rate=0.05)
        rate = (ood.score(self.model, test) > ood.threshold).mean()
        self.assertTrue(0.01 <= rate <= 0.12, rate)      # 5 % ± binomial scatter on 400 spectra
        self.assertLess(np.median(ood.score(self.model, train)), ood.threshold)
        # No line, or flux at zero (an empty fibre's continuum-normalised noise): far from the training set.
        unlike = np.concatenate([_spectra(20, 4, depth=0.0),
                                 np.stack([np.random.default_rng(5).normal(0, 1, (20, 720)), np.ones((20, 720))], -1)])
        scores = ood.score(self.model, unlike.astype("float32"))
        self.assertGreater(np.mean(scores > ood.threshold), 0.9)
        flags = ood.flags([ood.threshold / 2, ood.threshold * 2])
        self.assertEqual(flags[0], "")
        self.assertIn("unlike the training spectra", flags[1])
        self.assertIn("5 % false-flag", flags[1])

    def test_save_load_and_an_ensemble_averages_its_members(self):
        train = _spectra(60, 6)
        ood = OODScore.fit(self.model, train).calibrate(self.model, _spectra(60, 7), false_flag_rate=0.1)
        path = pathlib.Path(self.get_temp_dir()) / "ood.npz"
        ood.save(path)
        loaded = OODScore.load(path)
        self.assertAllClose(loaded.score(self.model, train[:5]), ood.score(self.model, train[:5]), rtol=1e-6)
        self.assertAllClose(loaded.threshold, ood.threshold)
        ensemble = GaussianEnsemble([self.model, self.model])
        both = OODScore.fit(ensemble, train)
        self.assertAllClose(both.score(ensemble, train[:5]), OODScore.fit(self.model, train).score(self.model, train[:5]))
        with self.assertRaisesRegex(ValueError, "fitted for 2 member"):
            both.score(self.model, train[:2])
        self.assertEqual(features(self.model, train[:3], "dense").shape, (3, 16))
        self.assertEqual(features(self.model, train[:3]).shape, (3, 8))     # the last pooled stage's 8 channels
        dense = OODScore.fit(self.model, train, kind="dense")
        dense.save(path)
        self.assertEqual(OODScore.load(path).kind, "dense")

    def test_errors_name_what_is_wrong(self):
        with self.assertRaisesRegex(ValueError, "more spectra than features"):
            OODScore.fit(self.model, _spectra(8, 8))
        with self.assertRaisesRegex(ValueError, "kind must be one of"):
            OODScore.fit(self.model, _spectra(40, 8), kind="pixels")
        with self.assertRaisesRegex(ValueError, "call calibrate first"):
            OODScore.fit(self.model, _spectra(40, 8)).flags([1.0])
        with self.assertRaisesRegex(ValueError, "false_flag_rate must be in"):
            OODScore.fit(self.model, _spectra(40, 8)).calibrate(self.model, _spectra(40, 9), false_flag_rate=1.5)
        bad = pathlib.Path(self.get_temp_dir()) / "bad.npz"
        bad.write_text("not a file of ours")
        with self.assertRaisesRegex(ValueError, "bad.npz: expected an OOD score file"):
            OODScore.load(bad)
