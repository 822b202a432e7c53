"""Squeeze-and-excitation and stochastic depth, shared by the residual blocks."""

import keras
from keras import ops

from core.api import export
from core.layers import factories


@export
class SqueezeExcitation(keras.layers.Layer):
    """Squeeze-and-excitation channel gate (Hu et al. 2018, https://arxiv.org/abs/1709.01507).

    Global average pool → 1×1 reduce (ReLU) → 1×1 expand (sigmoid) → rescale the channels.

    Args:
        rank: int. Number of spatial dimensions (1, 2 or 3).
        ratio: float. Bottleneck width as a fraction of the channels. Defaults to 0.25.
        min_units: int. Smallest bottleneck width. Defaults to 8.

    Examples:
    ```python
    se = SqueezeExcitation(rank=2, ratio=0.25)
    se(np.ones((1, 8, 8, 32), "float32")).shape   # (1, 8, 8, 32)
    ```
    """

    def __init__(self, rank, ratio=0.25, min_units=8, **kwargs):
        super().__init__(**kwargs)
        self.rank = factories.check_rank(rank, what="SqueezeExcitation")
        self.ratio = ratio
        self.min_units = min_units

    def build(self, input_shape):
        factories.check_input_rank(input_shape, self.rank, self.name)
        channels = input_shape[-1]
        units = max(self.min_units, int(channels * self.ratio))
        self.reduce = keras.layers.Dense(units, activation="relu", name="reduce", dtype=self.dtype_policy)
        self.expand = keras.layers.Dense(channels, activation="sigmoid", name="expand", dtype=self.dtype_policy)
        self.reduce.build((input_shape[0], channels))
        self.expand.build((input_shape[0], units))

    def call(self, inputs):
        squeezed = ops.mean(inputs, axis=tuple(range(1, self.rank + 1)))
        weights = self.expand(self.reduce(squeezed))
        return inputs * ops.reshape(weights, (-1,) + (1,) * self.rank + (weights.shape[-1],))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rank": self.rank, "ratio": self.ratio, "min_units": self.min_units}


@export
class StochasticDepth(keras.layers.Layer):
    """Drops a whole residual branch per example while training (Huang et al. 2016).

    At training time each example's branch is zeroed with probability `rate` and the kept
    ones are scaled by `1 / (1 - rate)`; at inference it is the identity.

    Args:
        rate: float. Drop probability in [0, 1). Defaults to 0.0.
        seed: int or None. Seed of the layer's random generator. Defaults to None.

    Examples:
    ```python
    drop = StochasticDepth(rate=0.1)
    drop(np.ones((4, 8, 16), "float32"), training=False).shape   # (4, 8, 16)
    ```
    """

    def __init__(self, rate=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"StochasticDepth rate must be in [0, 1). Received: rate={rate}")
        self.rate = rate
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=False):
        if not training or self.rate == 0.0:
            return inputs
        keep = 1.0 - self.rate
        shape = (ops.shape(inputs)[0],) + (1,) * (len(inputs.shape) - 1)
        mask = ops.floor(keep + keras.random.uniform(shape, seed=self.seed_generator, dtype=inputs.dtype))
        return inputs / keep * mask

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}
