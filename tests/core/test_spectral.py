"""core.spectral against librosa (torch's centred framing) on a real recording, both ways."""

import librosa
import numpy as np

from core import spectral
from core.data import samples
from core.data.audio import read_audio
from core.testing import TestCase


def _arctic():
    return read_audio(samples.fetch("speech.arctic_a0009_wav", verbose=False), 16000)


class SpectralTest(TestCase):
    def test_stft_istft_and_log_mel_equal_librosa_on_real_speech(self):
        x = _arctic()
        for n_fft, hop, win in ((1024, 80, 320), (512, 40, 160)):
            real, imag = spectral.stft(x[None], n_fft, hop, win)
            reference = librosa.stft(x, n_fft=n_fft, hop_length=hop, win_length=win, center=True, pad_mode="reflect").T
            self.assertEqual(tuple(real.shape), (1, 1 + x.size // hop, n_fft // 2 + 1))
            self.assertAllClose(real[0], reference.real, atol=1e-4)
            self.assertAllClose(imag[0], reference.imag, atol=1e-4)
            length = (reference.shape[0] - 1) * hop
            back = spectral.istft(real, imag, n_fft, hop, win)[0]
            expected = librosa.istft(reference.T, n_fft=n_fft, hop_length=hop, win_length=win, length=length)
            self.assertAllClose(back, expected, atol=1e-5)  # edges included (envelope-normalised)
            self.assertAllClose(back, x[:length], atol=1e-5)
        filterbank = spectral.mel_filterbank(16000, 1024, 80, 0.0, 8000.0)
        ours = spectral.log_mel(x[None], filterbank, 1024, 80, 320)[0].numpy()
        magnitude = np.sqrt(np.abs(librosa.stft(x, n_fft=1024, hop_length=80, win_length=320, pad_mode="reflect")) ** 2 + 1e-9)
        mel = librosa.feature.melspectrogram(S=magnitude, sr=16000, n_fft=1024, n_mels=80, fmax=8000, power=1.0)
        self.assertAllClose(ours, np.log(np.maximum(mel, 1e-5)).T, atol=1e-3)

    def test_filterbank_refuses_an_impossible_band(self):
        with self.assertRaisesRegex(ValueError, "fmax"):
            spectral.mel_filterbank(8000, 512, 80, 0.0, 8000.0)
        with self.assertRaisesRegex(ValueError, "empty filters"):
            spectral.mel_filterbank(8000, 64, 80)


class InverseMethodTest(TestCase):
    def test_matmul_inverse_equals_the_fft_inverse(self):
        x = np.random.default_rng(0).normal(size=(2, 1200)).astype("float32")
        real, imag = spectral.stft(x, 512, 40, 160)
        fft = spectral.istft(real, imag, 512, 40, 160)
        self.assertAllClose(spectral.istft(real, imag, 512, 40, 160, method="matmul"), fft, atol=1e-5)
        self.assertAllClose(fft, x, atol=1e-5)
        with self.assertRaisesRegex(ValueError, "method must be one of"):
            spectral.istft(real, imag, 512, 40, 160, method="dft")
