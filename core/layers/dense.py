"""Densely connected residual blocks (ESRGAN's RDB and RRDB) for 1-D, 2-D and 3-D inputs.

DISGAN's generator is 3 RRDBs of 3 dense residual blocks of 5 convolutions, all 64 channels wide,
LeakyReLU slope 0.01; ESRGAN's is 23 RRDBs with 32 growth channels and slope 0.2. Both are one
configuration of the two layers here.
"""

import keras
from keras import ops

from core.api import export
from core.checks import check_positive_int
from core.layers.factories import check_input_rank, check_rank, conv


@export
class DenseResidualBlock(keras.layers.Layer):
    """Residual dense block: `num_convs` densely connected convolutions plus a scaled residual.

    Conv `k` (k = 1..num_convs) sees the concatenation of the block input and the outputs of
    convs 1..k-1, so it has `filters + (k - 1) * growth_channels` input channels. Convs
    1..num_convs-1 output `growth_channels` and are followed by LeakyReLU; the last conv outputs
    `filters` and has no activation. The block returns `last * residual_scale + inputs`, so the
    input must have `filters` channels. All convolutions use "same" padding and stride 1.

    With the defaults (`growth_channels=None` = `filters`, slope 0.01) this is DISGAN's
    `DenseResidualBlock`; ESRGAN's RDB is `filters=64, growth_channels=32, negative_slope=0.2`.

    References: [ESRGAN](https://arxiv.org/abs/1809.00219),
    [DISGAN](https://arxiv.org/abs/2308.12084).

    Args:
        rank: int. Number of spatial dimensions, 1, 2 or 3.
        filters: int. Channels of the block input and output. Defaults to `64`.
        growth_channels: int or None. Output channels of convs 1..num_convs-1. `None` means
            `filters`. Defaults to `None`.
        num_convs: int. Number of convolutions, at least 1. Defaults to `5`.
        kernel_size: int. Convolution kernel size along every spatial axis. Defaults to `3`.
        negative_slope: float. Slope of the LeakyReLU after convs 1..num_convs-1. Defaults to
            `0.01` (DISGAN; ESRGAN uses `0.2`).
        residual_scale: float. Factor on the last conv's output before the residual sum.
            Defaults to `0.2`.
        use_bias: bool. Whether the convolutions have a bias. Defaults to `True`.
        kernel_initializer: str or `keras.initializers.Initializer`. Initializer of the conv
            kernels. Defaults to `"glorot_uniform"`.
        bias_initializer: str or `keras.initializers.Initializer`. Initializer of the conv
            biases. Defaults to `"zeros"`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Examples:
    ```python
    block = DenseResidualBlock(rank=3, filters=8)
    tuple(block(np.random.rand(1, 4, 4, 4, 8).astype("float32")).shape)   # (1, 4, 4, 4, 8)
    ```
    """

    def __init__(
        self,
        rank,
        filters=64,
        growth_channels=None,
        num_convs=5,
        kernel_size=3,
        negative_slope=0.01,
        residual_scale=0.2,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        **kwargs,
    ):
        super().__init__(**kwargs)
        check_rank(rank, what="DenseResidualBlock")
        self.rank = rank
        self.filters = check_positive_int(filters, "filters")
        if growth_channels is not None:
            growth_channels = check_positive_int(growth_channels, "growth_channels")
        self.growth_channels = growth_channels
        self.num_convs = check_positive_int(num_convs, "num_convs")
        self.kernel_size = kernel_size
        self.negative_slope = negative_slope
        self.residual_scale = residual_scale
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)

        growth = filters if growth_channels is None else growth_channels
        self.convs = [
            conv(
                rank,
                filters if k == num_convs else growth,
                kernel_size,
                padding="same",
                use_bias=use_bias,
                kernel_initializer=self.kernel_initializer,
                bias_initializer=self.bias_initializer,
                dtype=self.dtype_policy,
                name=f"conv{k}",
            )
            for k in range(1, num_convs + 1)
        ]

    def _check_input_shape(self, input_shape):
        check_input_rank(input_shape, self.rank, "DenseResidualBlock")
        if input_shape[-1] != self.filters:
            raise ValueError(
                f"DenseResidualBlock adds its input to its output, so the input needs "
                f"filters={self.filters} channels. Received: input_shape={tuple(input_shape)}"
            )

    def build(self, input_shape):
        self._check_input_shape(input_shape)
        shape = list(input_shape)
        for layer in self.convs:
            layer.build(tuple(shape))
            shape[-1] += layer.filters
        self.built = True

    def call(self, inputs):
        features = inputs
        for layer in self.convs[:-1]:
            out = ops.leaky_relu(layer(features), negative_slope=self.negative_slope)
            features = ops.concatenate([features, out], axis=-1)
        return self.convs[-1](features) * ops.cast(self.residual_scale, inputs.dtype) + inputs

    def compute_output_shape(self, input_shape):
        self._check_input_shape(input_shape)
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "rank": self.rank,
                "filters": self.filters,
                "growth_channels": self.growth_channels,
                "num_convs": self.num_convs,
                "kernel_size": self.kernel_size,
                "negative_slope": self.negative_slope,
                "residual_scale": self.residual_scale,
                "use_bias": self.use_bias,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            }
        )
        return config


@export
class ResidualInResidualDenseBlock(keras.layers.Layer):
    """Residual-in-residual dense block (RRDB): dense residual blocks in a scaled residual.

    Runs `num_dense_blocks` `DenseResidualBlock`s in sequence and returns
    `out * residual_scale + inputs`. The same `residual_scale` is used inside each dense block.

    References: [ESRGAN](https://arxiv.org/abs/1809.00219),
    [DISGAN](https://arxiv.org/abs/2308.12084).

    Args:
        rank: int. Number of spatial dimensions, 1, 2 or 3.
        filters: int. Channels of the block input and output. Defaults to `64`.
        num_dense_blocks: int. Number of dense residual blocks. Defaults to `3`.
        num_convs: int. Convolutions per dense residual block. Defaults to `5`.
        growth_channels: int or None. Growth channels of the dense blocks; `None` means
            `filters`. Defaults to `None`.
        kernel_size: int. Convolution kernel size. Defaults to `3`.
        negative_slope: float. LeakyReLU slope inside the dense blocks. Defaults to `0.01`.
        residual_scale: float. Factor on the residual branch, here and in each dense block.
            Defaults to `0.2`.
        use_bias: bool. Whether the convolutions have a bias. Defaults to `True`.
        kernel_initializer: str or `keras.initializers.Initializer`. Initializer of the conv
            kernels. Defaults to `"glorot_uniform"`.
        bias_initializer: str or `keras.initializers.Initializer`. Initializer of the conv
            biases. Defaults to `"zeros"`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Examples:
    ```python
    rrdb = ResidualInResidualDenseBlock(rank=2, filters=8, num_dense_blocks=2)
    tuple(rrdb(np.random.rand(1, 6, 6, 8).astype("float32")).shape)   # (1, 6, 6, 8)
    ```
    """

    def __init__(
        self,
        rank,
        filters=64,
        num_dense_blocks=3,
        num_convs=5,
        growth_channels=None,
        kernel_size=3,
        negative_slope=0.01,
        residual_scale=0.2,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        **kwargs,
    ):
        super().__init__(**kwargs)
        check_rank(rank, what="ResidualInResidualDenseBlock")
        self.rank = rank
        self.filters = filters
        self.num_dense_blocks = check_positive_int(num_dense_blocks, "num_dense_blocks")
        self.num_convs = num_convs
        self.growth_channels = growth_channels
        self.kernel_size = kernel_size
        self.negative_slope = negative_slope
        self.residual_scale = residual_scale
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.blocks = [
            DenseResidualBlock(
                rank,
                filters=filters,
                growth_channels=growth_channels,
                num_convs=num_convs,
                kernel_size=kernel_size,
                negative_slope=negative_slope,
                residual_scale=residual_scale,
                use_bias=use_bias,
                kernel_initializer=self.kernel_initializer,
                bias_initializer=self.bias_initializer,
                dtype=self.dtype_policy,
                name=f"dense_block{i}",
            )
            for i in range(1, num_dense_blocks + 1)
        ]

    def build(self, input_shape):
        check_input_rank(input_shape, self.rank, "ResidualInResidualDenseBlock")
        for block in self.blocks:
            block.build(input_shape)
        self.built = True

    def call(self, inputs):
        x = inputs
        for block in self.blocks:
            x = block(x)
        return x * ops.cast(self.residual_scale, inputs.dtype) + inputs

    def compute_output_shape(self, input_shape):
        check_input_rank(input_shape, self.rank, "ResidualInResidualDenseBlock")
        return self.blocks[0].compute_output_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "rank": self.rank,
                "filters": self.filters,
                "num_dense_blocks": self.num_dense_blocks,
                "num_convs": self.num_convs,
                "growth_channels": self.growth_channels,
                "kernel_size": self.kernel_size,
                "negative_slope": self.negative_slope,
                "residual_scale": self.residual_scale,
                "use_bias": self.use_bias,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            }
        )
        return config
