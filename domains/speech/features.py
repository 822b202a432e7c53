"""APNet's features: log-mel input; log-amplitude, phase, real and imaginary part targets.

Computed as the official `dataset.py` computes them (docs/papers.md §7), on `core.spectral`
(`torch.stft(center=True)` framing, librosa's mel filterbank):

    mel       = ln(max(mel_basis · sqrt(re² + im² + 1e-9), 1e-5))
    log_amp   = ln(|X| + 1e-5)        phase = atan2(im, re)        real, imag = re, im

Two configurations (`FEATURE_CONFIGS`): "16k", the paper's (n_fft 1024, hop 80 = 5 ms, window
320 = 20 ms, 80 mels up to 8 kHz), and "8k" for telephone-band audio such as the Asterisk
recordings: the same frame geometry in time (hop 40 = 5 ms, window 160 = 20 ms, n_fft 512) and
80 mels up to 4 kHz. A training segment is 100 hops (8000 samples at 16 kHz, 4000 at 8 kHz), so
101 frames in both.

Example:
```python
config = FEATURE_CONFIGS["8k"]
x = np.random.default_rng(0).normal(scale=0.1, size=(2, config.segment_length)).astype("float32")
features = spectral_features(x, config)
{k: tuple(v.shape) for k, v in features.items()}
# {'log_amplitude': (2, 101, 257), 'phase': ..., 'real': ..., 'imag': ...}
tuple(mel_spectrogram(x, config).shape)   # (2, 101, 80)
```
"""

import dataclasses

from keras import ops

from core import spectral

__all__ = ["FEATURE_CONFIGS", "FeatureConfig", "mel_invertibility", "mel_spectrogram", "spectral_features"]

AMPLITUDE_FLOOR = 1e-5  # log-amplitude = ln(|X| + 1e-5)


@dataclasses.dataclass(frozen=True)
class FeatureConfig:
    """The analysis parameters of one vocoder configuration.

    Args:
        sample_rate: int. Hz.
        n_fft: int. FFT length (`n_fft // 2 + 1` frequency bins).
        hop_length: int. Samples between frames.
        win_length: int. Hann window length.
        num_mels: int. Mel bands of the input.
        fmin: float. Lowest mel frequency. Defaults to 0.
        fmax: float or None. Highest mel frequency; None means Nyquist. Defaults to None.
        segment_frames: int. Hops per training segment. Defaults to 100.

    Example:
    ```python
    FeatureConfig(16000, 1024, 80, 320, 80, fmax=8000).num_bins   # 513
    ```
    """

    sample_rate: int
    n_fft: int
    hop_length: int
    win_length: int
    num_mels: int
    fmin: float = 0.0
    fmax: float = None
    segment_frames: int = 100

    def __post_init__(self):
        if not 0 < self.hop_length <= self.win_length <= self.n_fft:
            raise ValueError(f"Expected 0 < hop_length <= win_length <= n_fft. Received: hop_length={self.hop_length}, "
                             f"win_length={self.win_length}, n_fft={self.n_fft}")

    @property
    def num_bins(self):
        return self.n_fft // 2 + 1

    @property
    def min_samples(self):
        """The shortest waveform the vocoder takes: one whole `n_fft` analysis window, in whole hops.

        Shorter, no STFT frame sees `n_fft` real samples (every frame is mostly reflect padding,
        and below `n_fft // 2 + 1` samples the padding itself fails): 520 samples (65 ms) at 8 kHz,
        1040 (65 ms) at 16 kHz.

        Example:
        ```python
        FEATURE_CONFIGS["8k"].min_samples   # 520
        ```
        """
        return -(-self.n_fft // self.hop_length) * self.hop_length

    @property
    def min_seconds(self):
        """`min_samples` in seconds."""
        return self.min_samples / self.sample_rate

    @property
    def segment_length(self):
        """Samples of a training segment (a multiple of the hop)."""
        return self.segment_frames * self.hop_length

    def filterbank(self):
        """librosa's mel filterbank `(num_bins, num_mels)` (cached)."""
        return spectral.mel_filterbank(self.sample_rate, self.n_fft, self.num_mels, self.fmin, self.fmax)

    def stft_args(self):
        return {"n_fft": self.n_fft, "hop_length": self.hop_length, "win_length": self.win_length}

    def to_dict(self):
        return dataclasses.asdict(self)


FEATURE_CONFIGS = {
    "16k": FeatureConfig(16000, 1024, 80, 320, 80, fmin=0.0, fmax=8000.0),  # the paper's config.json
    "8k": FeatureConfig(8000, 512, 40, 160, 80, fmin=0.0, fmax=4000.0),  # telephone band, same frame times
}


def mel_spectrogram(waveform, config):
    """Log-mel `(..., frames, num_mels)` of waveforms `(..., samples)` (the generator's input)."""
    return spectral.log_mel(waveform, config.filterbank(), **config.stft_args())


def spectral_features(waveform, config):
    """The generator's targets: dict of `log_amplitude`, `phase`, `real`, `imag`, each `(..., frames, bins)`."""
    real, imag = spectral.stft(waveform, **config.stft_args())
    _, phase = spectral.amplitude_and_phase(real, imag)
    log_amplitude = ops.log(ops.sqrt(real ** 2 + imag ** 2) + AMPLITUDE_FLOOR)
    return {"log_amplitude": log_amplitude, "phase": phase, "real": real, "imag": imag}


def mel_invertibility(config, magnitudes=None):
    """How much of the linear magnitude the mel filterbank of `config` keeps (why Griffin-Lim is strong here).

    The mel is `mel = |X| · M` with `M` the `(num_bins, num_mels)` filterbank; its least-squares
    inverse `|X̂| = max(mel · pinv(M), 0)` recovers the part of each magnitude frame in the column
    space of `M` and loses the rest (the null space of `Mᵀ`, `num_bins − rank` dimensions).

    Args:
        config: `FeatureConfig`.
        magnitudes: array `(..., num_bins)` of linear magnitudes `|X|` (e.g. of real speech), or
            None for the filterbank's figures alone. Defaults to None.

    Returns:
        dict: `num_bins`, `num_mels`, `rank`, `null_space` (`num_bins − rank`), `condition`
        (largest over smallest nonzero singular value), `empty_bins` (bins no filter sees), and
        with `magnitudes`: `pinv_relative_error` (‖|X̂| − |X|‖ / ‖|X|‖ over all frames) and
        `pinv_snr_db` (−20·log10 of it).

    Example:
    ```python
    mel_invertibility(FEATURE_CONFIGS["8k"])["rank"]   # 80 of 257 bins
    ```
    """
    import numpy as np

    basis = np.asarray(config.filterbank(), "float64")
    singular = np.linalg.svd(basis, compute_uv=False)
    rank = int(np.sum(singular > singular[0] * max(basis.shape) * np.finfo("float64").eps))
    result = {"num_bins": config.num_bins, "num_mels": config.num_mels, "rank": rank,
              "null_space": config.num_bins - rank, "condition": float(singular[0] / singular[rank - 1]),
              "empty_bins": int(np.sum(basis.sum(axis=1) == 0))}
    if magnitudes is not None:
        magnitudes = np.asarray(magnitudes, "float64")
        if magnitudes.shape[-1] != config.num_bins:
            raise ValueError(f"magnitudes must end in the config's {config.num_bins} bins. "
                             f"Received: magnitudes of shape {magnitudes.shape}")
        rebuilt = np.maximum(magnitudes @ basis @ np.linalg.pinv(basis), 0.0)
        error = float(np.linalg.norm(rebuilt - magnitudes) / np.linalg.norm(magnitudes))
        result.update(pinv_relative_error=error, pinv_snr_db=float(-20 * np.log10(error)))
    return result
