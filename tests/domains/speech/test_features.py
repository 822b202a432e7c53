"""APNet's features on the real recordings, against librosa (torch's centred framing)."""

import librosa
import numpy as np

from core.data.audio import read_audio
from core.testing import TestCase
from domains.speech.data import arctic_utterance, asterisk_files
from domains.speech.features import FEATURE_CONFIGS, FeatureConfig, mel_invertibility, mel_spectrogram, spectral_features


class FeaturesTest(TestCase):
    def test_targets_and_mel_equal_librosa_on_both_configs(self):
        recordings = {"16k": read_audio(arctic_utterance(), 16000), "8k": read_audio(asterisk_files()[0], 8000)}
        for name, x in recordings.items():
            config = FEATURE_CONFIGS[name]
            spec = librosa.stft(x, n_fft=config.n_fft, hop_length=config.hop_length, win_length=config.win_length,
                                center=True, pad_mode="reflect").T
            features = {k: v.numpy()[0] for k, v in spectral_features(x[None], config).items()}
            self.assertEqual(features["phase"].shape, (1 + x.size // config.hop_length, config.num_bins))
            self.assertAllClose(features["real"], spec.real, atol=1e-4)
            self.assertAllClose(features["imag"], spec.imag, atol=1e-4)
            loud = np.abs(spec) > 1e-2  # float32 rounding aside: log and phase are exact where there is energy
            self.assertGreater(loud.mean(), 0.2)
            self.assertAllClose(features["log_amplitude"][loud], np.log(np.abs(spec) + 1e-5)[loud], atol=1e-3)
            wrapped = np.angle(np.exp(1j * (features["phase"] - np.angle(spec))))  # ±π are the same angle
            self.assertAllClose(wrapped[loud], np.zeros(loud.sum()), atol=1e-3)
            mel = mel_spectrogram(x[None], config).numpy()[0]
            reference = librosa.feature.melspectrogram(S=np.sqrt(np.abs(spec.T) ** 2 + 1e-9), sr=config.sample_rate,
                                                       n_fft=config.n_fft, n_mels=config.num_mels, fmin=config.fmin,
                                                       fmax=config.fmax, power=1.0)
            self.assertAllClose(mel, np.log(np.maximum(reference, 1e-5)).T, atol=1e-3)

    def test_configs_keep_the_paper_geometry(self):
        paper = FEATURE_CONFIGS["16k"]
        self.assertEqual((paper.n_fft, paper.hop_length, paper.win_length, paper.num_mels, paper.fmax),
                         (1024, 80, 320, 80, 8000.0))
        self.assertEqual(paper.segment_length, 8000)
        telephone = FEATURE_CONFIGS["8k"]
        self.assertEqual(telephone.hop_length / telephone.sample_rate, paper.hop_length / paper.sample_rate)
        with self.assertRaisesRegex(ValueError, "hop_length <= win_length"):
            FeatureConfig(8000, 256, 300, 200, 40)

    def test_mel_invertibility_of_both_configs(self):
        recordings = {"16k": read_audio(arctic_utterance(), 16000), "8k": read_audio(asterisk_files()[0], 8000)}
        errors = {}
        for name, x in recordings.items():
            config = FEATURE_CONFIGS[name]
            figures = mel_invertibility(config)
            # full column rank: every one of the 80 mels is independent; the rest of the bins is lost
            self.assertEqual((figures["rank"], figures["null_space"]), (80, config.num_bins - 80))
            self.assertEqual(figures["empty_bins"], 2)  # DC and Nyquist: no filter sees them
            self.assertGreater(figures["condition"], 1.0)
            basis = np.asarray(config.filterbank(), "float64")
            # exact on magnitudes inside the filterbank's column space, zero on the null space
            z = np.random.default_rng(0).uniform(size=(3, 80))
            inside = mel_invertibility(config, z @ basis.T)
            self.assertLess(inside["pinv_relative_error"], 1e-10)
            null = np.linalg.svd(basis.T)[2][-1]  # a unit vector with null · basis = 0: the mel cannot see it
            self.assertAllClose(null @ basis, np.zeros(80), atol=1e-12)
            self.assertAllClose(mel_invertibility(config, null[None])["pinv_relative_error"], 1.0, atol=1e-9)
            magnitude = np.hypot(*(np.asarray(v)[0] for v in (spectral_features(x[None], config)[k]
                                                              for k in ("real", "imag"))))
            errors[name] = mel_invertibility(config, magnitude)["pinv_relative_error"]
            with self.assertRaisesRegex(ValueError, f"end in the config's {config.num_bins} bins"):
                mel_invertibility(config, magnitude[:, :-1])
        # real speech: a few percent of the magnitude is lost, less at 8 kHz (3.2 bins per mel) than
        # at 16 kHz (6.4): measured 0.033 and 0.059
        self.assertLess(errors["8k"], 0.05)
        self.assertLess(errors["8k"], errors["16k"])
        self.assertLess(errors["16k"], 0.1)
