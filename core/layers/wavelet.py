"""Orthonormal single-level Haar wavelet transform (and its inverse) for 1-D, 2-D and 3-D inputs.

Along each spatial axis, every pair of neighbours `(a, b)` = `(x[2m], x[2m + 1])` becomes
`low = (a + b) / sqrt(2)` and `high = (a - b) / sqrt(2)`. Applied along all `rank` axes this gives
`2**rank` sub-bands at half resolution. The transform is orthonormal: it preserves the sum of
squares, and its inverse is its transpose.

**Band order.** The sub-bands are concatenated band-major on the channel axis: output channel
`band * C + c` holds band `band` of input channel `c`. The bits of `band`, most significant first,
say whether the band is high-pass along spatial axis 0, 1, ..., rank-1:

| rank | band 0 | band 1 | band 2 | band 3 | band 4 | band 5 | band 6 | band 7 |
|---|---|---|---|---|---|---|---|---|
| 1 | L | H | | | | | | |
| 2 (axes h, w) | LL | LH | HL | HH | | | | |
| 3 (axes d, h, w) | LLL | LLH | LHL | LHH | HLL | HLH | HHL | HHH |

(letter `k` = low/high along spatial axis `k`). Band 0 is the all-low band (LL / LLL). This is
the layout of `torch_dwt.functional.dwt3(x, "haar")` reshaped to `(N, 8 * C, D, H, W)`, as DISGAN
uses it (high = (a - b) / sqrt(2) there too), transposed to channels-last, so 1×1 convolutions
ported from DISGAN apply to these channels unchanged. The band order is also that of the sorted
`pywt.dwtn` keys (`"aa", "ad", "da", "dd"`).
"""

import keras
from keras import ops

from core.api import export
from core.layers.factories import check_input_rank, check_rank


def _butterflies(x, axes):
    """Unnormalised Haar butterfly `(a, b) -> (a + b, a - b)` along each of `axes` (size 2)."""
    for axis in axes:
        a, b = ops.split(x, 2, axis=axis)
        x = ops.concatenate([a + b, a - b], axis=axis)
    return x


def _scale(rank, dtype):
    return ops.cast(2.0 ** (-rank / 2), dtype)


@export
class HaarDWT(keras.layers.Layer):
    """Single-level orthonormal Haar discrete wavelet transform for rank 1, 2 or 3.

    Maps `(batch, *spatial, C)` to `(batch, *(spatial / 2), 2**rank * C)`: the `2**rank`
    sub-bands, band-major, the all-low band first (see the module docstring for the band order:
    band bits, most significant first, flag "high-pass along spatial axis 0, 1, ..."). Every
    spatial size must be even. With `split_low_high=True` the layer returns the pair
    `(low, high)`: `low` is the all-low band (`C` channels), `high` the other bands
    (`(2**rank - 1) * C` channels, in the same order), as DISGAN's discriminator routes the low
    band to its encoder and the high bands to its decoder skips.

    References: [DISGAN](https://arxiv.org/abs/2308.12084),
    [Mallat, 1989](https://doi.org/10.1109/34.192463).

    Args:
        rank: int. Number of spatial dimensions, 1, 2 or 3.
        split_low_high: bool. Return `(low, high)` instead of one tensor. Defaults to `False`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Examples:
    ```python
    x = np.random.rand(2, 8, 8, 8, 4).astype("float32")
    tuple(HaarDWT(rank=3)(x).shape)   # (2, 4, 4, 4, 32)
    low, high = HaarDWT(rank=3, split_low_high=True)(x)
    tuple(low.shape), tuple(high.shape)   # ((2, 4, 4, 4, 4), (2, 4, 4, 4, 28))
    ```
    """

    def __init__(self, rank, split_low_high=False, **kwargs):
        super().__init__(**kwargs)
        self.rank = check_rank(rank, what="HaarDWT")
        self.split_low_high = split_low_high

    def _check_input_shape(self, input_shape):
        check_input_rank(input_shape, self.rank, "HaarDWT")
        if input_shape[-1] is None:
            raise ValueError(f"HaarDWT needs a known number of channels. Received: input_shape={tuple(input_shape)}")
        if any(s is not None and s % 2 for s in input_shape[1:-1]):
            raise ValueError(
                "HaarDWT needs an even size along every spatial axis (pad or crop first). "
                f"Received: input_shape={tuple(input_shape)}"
            )

    def build(self, input_shape):
        self._check_input_shape(input_shape)
        self.built = True

    def call(self, inputs):
        n = self.rank
        channels = inputs.shape[-1]
        half = [s // 2 for s in ops.shape(inputs)[1:-1]]
        pairs = []
        for s in half:
            pairs += [s, 2]
        x = ops.reshape(inputs, [-1, *pairs, channels])
        # (batch, s_0, 2, s_1, 2, ..., C) -> (batch, s_0, s_1, ..., 2, 2, ..., C)
        perm = [0] + [1 + 2 * d for d in range(n)] + [2 + 2 * d for d in range(n)] + [2 * n + 1]
        x = ops.transpose(x, perm)
        x = _butterflies(x, range(n + 1, 2 * n + 1))
        x = ops.reshape(x, [-1, *half, 2**n * channels]) * _scale(n, x.dtype)
        if self.split_low_high:
            return x[..., :channels], x[..., channels:]
        return x

    def compute_output_shape(self, input_shape):
        self._check_input_shape(input_shape)
        batch, channels = input_shape[0], input_shape[-1]
        spatial = tuple(None if s is None else s // 2 for s in input_shape[1:-1])
        if self.split_low_high:
            return (batch, *spatial, channels), (batch, *spatial, (2**self.rank - 1) * channels)
        return (batch, *spatial, 2**self.rank * channels)

    def get_config(self):
        config = super().get_config()
        config.update({"rank": self.rank, "split_low_high": self.split_low_high})
        return config


@export
class HaarIDWT(keras.layers.Layer):
    """Inverse of `HaarDWT`: `2**rank` sub-bands back to the full-resolution signal.

    Maps `(batch, *spatial, 2**rank * C)` (band-major, in `HaarDWT`'s band order) to
    `(batch, *(2 * spatial), C)`. It also accepts the pair `(low, high)` that
    `HaarDWT(split_low_high=True)` returns (`C` and `(2**rank - 1) * C` channels).

    Args:
        rank: int. Number of spatial dimensions, 1, 2 or 3.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Examples:
    ```python
    x = np.random.rand(2, 8, 8, 3).astype("float32")
    y = HaarIDWT(rank=2)(HaarDWT(rank=2)(x))
    bool(np.allclose(y, x, atol=1e-5))   # True
    ```
    """

    def __init__(self, rank, **kwargs):
        super().__init__(**kwargs)
        self.rank = check_rank(rank, what="HaarIDWT")

    def _merged_shape(self, input_shape):
        """The shape of the single band-major tensor; checks a `(low, high)` pair on the way."""
        n = self.rank
        if isinstance(input_shape, (list, tuple)) and input_shape and isinstance(input_shape[0], (list, tuple)):
            if len(input_shape) != 2:
                raise ValueError(
                    "HaarIDWT takes one tensor or a (low, high) pair. "
                    f"Received: input_shape={input_shape}"
                )
            low, high = (tuple(s) for s in input_shape)
            check_input_rank(low, n, "HaarIDWT")
            check_input_rank(high, n, "HaarIDWT")
            if low[-1] is None or high[-1] != (2**n - 1) * low[-1]:
                raise ValueError(
                    f"HaarIDWT with rank={n} needs the high bands to have {2**n - 1} times the "
                    f"channels of the low band. Received: input_shape={input_shape}"
                )
            return (*low[:-1], 2**n * low[-1])
        input_shape = tuple(input_shape)
        check_input_rank(input_shape, n, "HaarIDWT")
        if input_shape[-1] is None or input_shape[-1] % 2**n:
            raise ValueError(
                f"HaarIDWT with rank={n} needs a known number of channels divisible by "
                f"2**rank={2**n} (band-major sub-bands). Received: input_shape={input_shape}"
            )
        return input_shape

    def build(self, input_shape):
        self._merged_shape(input_shape)
        self.built = True

    def call(self, inputs):
        n = self.rank
        if isinstance(inputs, (list, tuple)):
            inputs = ops.concatenate(list(inputs), axis=-1)
        channels = inputs.shape[-1] // 2**n
        spatial = list(ops.shape(inputs)[1:-1])
        x = ops.reshape(inputs, [-1, *spatial] + [2] * n + [channels])
        x = _butterflies(x, range(n + 1, 2 * n + 1))
        # (batch, s_0, s_1, ..., 2, 2, ..., C) -> (batch, s_0, 2, s_1, 2, ..., C)
        perm = [0]
        for d in range(n):
            perm += [1 + d, 1 + n + d]
        x = ops.transpose(x, perm + [2 * n + 1])
        return ops.reshape(x, [-1, *[2 * s for s in spatial], channels]) * _scale(n, x.dtype)

    def compute_output_shape(self, input_shape):
        shape = self._merged_shape(input_shape)
        spatial = tuple(None if s is None else 2 * s for s in shape[1:-1])
        return (shape[0], *spatial, shape[-1] // 2**self.rank)

    def get_config(self):
        config = super().get_config()
        config.update({"rank": self.rank})
        return config
