"""Short-time Fourier transforms and mel spectrograms as PyTorch and librosa compute them.

Vocoders are trained on features computed with `torch.stft(..., center=True)` and librosa's
Slaney mel filterbank; a re-implementation must reproduce them to the last frame:

- `stft`: `keras.ops.stft` with `center=True` — the signal reflect-padded by `n_fft // 2` on both
  sides, a periodic Hann window of `win_length` zero-padded to `n_fft` in the middle — which is
  `torch.stft(..., center=True, pad_mode="reflect")` and `librosa.stft`; frames `1 + n // hop`.
- `istft`: the inverse, overlap-added with `tf.signal.overlap_and_add` and divided by the summed
  squared window frame by frame, as `torch.istft` and `librosa.istft` (`keras.ops.istft` divides by
  the steady-state sum everywhere, which differs in the first and last hop).
- `mel_filterbank`: librosa's filterbank (`librosa.filters.mel`: Slaney scale and area
  normalisation; `tf.signal.linear_to_mel_weight_matrix` is the HTK scale, unnormalised).
- `log_mel`: ln(max(mel · sqrt(re² + im² + 1e-9), 1e-5)), HiFi-GAN's and APNet's features.

Shapes are channels-last: a waveform batch `(batch, samples)` gives spectra `(batch, frames, bins)`.

Example:
```python
x = np.random.default_rng(0).normal(size=(2, 8000)).astype("float32")
real, imag = stft(x, n_fft=1024, hop_length=80, win_length=320)
tuple(real.shape)   # (2, 101, 513)
y = istft(real, imag, n_fft=1024, hop_length=80, win_length=320)
tuple(y.shape)   # (2, 8000): x back, to float32 rounding
mel = log_mel(x, mel_filterbank(16000, 1024, 80), n_fft=1024, hop_length=80, win_length=320)
tuple(mel.shape)   # (2, 101, 80)
```
"""

import functools

import numpy as np
import tensorflow as tf
from keras import ops

__all__ = ["amplitude_and_phase", "istft", "log_mel", "mel_filterbank", "stft"]

MAGNITUDE_FLOOR = 1e-9  # inside the sqrt of the magnitude, as HiFi-GAN and APNet
LOG_FLOOR = 1e-5  # clamp before the log of the mel spectrogram


def stft(waveform, n_fft, hop_length, win_length=None):
    """Centred STFT `(real, imag)`, each `(..., frames, n_fft // 2 + 1)`, as `torch.stft(center=True)`.

    Args:
        waveform: float tensor `(..., samples)`; at least `n_fft // 2 + 1` samples (reflect padding).
        n_fft: int. FFT length.
        hop_length: int. Frame step.
        win_length: int or None. Hann window length (≤ n_fft); None means n_fft. Defaults to None.
    """
    return ops.stft(waveform, sequence_length=win_length or n_fft, sequence_stride=hop_length,
                    fft_length=n_fft, window="hann", center=True)


INVERSE_METHODS = ("fft", "matmul")


def istft(real, imag, n_fft, hop_length, win_length=None, method="fft"):
    """Inverse of `stft`: `(..., frames, bins)` → `(..., (frames - 1) * hop_length)`, as `torch.istft`.

    Each frame is inverted (`tf.signal.irfft`), windowed, overlap-added and divided by the summed
    squared window at every sample, then the `n_fft // 2` padded samples are cut from both ends.

    Args:
        real: float tensor `(..., frames, n_fft // 2 + 1)`.
        imag: float tensor, the same shape.
        n_fft: int.
        hop_length: int.
        win_length: int or None. Defaults to n_fft.
        method: "fft" (`tf.signal.irfft`) or "matmul" (the inverse real DFT as two real matrix
            products with the window folded in: no complex tensors, so it runs on TFLite's
            builtin ops). Defaults to "fft".
    """
    if method not in INVERSE_METHODS:
        raise ValueError(f"method must be one of {INVERSE_METHODS}. Received: method={method!r}")
    window = tf.constant(_padded_window(n_fft, win_length or n_fft), dtype=real.dtype)
    if method == "fft":
        frames = tf.signal.irfft(tf.complex(real, imag), fft_length=[n_fft]) * window
    else:
        cos_basis, sin_basis = _inverse_dft_bases(n_fft, win_length or n_fft)
        frames = (tf.matmul(real, tf.constant(cos_basis, real.dtype))
                  + tf.matmul(imag, tf.constant(sin_basis, real.dtype)))
    signal = tf.signal.overlap_and_add(frames, hop_length)
    num_frames = tf.shape(real)[-2]
    envelope = tf.signal.overlap_and_add(tf.tile(window[None, :] ** 2, [num_frames, 1]), hop_length)
    half = n_fft // 2
    length = (num_frames - 1) * hop_length
    envelope = envelope[half:half + length]
    # torch.istft divides where the envelope exceeds 1e-11; elsewhere the signal is zero anyway.
    return signal[..., half:half + length] / tf.where(envelope > 1e-11, envelope, tf.ones_like(envelope))


@functools.lru_cache(maxsize=16)
def _padded_window(n_fft, win_length):
    """Periodic Hann window of `win_length`, zero-padded to `n_fft` in the middle (as torch)."""
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(win_length) / win_length)
    left = (n_fft - win_length) // 2
    return np.pad(window, (left, n_fft - win_length - left)).astype("float32")


@functools.lru_cache(maxsize=16)
def _inverse_dft_bases(n_fft, win_length):
    """(bins, n_fft) matrices C, S with irfft(re + i·im) · window = re @ C + im @ S."""
    bins = n_fft // 2 + 1
    weights = np.full(bins, 2.0)
    weights[0] = 1.0
    if n_fft % 2 == 0:
        weights[-1] = 1.0
    angle = 2 * np.pi * np.outer(np.arange(bins), np.arange(n_fft)) / n_fft
    window = _padded_window(n_fft, win_length).astype("float64")
    scale = weights[:, None] / n_fft * window[None, :]
    return (scale * np.cos(angle)).astype("float32"), (-scale * np.sin(angle)).astype("float32")


def amplitude_and_phase(real, imag):
    """`(sqrt(re² + im² + 1e-9), atan2(im, re))`: the magnitude as the vocoders floor it, the phase."""
    return ops.sqrt(real ** 2 + imag ** 2 + MAGNITUDE_FLOOR), tf.math.atan2(imag, real)


@functools.lru_cache(maxsize=16)
def mel_filterbank(sample_rate, n_fft, num_mels, fmin=0.0, fmax=None):
    """librosa's mel filterbank, transposed for channels-last use: `(n_fft // 2 + 1, num_mels)`.

    Args:
        sample_rate: int.
        n_fft: int.
        num_mels: int.
        fmin: float. Defaults to 0.
        fmax: float or None. None means sample_rate / 2. Defaults to None.

    Raises:
        ValueError: `fmax` above the Nyquist frequency, or a filter with no FFT bin (too many
            mels for `n_fft`).
    """
    import librosa

    fmax = sample_rate / 2 if fmax is None else fmax
    if not 0 <= fmin < fmax <= sample_rate / 2:
        raise ValueError(f"Mel band must satisfy 0 <= fmin < fmax <= sample_rate / 2 = {sample_rate / 2}. "
                         f"Received: fmin={fmin}, fmax={fmax}")
    basis = librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=num_mels, fmin=fmin, fmax=fmax)
    if np.any(basis.max(axis=1) == 0):
        raise ValueError(f"{num_mels} mels between {fmin} and {fmax} Hz leave empty filters with n_fft={n_fft}. "
                         f"Received: num_mels={num_mels}")
    return basis.T.astype("float32")


def log_mel(waveform, filterbank, n_fft, hop_length, win_length=None):
    """Log-mel spectrogram `(..., frames, num_mels)`: ln(max(mel · |STFT|, 1e-5)).

    Args:
        waveform: float tensor `(..., samples)`.
        filterbank: array `(n_fft // 2 + 1, num_mels)` (see `mel_filterbank`).
        n_fft, hop_length, win_length: as `stft`.
    """
    real, imag = stft(waveform, n_fft, hop_length, win_length)
    magnitude, _ = amplitude_and_phase(real, imag)
    mel = ops.matmul(magnitude, ops.cast(filterbank, magnitude.dtype))
    return ops.log(ops.maximum(mel, LOG_FLOOR))
