"""core.metrics.spectral: the vocoder losses, per example, against direct NumPy/librosa computations."""

import librosa
import numpy as np

from core import spectral
from core.metrics import feature_matching_loss, mel_l1_loss, multi_resolution_stft_loss
from core.testing import TestCase


class SpectralLossTest(TestCase):
    def test_feature_matching_sums_layer_means_per_example(self):
        rng = np.random.default_rng(0)
        real = [[rng.normal(size=(2, 5, 3)).astype("float32"), rng.normal(size=(2, 4, 1)).astype("float32")],
                [rng.normal(size=(2, 7, 2)).astype("float32")]]
        fake = [[np.zeros_like(a) for a in group] for group in real]
        expected = sum(np.abs(a).reshape(2, -1).mean(axis=1) for group in real for a in group)
        self.assertAllClose(feature_matching_loss(real, fake), expected, atol=1e-6)
        with self.assertRaisesRegex(ValueError, "One list of feature maps"):
            feature_matching_loss(real, fake[:1])

    def test_mel_l1_matches_librosa_and_is_zero_on_identical_audio(self):
        rng = np.random.default_rng(1)
        a, b = (0.1 * rng.normal(size=(2, 4000))).astype("float32"), (0.1 * rng.normal(size=(2, 4000))).astype("float32")
        filterbank = spectral.mel_filterbank(8000, 512, 80)
        loss = mel_l1_loss(a, b, filterbank, 512, 40, 160).numpy()
        self.assertAllClose(mel_l1_loss(a, a, filterbank, 512, 40, 160), [0, 0])

        def log_mel(x):
            s = np.sqrt(np.abs(librosa.stft(x, n_fft=512, hop_length=40, win_length=160, pad_mode="reflect")) ** 2 + 1e-9)
            return np.log(np.maximum(filterbank.T @ s, 1e-5))

        self.assertAllClose(loss[0], np.mean(np.abs(log_mel(a[0]) - log_mel(b[0]))), atol=1e-4)

    def test_multi_resolution_stft_loss_is_zero_for_equal_and_grows_with_noise(self):
        rng = np.random.default_rng(2)
        clean = np.sin(np.arange(8000) / 7.0)[None].astype("float32")
        self.assertAllClose(multi_resolution_stft_loss(clean, clean), [0.0], atol=1e-6)
        small = multi_resolution_stft_loss(clean, clean + 0.01 * rng.normal(size=clean.shape).astype("float32"))
        large = multi_resolution_stft_loss(clean, clean + 0.3 * rng.normal(size=clean.shape).astype("float32"))
        self.assertLess(float(small[0]), float(large[0]))
