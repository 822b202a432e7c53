"""Losses of waveform generators (vocoders, enhancement, codecs), per example `(B,)`.

- `feature_matching_loss`: HiFi-GAN's L1 between the discriminators' feature maps on real and
  generated audio, summed over discriminators and layers.
- `mel_l1_loss`: L1 between the log-mel spectrograms of two waveforms (HiFi-GAN, APNet).
- `multi_resolution_stft_loss`: spectral convergence + log-magnitude L1, averaged over several
  STFT resolutions (Parallel WaveGAN, Yamamoto et al. 2020).

Each returns a `(B,)` vector (the mean over every other axis), as `core.training.GANModel`
expects; its batch mean is the reference implementation's scalar.

Example:
```python
rng = np.random.default_rng(0)
real, fake = rng.normal(size=(2, 4000)).astype("float32"), rng.normal(size=(2, 4000)).astype("float32")
tuple(multi_resolution_stft_loss(real, fake).shape)   # (2,)
filterbank = spectral.mel_filterbank(8000, 512, 80)
tuple(mel_l1_loss(real, fake, filterbank, n_fft=512, hop_length=40, win_length=160).shape)   # (2,)
```
"""

from keras import ops

from core import spectral
from core.metrics.losses import mean_per_example

__all__ = ["STFT_RESOLUTIONS", "feature_matching_loss", "mel_l1_loss", "multi_resolution_stft_loss"]

# (n_fft, hop, window) of Parallel WaveGAN's multi-resolution STFT loss.
STFT_RESOLUTIONS = ((1024, 120, 600), (2048, 240, 1200), (512, 50, 240))


def feature_matching_loss(real_outputs, fake_outputs):
    """Σ over discriminators and layers of mean |D_l(real) − D_l(fake)|, per example.

    Args:
        real_outputs: list (one per sub-discriminator) of lists of feature maps `(B, ...)` on
            real audio (the discriminators' outputs, `core`'s and HiFi-GAN's layout). Treated as
            constants.
        fake_outputs: the same structure on generated audio.

    Returns:
        `(B,)` tensor. HiFi-GAN and APNet weight it by 2.

    Example:
    ```python
    real = [[np.ones((2, 5, 3), "float32"), np.ones((2, 4, 1), "float32")]]
    fake = [[np.zeros((2, 5, 3), "float32"), np.zeros((2, 4, 1), "float32")]]
    feature_matching_loss(real, fake)   # [2., 2.]: 1 per layer
    ```
    """
    if len(real_outputs) != len(fake_outputs):
        raise ValueError(f"One list of feature maps per discriminator on both sides. "
                         f"Received: {len(real_outputs)} real, {len(fake_outputs)} fake")
    total = None
    for real_maps, fake_maps in zip(real_outputs, fake_outputs):
        for real, fake in zip(real_maps, fake_maps):
            term = mean_per_example(ops.abs(ops.stop_gradient(real) - fake))
            total = term if total is None else total + term
    return total


def mel_l1_loss(target, generated, filterbank, n_fft, hop_length, win_length=None):
    """Mean |log-mel(target) − log-mel(generated)| per example (`core.spectral.log_mel`).

    Args:
        target: waveforms `(B, samples)`.
        generated: waveforms `(B, samples)`.
        filterbank: `(n_fft // 2 + 1, mels)` (`core.spectral.mel_filterbank`).
        n_fft, hop_length, win_length: the STFT's.
    """
    args = (filterbank, n_fft, hop_length, win_length)
    return mean_per_example(ops.abs(spectral.log_mel(target, *args) - spectral.log_mel(generated, *args)))


def multi_resolution_stft_loss(target, generated, resolutions=STFT_RESOLUTIONS):
    """Spectral convergence + log-STFT-magnitude L1, averaged over resolutions, per example.

    Spectral convergence is ‖|Y| − |Ŷ|‖_F / ‖|Y|‖_F; the magnitude term is mean |ln|Y| − ln|Ŷ||.
    Magnitudes are floored as `core.spectral` floors them (sqrt(re² + im² + 1e-9)).

    Args:
        target: waveforms `(B, samples)`, longer than half the largest `n_fft`.
        generated: waveforms `(B, samples)`.
        resolutions: tuple of `(n_fft, hop, window)`. Defaults to Parallel WaveGAN's three.
    """
    total = 0.0
    for n_fft, hop, window in resolutions:
        real_mag, _ = spectral.amplitude_and_phase(*spectral.stft(target, n_fft, hop, window))
        fake_mag, _ = spectral.amplitude_and_phase(*spectral.stft(generated, n_fft, hop, window))
        convergence = ops.sqrt(ops.sum(ops.square(real_mag - fake_mag), axis=(1, 2))) / ops.sqrt(
            ops.sum(ops.square(real_mag), axis=(1, 2)))
        magnitude = mean_per_example(ops.abs(ops.log(real_mag) - ops.log(fake_mag)))
        total = total + convergence + magnitude
    return total / len(resolutions)
