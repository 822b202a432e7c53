"""APNet's generator: the official parameter count (built, not run), synthesis, HiFi-GAN baseline."""

import librosa
import numpy as np
import tensorflow as tf

from core.data.audio import read_audio
from core.testing import TestCase
from domains.speech.data import arctic_utterance, asterisk_files
from domains.speech.features import FEATURE_CONFIGS, spectral_features
from domains.speech.generator import SpectrumSynthesis, build_generator, build_hifigan_generator, fold_generator
from tests.domains.speech.conftest import gains


class GeneratorTest(TestCase):
    def test_hifigan_baseline_has_the_official_parameter_count(self):
        # APNet's own count (72,191,494) is checked in test_model.py on `APNet()`, built once.
        hifigan = build_hifigan_generator()  # docs/official_implementations.md: 13,926,017 with weight norm removed
        self.assertEqual(hifigan.count_params() - gains(hifigan), 13_926_017)

    def test_the_folded_copy_gives_the_same_outputs_with_split_convolutions(self):
        from core.layers import TimeSplitConv1D, WeightNormalization

        generator = build_generator(FEATURE_CONFIGS["8k"], channels=8, kernel_sizes=(3, 7), dilations=((1, 3),) * 2)
        weights = [np.random.default_rng(0).normal(0, 0.05, w.shape).astype("float32") for w in generator.get_weights()]
        generator.set_weights(weights)
        folded = fold_generator(generator)
        self.assertEqual(generator.count_params() - gains(generator), folded.count_params())
        self.assertFalse(any(isinstance(layer, WeightNormalization) for layer in folded.layers))
        convolutions = [layer for layer in folded.layers if isinstance(layer, TimeSplitConv1D)]
        self.assertLen(convolutions, sum(isinstance(layer, WeightNormalization) for layer in generator.layers))
        mel = np.random.default_rng(1).normal(size=(1, 37, FEATURE_CONFIGS["8k"].num_mels)).astype("float32")
        expected, got = generator(mel), folded(mel)
        for key in ("log_amplitude", "waveform"):
            self.assertAllClose(got[key], expected[key], atol=1e-4, msg=key)

    def test_synthesis_of_true_amplitude_and_phase_gives_the_waveform_back(self):
        config = FEATURE_CONFIGS["8k"]
        x = (0.3 * np.sin(np.arange(4000) / 3.0) * np.hanning(4000)).astype("float32")[None]
        target = spectral_features(x, config)
        # R and I with the true phase, scaled arbitrarily: atan2 keeps only the angle.
        r, i = 3.0 * np.cos(target["phase"]), 3.0 * np.sin(target["phase"])
        amplitude = np.exp(target["log_amplitude"]) - 1e-5
        phase, real, imag, waveform = SpectrumSynthesis(config.n_fft, config.hop_length, config.win_length)(
            [np.log(np.maximum(amplitude, 1e-12)), r, i])
        self.assertAllClose(real, target["real"], atol=1e-4)
        self.assertAllClose(waveform, x, atol=1e-4)

    def test_real_speech_comes_back_through_the_synthesis_at_its_level(self):
        # The generator's own path on real utterances: log_amplitude = ln(|X| + 1e-5) → exp → × (cos, sin)
        # of the true phase → iSTFT. A scale error between the features, exp and the window
        # normalisation would show as a level offset (the 5-9 dB) or a low SNR.
        asterisk = next(p for p in asterisk_files() if p.name == "activated.wav")
        for name, path in (("8k", asterisk), ("16k", arctic_utterance())):
            config = FEATURE_CONFIGS[name]
            x = read_audio(path, config.sample_rate)
            x = x[: x.size // config.hop_length * config.hop_length]
            target = spectral_features(x[None], config)
            phase, real, imag, waveform = SpectrumSynthesis(config.n_fft, config.hop_length, config.win_length)(
                [target["log_amplitude"], 0.5 * np.cos(target["phase"]), 0.5 * np.sin(target["phase"])])
            y = np.asarray(waveform)[0]
            self.assertEqual(y.size, x.size, name)
            level = 10 * np.log10(np.mean(y ** 2) / np.mean(x ** 2))
            self.assertLess(abs(level), 0.1, name)
            snr = 10 * np.log10(np.mean(x ** 2) / np.mean((x - y) ** 2))
            self.assertGreater(snr, 60.0, name)  # measured 99 dB (8k), 102 dB (16k): the 1e-5 floor only
            spectrum = (np.asarray(real) + 1j * np.asarray(imag))[0].T
            reference = librosa.istft(spectrum, hop_length=config.hop_length, win_length=config.win_length,
                                      n_fft=config.n_fft, center=True, length=x.size)
            self.assertAllClose(y, reference, atol=1e-5)

    def test_small_generator_outputs_and_saving(self):
        config = FEATURE_CONFIGS["8k"]
        generator = build_generator(config, channels=4, kernel_sizes=(3,), dilations=((1,),))
        mel = np.random.default_rng(0).normal(size=(2, 11, 80)).astype("float32")
        outputs = generator(mel)
        self.assertEqual(set(outputs), {"log_amplitude", "phase", "real", "imag", "waveform"})
        self.assertEqual(tuple(outputs["waveform"].shape), (2, 10 * config.hop_length))
        self.assertLessEqual(float(np.abs(outputs["phase"]).max()), np.pi)
        self.assertAllClose(outputs["real"] ** 2 + outputs["imag"] ** 2, np.exp(2 * outputs["log_amplitude"]), atol=1e-4)
        self.run_model_saving_test(generator, tf.constant(mel))
