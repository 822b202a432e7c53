"""HiFi-GAN's multi-period (MPD) and multi-scale (MSD) discriminators, as APNet uses them.

Each is a functional `keras.Model` from a waveform batch `(batch, samples)` to a dict with one
entry per sub-discriminator (`period_2`, ..., `scale_0`, ...); each entry is the list of its feature maps (after each
convolution's LeakyReLU(0.1)), the last one being the score map (the `conv_post` output). The
LSGAN and feature-matching losses of `core.metrics` read that structure.

- MPD (periods 2, 3, 5, 7, 11): the waveform, reflect-padded to a multiple of the period, folded
  to `(samples / p, p)`; Conv2D (5, 1) stride (3, 1) with 32/128/512/1024 channels, then 1024
  stride 1, then Conv2D(1, (3, 1)); weight normalisation.
- MSD (3 scales): raw, ×2 and ×4 average-pooled (AvgPool1d(4, 2, padding=2), zeros counted);
  grouped Conv1Ds (`core.layers.SplitGroupConv1D`: TensorFlow's grouped convolution is slow on CPU) (128, k15) (128, k41, s2, g4) (256, k41, s2, g16) (512, k41, s4, g16)
  (1024, k41, s4, g16) (1024, k41, g16) (1024, k5), then Conv1D(1, k3); spectral normalisation
  on the raw scale, weight normalisation on the others.

Example:
```python
mpd = build_multi_period_discriminator(periods=(2, 3), channels=(4, 8, 8, 8, 8))
outputs = mpd(np.zeros((2, 400), "float32"))
sorted(outputs), len(outputs["period_2"])   # (['period_2', 'period_3'], 6): five feature maps and the score
```
"""

import keras
from keras import ops

from core.api import export
from core.layers import SplitGroupConv1D, WeightNormalization

__all__ = ["MPD_CHANNELS", "MSD_CHANNELS", "PeriodFold", "build_discriminators", "build_multi_period_discriminator",
           "build_multi_scale_discriminator"]

PERIODS = (2, 3, 5, 7, 11)
MPD_CHANNELS = (32, 128, 512, 1024, 1024)
MSD_CHANNELS = (128, 128, 256, 512, 1024, 1024, 1024)
MSD_KERNELS = (15, 41, 41, 41, 41, 41, 5)
MSD_STRIDES = (1, 2, 2, 4, 4, 1, 1)
MSD_GROUPS = (1, 4, 16, 16, 16, 16, 1)
SLOPE = 0.1


@export
class PeriodFold(keras.layers.Layer):
    """`(batch, samples)` → `(batch, ceil(samples / period), period, 1)`, reflect-padding the end.

    Args:
        period: int.

    Example:
    ```python
    tuple(PeriodFold(3)(np.zeros((1, 10), "float32")).shape)   # (1, 4, 3, 1)
    ```
    """

    def __init__(self, period, **kwargs):
        super().__init__(**kwargs)
        self.period = int(period)

    def call(self, waveform):
        samples = ops.shape(waveform)[1]
        pad = (self.period - samples % self.period) % self.period
        waveform = ops.pad(waveform, [[0, 0], [0, pad]], mode="reflect")
        return ops.reshape(waveform, (ops.shape(waveform)[0], -1, self.period, 1))

    def compute_output_shape(self, input_shape):
        samples = input_shape[1]
        return (input_shape[0], None if samples is None else -(-samples // self.period), self.period, 1)

    def get_config(self):
        return {**super().get_config(), "period": self.period}


def _wrap(conv, norm, name):
    if norm == "weight":
        return WeightNormalization(conv, name=f"{name}_wn")
    if norm == "spectral":
        return keras.layers.SpectralNormalization(conv, name=f"{name}_sn")
    return conv


def _period_discriminator(waveform, period, channels, name):
    x = PeriodFold(period, name=f"{name}_fold")(waveform)
    features = []
    strides = (3,) * (len(channels) - 1) + (1,)
    for i, (width, stride) in enumerate(zip(channels, strides)):
        x = keras.layers.ZeroPadding2D(((2, 2), (0, 0)), name=f"{name}_pad{i}")(x)
        conv = keras.layers.Conv2D(width, (5, 1), strides=(stride, 1), name=f"{name}_conv{i}")
        x = keras.layers.LeakyReLU(SLOPE, name=f"{name}_act{i}")(_wrap(conv, "weight", f"{name}_conv{i}")(x))
        features.append(x)
    x = keras.layers.ZeroPadding2D(((1, 1), (0, 0)), name=f"{name}_pad_post")(x)
    features.append(_wrap(keras.layers.Conv2D(1, (3, 1), name=f"{name}_post"), "weight", f"{name}_post")(x))
    return features


def build_multi_period_discriminator(periods=PERIODS, channels=MPD_CHANNELS, name="mpd"):
    """HiFi-GAN's MPD: one 2-D discriminator per period.

    Args:
        periods: tuple of int. Defaults to (2, 3, 5, 7, 11).
        channels: tuple of int, the five convolutions' widths. Defaults to (32, 128, 512, 1024, 1024).
        name: str.
    """
    waveform = keras.Input((None,), name="waveform")
    outputs = {f"period_{p}": _period_discriminator(waveform, p, channels, f"{name}_p{p}") for p in periods}
    return keras.Model(waveform, outputs, name=name)


def _scale_discriminator(x, channels, norm, name):
    features = []
    for i, (width, kernel, stride, groups) in enumerate(zip(channels, MSD_KERNELS, MSD_STRIDES, MSD_GROUPS)):
        x = keras.layers.ZeroPadding1D(kernel // 2, name=f"{name}_pad{i}")(x)
        conv = SplitGroupConv1D(width, kernel, strides=stride, groups=groups, name=f"{name}_conv{i}")
        x = keras.layers.LeakyReLU(SLOPE, name=f"{name}_act{i}")(_wrap(conv, norm, f"{name}_conv{i}")(x))
        features.append(x)
    x = keras.layers.ZeroPadding1D(1, name=f"{name}_pad_post")(x)
    features.append(_wrap(keras.layers.Conv1D(1, 3, name=f"{name}_post"), norm, f"{name}_post")(x))
    return features


def build_multi_scale_discriminator(scales=3, channels=MSD_CHANNELS, name="msd"):
    """HiFi-GAN's MSD: `scales` 1-D discriminators on the raw and successively pooled waveform.

    Args:
        scales: int. Defaults to 3.
        channels: tuple of 7 int (divisible by the groups 1/4/16/16/16/16/1). Defaults to
            (128, 128, 256, 512, 1024, 1024, 1024).
        name: str.
    """
    if len(channels) != len(MSD_KERNELS):
        raise ValueError(f"MSD has {len(MSD_KERNELS)} convolutions. Received: channels={channels}")
    waveform = keras.Input((None,), name="waveform")
    x = keras.layers.Reshape((-1, 1), name=f"{name}_channels")(waveform)
    outputs = {}
    for scale in range(scales):
        if scale:
            x = keras.layers.ZeroPadding1D(2, name=f"{name}_pool{scale}_pad")(x)
            x = keras.layers.AveragePooling1D(4, 2, name=f"{name}_pool{scale}")(x)
        norm = "spectral" if scale == 0 else "weight"
        outputs[f"scale_{scale}"] = _scale_discriminator(x, channels, norm, f"{name}_s{scale}")
    return keras.Model(waveform, outputs, name=name)


def build_discriminators(periods=PERIODS, scales=3, width=1.0):
    """APNet's discriminators, `{"mpd": MPD, "msd": MSD}`, at `width` times HiFi-GAN's channels.

    The MPD's widths are rounded (at least 1); the MSD's to multiples of 16 (at least 16), so that
    they stay divisible by its groups.

    Args:
        periods: tuple of int. MPD periods. Defaults to (2, 3, 5, 7, 11).
        scales: int. MSD scales. Defaults to 3.
        width: float. Channels relative to HiFi-GAN's (1: the paper's). Defaults to 1.0.

    Raises:
        ValueError: a width that is not positive.

    Example:
    ```python
    small = build_discriminators(width=0.125)   # MPD (4, 16, 64, 128, 128), MSD (16, 16, 32, 64, 128, 128, 128)
    sorted(small)                               # ['mpd', 'msd']
    ```
    """
    if not width > 0:
        raise ValueError(f"The discriminators' width must be positive. Received: width={width}")
    mpd = tuple(max(1, round(c * width)) for c in MPD_CHANNELS)
    msd = tuple(max(16, 16 * round(c * width / 16)) for c in MSD_CHANNELS)  # divisible by the groups
    return {"mpd": build_multi_period_discriminator(tuple(periods), mpd),
            "msd": build_multi_scale_discriminator(scales, msd)}
