"""Sub-pixel up- and downsampling for 1-D, 2-D and 3-D inputs (PyTorch channel ordering).

Keras has `tf.nn.depth_to_space` for 2-D only, and its NHWC channel ordering
(`(i * r + j) * C + c`) is not PyTorch's `nn.PixelShuffle` ordering (`c * r**2 + i * r + j`).
These layers use PyTorch's ordering for every rank, so that weights of a convolution that feeds a
pixel shuffle can be ported from PyTorch models (e.g. DISGAN's `PixelShuffle3d`) unchanged.
"""

import keras
from keras import ops

from core.api import export
from core.layers.factories import check_input_rank, check_rank


def _sub_position_axes(rank):
    """`[0, 1, n+2, 2, n+3, ...]`: interleave spatial axes with their sub-position axes."""
    perm = [0]
    for d in range(rank):
        perm += [1 + d, rank + 2 + d]
    return perm


@export
class PixelShuffle(keras.layers.Layer):
    """Sub-pixel upsampling (depth to space) for rank 1, 2 or 3, in PyTorch's channel order.

    Maps `(batch, *spatial, channels * scale**rank)` to `(batch, *(spatial * scale), channels)`.
    Output channel `c` at sub-position `(i_1, ..., i_rank)` (each `0 <= i < scale`, the first
    spatial axis most significant) is read from input channel
    `c * scale**rank + sum_d i_d * scale**(rank - d)`. For rank 2 this is
    `c * r**2 + i * r + j` (PyTorch `nn.PixelShuffle`), for rank 3 `c * r**3 + i * r**2 + j * r + k`
    (DISGAN's `PixelShuffle3d`). It is *not* the ordering of `tf.nn.depth_to_space`
    (`(i * r + j) * C + c`).

    Reference: [Shi et al., 2016](https://arxiv.org/abs/1609.05158).

    Args:
        rank: int. Number of spatial dimensions, 1, 2 or 3.
        scale: int. Upsampling factor along every spatial axis. Input channels must be divisible
            by `scale**rank`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Examples:
    ```python
    x = np.random.rand(2, 4, 4, 4, 16).astype("float32")
    tuple(PixelShuffle(rank=3, scale=2)(x).shape)   # (2, 8, 8, 8, 2)
    ```
    """

    def __init__(self, rank, scale, **kwargs):
        super().__init__(**kwargs)
        check_rank(rank, what="PixelShuffle")
        if not isinstance(scale, int) or scale < 1:
            raise ValueError(f"PixelShuffle needs a positive integer scale. Received: scale={scale!r}")
        self.rank = rank
        self.scale = scale

    def _check_input_shape(self, input_shape):
        check_input_rank(input_shape, self.rank, "PixelShuffle")
        factor = self.scale**self.rank
        channels = input_shape[-1]
        if channels is None or channels % factor != 0:
            raise ValueError(
                f"PixelShuffle with rank={self.rank} and scale={self.scale} needs a known number of "
                f"input channels divisible by scale**rank={factor}. "
                f"Received: input_shape={tuple(input_shape)}"
            )

    def build(self, input_shape):
        self._check_input_shape(input_shape)
        self.built = True

    def call(self, inputs):
        n, r = self.rank, self.scale
        shape = ops.shape(inputs)
        spatial = list(shape[1:-1])
        channels = inputs.shape[-1] // r**n
        x = ops.reshape(inputs, [-1, *spatial, channels] + [r] * n)
        x = ops.transpose(x, _sub_position_axes(n) + [n + 1])
        return ops.reshape(x, [-1, *[s * r for s in spatial], channels])

    def compute_output_shape(self, input_shape):
        self._check_input_shape(input_shape)
        spatial = [None if s is None else s * self.scale for s in input_shape[1:-1]]
        return (input_shape[0], *spatial, input_shape[-1] // self.scale**self.rank)

    def get_config(self):
        config = super().get_config()
        config.update({"rank": self.rank, "scale": self.scale})
        return config


@export
class PixelUnshuffle(keras.layers.Layer):
    """Space to depth, the exact inverse of `PixelShuffle` (PyTorch `nn.PixelUnshuffle` order).

    Maps `(batch, *(spatial * scale), channels)` to `(batch, *spatial, channels * scale**rank)`;
    the value at sub-position `(i_1, ..., i_rank)` of channel `c` goes to output channel
    `c * scale**rank + sum_d i_d * scale**(rank - d)`.

    Args:
        rank: int. Number of spatial dimensions, 1, 2 or 3.
        scale: int. Downsampling factor along every spatial axis. Every spatial size must be
            divisible by `scale`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Examples:
    ```python
    x = np.random.rand(2, 8, 8, 3).astype("float32")
    tuple(PixelUnshuffle(rank=2, scale=2)(x).shape)   # (2, 4, 4, 12)
    ```
    """

    def __init__(self, rank, scale, **kwargs):
        super().__init__(**kwargs)
        check_rank(rank, what="PixelUnshuffle")
        if not isinstance(scale, int) or scale < 1:
            raise ValueError(f"PixelUnshuffle needs a positive integer scale. Received: scale={scale!r}")
        self.rank = rank
        self.scale = scale

    def _check_input_shape(self, input_shape):
        check_input_rank(input_shape, self.rank, "PixelUnshuffle")
        if input_shape[-1] is None:
            raise ValueError(
                f"PixelUnshuffle needs a known number of channels. Received: input_shape={tuple(input_shape)}"
            )
        if any(s is not None and s % self.scale for s in input_shape[1:-1]):
            raise ValueError(
                f"PixelUnshuffle with scale={self.scale} needs every spatial size divisible by "
                f"{self.scale}. Received: input_shape={tuple(input_shape)}"
            )

    def build(self, input_shape):
        self._check_input_shape(input_shape)
        self.built = True

    def call(self, inputs):
        n, r = self.rank, self.scale
        shape = ops.shape(inputs)
        spatial = [s // r for s in shape[1:-1]]
        channels = inputs.shape[-1]
        split = []
        for s in spatial:
            split += [s, r]
        x = ops.reshape(inputs, [-1, *split, channels])
        # (batch, s_1, r, s_2, r, ..., C) -> (batch, s_1, s_2, ..., C, r, r, ...)
        perm = [0] + [1 + 2 * d for d in range(n)] + [2 * n + 1] + [2 + 2 * d for d in range(n)]
        x = ops.transpose(x, perm)
        return ops.reshape(x, [-1, *spatial, channels * r**n])

    def compute_output_shape(self, input_shape):
        self._check_input_shape(input_shape)
        spatial = [None if s is None else s // self.scale for s in input_shape[1:-1]]
        return (input_shape[0], *spatial, input_shape[-1] * self.scale**self.rank)

    def get_config(self):
        config = super().get_config()
        config.update({"rank": self.rank, "scale": self.scale})
        return config

