"""APNet's features on the real recordings, against librosa (torch's centred framing)."""

import librosa
import numpy as np

from core.data.audio import read_audio
from core.testing import TestCase
from domains.speech.data import arctic_utterance, asterisk_files
from domains.speech.features import FEATURE_CONFIGS, FeatureConfig, mel_spectrogram, spectral_features


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
