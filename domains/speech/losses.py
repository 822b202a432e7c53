"""APNet's spectral losses, per example `(B,)` (docs/papers.md §7; Ai & Ling 2023, Sec. III-C).

- `amplitude_loss`: L_A = MSE between log-amplitude spectra.
- `phase_losses`: instantaneous phase (IP) on φ, group delay (GD) on the difference along
  frequency φ[k−1] − φ[k], instantaneous angular frequency (IAF) on the difference along time
  (the first bin / frame is −φ₀, as the official difference matrices give), each through the
  anti-wrapping function f_AW(x) = |x − 2π·round(x / 2π)| of the paper (`wrapping="paper"`), or
  the official code's mean(−cos Δ) (`wrapping="cosine"`).
- `consistency_loss`: L_C = mean (ΔRe² + ΔIm²) between the predicted spectrum and the STFT of
  the generated waveform (the short-time spectrum consistency).
- `real_imaginary_loss`: L_R + L_I = L1 on the real and imaginary parts against natural speech.

The adversarial, feature-matching and mel terms come from `core.metrics`. The weights of the
paper (`LOSS_WEIGHTS`): L_G = 45·L_A + 100·L_P + 20·(L_C + 2.25·(L_R + L_I)) + L_GAN + 2·L_FM + 45·L_Mel.

Example:
```python
phase = np.random.default_rng(0).uniform(-np.pi, np.pi, (2, 11, 257)).astype("float32")
ip, gd, iaf = phase_losses(phase, phase + 2 * np.pi)   # a 2π shift costs nothing
float(ip.numpy().max()) < 1e-5   # True
```
"""

import math

from keras import ops

from core.metrics import mean_per_example

__all__ = ["LOSS_WEIGHTS", "WRAPPINGS", "amplitude_loss", "anti_wrapping", "consistency_loss", "phase_losses",
           "real_imaginary_loss"]

LOSS_WEIGHTS = {"amplitude": 45.0, "phase": 100.0, "spectrum": 20.0, "real_imaginary": 2.25,
                "feature_matching": 2.0, "mel": 45.0}
WRAPPINGS = ("paper", "cosine")


def anti_wrapping(x):
    """f_AW(x) = |x − 2π·round(x / 2π)|: the distance of a phase difference to the nearest 2πk."""
    return ops.abs(x - 2 * math.pi * ops.round(x / (2 * math.pi)))


def amplitude_loss(target, predicted):
    """L_A: mean squared error of the log-amplitude spectra `(B, frames, bins)`."""
    return mean_per_example(ops.square(target - predicted))


def _frequency_difference(phase):
    """φ[k−1] − φ[k] along the bins, φ[−1] = 0 (the official GD matrix)."""
    shifted = ops.pad(phase[:, :, :-1], [[0, 0], [0, 0], [1, 0]])
    return shifted - phase


def _time_difference(phase):
    """φ[t−1] − φ[t] along the frames, φ[−1] = 0 (the official PTD matrix)."""
    shifted = ops.pad(phase[:, :-1, :], [[0, 0], [1, 0], [0, 0]])
    return shifted - phase


def phase_losses(target, predicted, wrapping="paper"):
    """(IP, GD, IAF) losses `(B,)` each, of phase spectra `(B, frames, bins)`.

    Args:
        target: natural phase.
        predicted: predicted phase.
        wrapping: "paper" (f_AW) or "cosine" (the official code's −cos). Defaults to "paper".
    """
    if wrapping not in WRAPPINGS:
        raise ValueError(f"wrapping must be one of {WRAPPINGS}. Received: wrapping={wrapping!r}")

    def distance(difference):
        if wrapping == "paper":
            return mean_per_example(anti_wrapping(difference))
        return mean_per_example(-ops.cos(difference))

    return (distance(target - predicted),
            distance(_frequency_difference(target) - _frequency_difference(predicted)),
            distance(_time_difference(target) - _time_difference(predicted)))


def consistency_loss(real, imag, real_rebuilt, imag_rebuilt):
    """L_C: mean (ΔRe² + ΔIm²) between the predicted spectrum and the generated waveform's STFT."""
    return mean_per_example(ops.square(real - real_rebuilt) + ops.square(imag - imag_rebuilt))


def real_imaginary_loss(real, imag, real_target, imag_target):
    """L_R + L_I: L1 of the real and imaginary parts against natural speech."""
    return mean_per_example(ops.abs(real - real_target)) + mean_per_example(ops.abs(imag - imag_target))
