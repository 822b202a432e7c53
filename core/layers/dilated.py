"""Weight-normalised 1-D convolutions and HiFi-GAN's multi-receptive-field residual blocks.

HiFi-GAN (Kong et al., NeurIPS 2020) and the vocoders built on it (APNet, iSTFTNet) share one
block, `ResBlock1`: for each dilation d, x ← x + conv_1(lrelu(conv_d(lrelu(x)))), both convs of
the same kernel, slope 0.1; a multi-receptive-field (MRF) module runs several of these stacks
with different kernels in parallel and averages them. Functional helpers (the layers get stable
names), initialised as the official code: kernels N(0, 0.01), weight normalisation on.

Example:
```python
inputs = keras.Input((None, 16))
outputs = apply_multi_receptive_field(inputs, 16, kernel_sizes=(3, 7), dilations=((1, 3), (1, 3)),
                                      name="mrf")
model = keras.Model(inputs, outputs)
tuple(model(np.zeros((2, 50, 16), "float32")).shape)   # (2, 50, 16)
```
"""

import keras

from core.layers.weight_normalization import WeightNormalization

__all__ = ["apply_dilated_residual_stack", "apply_multi_receptive_field", "vocoder_conv1d"]

LEAKY_SLOPE = 0.1


def vocoder_conv1d(filters, kernel_size, dilation_rate=1, strides=1, groups=1, weight_norm=True,
                   init_stddev=0.01, padding="same", name=None):
    """A `Conv1D` as the PyTorch vocoders build it: symmetric padding, N(0, σ) kernel, weight norm.

    Args:
        filters: int. Output channels.
        kernel_size: int. Odd for "same" padding to be symmetric, as torch's `get_padding`.
        dilation_rate: int. Defaults to 1.
        strides: int. Defaults to 1.
        groups: int. Defaults to 1.
        weight_norm: bool. Wrap in `WeightNormalization`. Defaults to True.
        init_stddev: float or None. Kernel N(0, σ) (HiFi-GAN's `init_weights`); None keeps
            Keras' Glorot default. Defaults to 0.01. Biases start at zero.
        padding: str. "same" or "valid". Defaults to "same".
        name: str or None.

    Example:
    ```python
    conv = vocoder_conv1d(8, 7, name="conv_in")
    tuple(conv(np.zeros((1, 20, 4), "float32")).shape)   # (1, 20, 8)
    ```
    """
    initializer = "glorot_uniform" if init_stddev is None else keras.initializers.RandomNormal(0.0, init_stddev)
    conv = keras.layers.Conv1D(filters, kernel_size, strides=strides, dilation_rate=dilation_rate, groups=groups,
                               padding=padding, kernel_initializer=initializer, name=name)
    return WeightNormalization(conv, name=f"{name}_wn" if name else None) if weight_norm else conv


def apply_dilated_residual_stack(x, channels, kernel_size, dilations=(1, 3, 5), weight_norm=True, name="resblock"):
    """HiFi-GAN's `ResBlock1`: for each dilation, x + conv(lrelu(conv_d(lrelu(x)))).

    Args:
        x: tensor `(batch, time, channels)`.
        channels: int. Must equal the input's channels.
        kernel_size: int.
        dilations: tuple of int. Defaults to (1, 3, 5).
        weight_norm: bool. Defaults to True.
        name: str. Prefix of the layer names.
    """
    for i, dilation in enumerate(dilations):
        y = keras.layers.LeakyReLU(LEAKY_SLOPE, name=f"{name}_act{i}a")(x)
        y = vocoder_conv1d(channels, kernel_size, dilation, weight_norm=weight_norm, name=f"{name}_conv{i}a")(y)
        y = keras.layers.LeakyReLU(LEAKY_SLOPE, name=f"{name}_act{i}b")(y)
        y = vocoder_conv1d(channels, kernel_size, 1, weight_norm=weight_norm, name=f"{name}_conv{i}b")(y)
        x = keras.layers.Add(name=f"{name}_add{i}")([x, y])
    return x


def apply_multi_receptive_field(x, channels, kernel_sizes=(3, 7, 11), dilations=((1, 3, 5),) * 3,
                                weight_norm=True, name="mrf"):
    """Several `apply_dilated_residual_stack`s in parallel on `x`, averaged (HiFi-GAN's MRF).

    Args:
        x: tensor `(batch, time, channels)`.
        channels: int.
        kernel_sizes: tuple of int, one per stack. Defaults to (3, 7, 11).
        dilations: tuple of tuples, one per stack. Defaults to ((1, 3, 5),) * 3.
        weight_norm: bool. Defaults to True.
        name: str.
    """
    if len(kernel_sizes) != len(dilations):
        raise ValueError(f"One dilation tuple per kernel size. Received: kernel_sizes={kernel_sizes}, "
                         f"dilations={dilations}")
    stacks = [apply_dilated_residual_stack(x, channels, k, d, weight_norm, name=f"{name}_block{j}")
              for j, (k, d) in enumerate(zip(kernel_sizes, dilations))]
    return stacks[0] if len(stacks) == 1 else keras.layers.Average(name=f"{name}_mean")(stacks)
