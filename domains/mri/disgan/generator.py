"""DISGAN's generator: a 3-D RRDB network with one ×2 pixel-shuffle upsampling (ESRGAN in 3-D).

Layout (docs/papers.md §1, `mains/model/model_DISGAN.py: Generator` of wqlevi/DISGAN):

    conv1 3×3×3 (1 → F)                                       out1
    num_rrdb × RRDB (each: 3 dense residual blocks of 5 dense convs, residual scale 0.2)
    conv2 3×3×3 (F → F);  out1 + conv2(...)                    global skip
    num_upsample × [conv 3×3×3 (F → 8F), LeakyReLU, PixelShuffle3D ×2]
    conv 3×3×3 (F → F), LeakyReLU, conv 3×3×3 (F → 1)          tail

LeakyReLU slope 0.01 (PyTorch's default `nn.LeakyReLU()`), no normalization. With the paper's
configuration (F = 64, 3 RRDBs) the parameter count is 16,042,881, the official count.
"""

import random

import keras
from keras import ops

from core.api import export
from core.checks import check_positive_int
from core.layers import PixelShuffle, ResidualInResidualDenseBlock, factories

PAPER_GENERATOR = {"filters": 64, "num_rrdb": 3, "num_dense_blocks": 3, "num_convs": 5}
OFFICIAL_GENERATOR_PARAMETERS = 16_042_881


def torch_default_initializer(seed=None):
    """PyTorch's default conv kernel init (`kaiming_uniform_(a=sqrt(5))`): U(±1/sqrt(fan_in)).

    The official generator keeps PyTorch's default initialization; `VarianceScaling(1/3,
    "fan_in", "uniform")` draws from exactly that distribution. Its seed is a
    `keras.random.SeedGenerator`, so every call draws new values: a Keras 3 initializer seeded
    with an int (or unseeded) returns the *same* tensor at every call, so one instance shared
    by several layers (as a block passes its initializer to its inner convs) would start them
    all as copies of each other.

    Args:
        seed: int or None. `None` draws the seed from Python's global RNG (seeded by
            `keras.utils.set_random_seed`). Defaults to `None`.

    Example:
    ```python
    init = torch_default_initializer(seed=0)
    bool((init((3, 3)) != init((3, 3))).numpy().any())   # True: two calls, two draws
    ```
    """
    return keras.initializers.VarianceScaling(scale=1.0 / 3.0, mode="fan_in", distribution="uniform",
                                              seed=keras.random.SeedGenerator(seed))


def layer_seeds(seed=None):
    """An endless stream of int seeds, one per layer, reproducible from a model's `seed`.

    Args:
        seed: int or None. `None` draws from Python's global RNG (`keras.utils.set_random_seed`
            seeds it), so a build is still reproducible under a global seed.

    Example:
    ```python
    seeds = layer_seeds(0)
    next(seeds) != next(seeds)   # True
    ```
    """
    rng = random.Random(seed) if seed is not None else random
    while True:
        yield rng.randrange(2**31 - 1)


def layer_initializers(kind, seed=None, default=torch_default_initializer):
    """A function returning a fresh initializer per call (per layer) for `kind`.

    Args:
        kind: "torch" (`torch_default_initializer`, seeded per layer from `seed`), a Keras
            initializer name or config (a new instance per layer), or an initializer instance
            (used as given: the caller's choice).
        seed: int or None. The model's seed. Defaults to `None`.
        default: the factory `seed -> initializer` that `kind="torch"` means.
    """
    seeds = layer_seeds(seed)
    if kind == "torch":
        return lambda: default(next(seeds))
    if isinstance(kind, (str, dict)):
        return lambda: keras.initializers.get(kind)
    return lambda: kind


class AxisDoubling(keras.layers.Layer):
    """Base of the ×2 interpolating upsamplings: each spatial axis in turn, outputs `2i` and
    `2i+1` from `x` along that axis (`samples(x, axis)` → the two), interleaved.

    Args:
        rank: int. Number of spatial dimensions, 1, 2 or 3.
        **kwargs: Base layer keyword arguments.

    Example:
    ```python
    class Repeat(AxisDoubling):
        def samples(self, x, axis):
            return x, x

    Repeat(rank=2)(np.ones((1, 3, 4, 1), "float32")).shape   # (1, 6, 8, 1)
    ```
    """

    def __init__(self, rank, **kwargs):
        super().__init__(**kwargs)
        self.rank = factories.check_rank(rank, what=type(self).__name__)

    def samples(self, x, axis):
        raise NotImplementedError

    def call(self, inputs):
        x = inputs
        for axis in range(1, self.rank + 1):
            stacked = ops.stack(self.samples(x, axis), axis=axis + 1)
            shape = ops.shape(x)
            new_shape = [shape[i] for i in range(len(x.shape))]
            new_shape[axis] = 2 * shape[axis]
            x = ops.reshape(stacked, new_shape)
        return x

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for axis in range(1, self.rank + 1):
            shape[axis] = None if shape[axis] is None else 2 * shape[axis]
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "rank": self.rank}


@export
class CubicUpsampling(AxisDoubling):
    """×2 cubic-convolution upsampling on the decimation grid: LR voxel i sits on HR voxel 2i.

    Along each spatial axis, output `2i` is `x[i]` and output `2i+1` is Keys' cubic
    convolution (a = −0.5) half-way between: `(−x[i−1] + 9·x[i] + 9·x[i+1] − x[i+2]) / 16`,
    edges clamped (`x[−1] = x[0]`, `x[n] = x[n+1] = x[n−1]`). This is the geometry of
    `data.degrade` ("nearest", "blur", "kspace") and of the evaluation's tricubic baseline, so
    the generator's global residual (`build_generator(global_residual=True)`) adds an
    interpolation aligned with its own output.

    Args:
        rank: int. Number of spatial dimensions, 1, 2 or 3.
        **kwargs: Base layer keyword arguments.

    Example:
    ```python
    x = np.arange(4, dtype="float32").reshape(1, 4, 1) ** 2
    CubicUpsampling(rank=1)(x)[0, :, 0]   # [0, 0.3125, 1, 2.25, 4, 6.6875, 9, 9.3125]: 2.25 exact inside
    ```
    """

    def samples(self, x, axis):
        size = ops.shape(x)[axis]
        index = ops.arange(size)

        def shifted(offset):
            return ops.take(x, ops.clip(index + offset, 0, size - 1), axis=axis)

        return x, (9.0 * (x + shifted(1)) - shifted(-1) - shifted(2)) / 16.0


def build_generator(
    filters=64,
    num_rrdb=3,
    num_dense_blocks=3,
    num_convs=5,
    growth_channels=None,
    num_upsample=1,
    channels=1,
    negative_slope=0.01,
    residual_scale=0.2,
    kernel_initializer="torch",
    global_residual=False,
    seed=None,
    name="disgan_generator",
):
    """DISGAN's 3-D RRDB super-resolution generator, ×2 per upsampling stage.

    Fully convolutional: any input size `(batch, d, h, w, channels)` maps to
    `(batch, 2**num_upsample · d, ..., channels)`. The defaults are the paper's configuration
    (16,042,881 parameters); smaller `filters` / `num_rrdb` give CPU-sized variants.

    Reference: Wang et al., "DISGAN: Wavelet-informed discriminator guides GAN to MRI
    super-resolution with noise cleaning", ICCV Workshops 2023, https://arxiv.org/abs/2308.12084.

    Args:
        filters: int. Feature channels F. Defaults to `64`.
        num_rrdb: int. Residual-in-residual dense blocks. Defaults to `3`.
        num_dense_blocks: int. Dense residual blocks per RRDB. Defaults to `3`.
        num_convs: int. Convolutions per dense residual block. Defaults to `5`.
        growth_channels: int or None. Output channels of the inner dense convs; `None` means
            `filters` (DISGAN). Defaults to `None`.
        num_upsample: int. Number of ×2 pixel-shuffle stages. Defaults to `1` (×2).
        channels: int. Image channels in and out. Defaults to `1`.
        negative_slope: float. LeakyReLU slope. Defaults to `0.01`.
        residual_scale: float. Residual scaling in the dense blocks and RRDBs. Defaults to `0.2`.
        kernel_initializer: "torch" (PyTorch's default, as the official generator; a fresh
            initializer per layer, seeded from `seed`) or any Keras initializer. Defaults to
            `"torch"`.
        global_residual: bool. Add a cubic interpolation of the input (`CubicUpsampling`, LR
            voxel i on HR voxel 2i) to the output, so the network learns the residual over
            interpolation. Not in the paper. Defaults to `False`.
        seed: int or None. Seeds the initial weights (each layer its own draw); `None` uses
            Python's global RNG (`keras.utils.set_random_seed`). Defaults to `None`.
        name: str. Model name. Defaults to `"disgan_generator"`.

    Returns:
        A functional `keras.Model`.

    Example:
    ```python
    generator = build_generator()                       # the paper's, 16,042,881 parameters
    small = build_generator(filters=16, num_rrdb=1)     # for a CPU demo
    small(np.zeros((1, 8, 8, 8, 1), "float32")).shape   # (1, 16, 16, 16, 1)
    ```
    """
    for value, arg in ((filters, "filters"), (num_rrdb, "num_rrdb"), (num_dense_blocks, "num_dense_blocks"),
                       (num_convs, "num_convs"), (num_upsample, "num_upsample"), (channels, "channels")):
        check_positive_int(value, arg)
    initializer = layer_initializers(kernel_initializer, seed)

    def conv(out, layer_name):
        return keras.layers.Conv3D(out, 3, padding="same", kernel_initializer=initializer(), name=layer_name)

    inputs = keras.Input((None, None, None, channels), name="low_resolution")
    out1 = conv(filters, "conv1")(inputs)
    x = out1
    for i in range(1, num_rrdb + 1):
        x = ResidualInResidualDenseBlock(
            rank=3, filters=filters, num_dense_blocks=num_dense_blocks, num_convs=num_convs,
            growth_channels=growth_channels, negative_slope=negative_slope, residual_scale=residual_scale,
            kernel_initializer=initializer(), name=f"rrdb{i}",
        )(x)
    x = conv(filters, "conv2")(x)
    x = keras.layers.Add(name="global_skip")([out1, x])
    for i in range(1, num_upsample + 1):
        x = conv(filters * 8, f"upsample{i}_conv")(x)
        x = keras.layers.LeakyReLU(negative_slope=negative_slope, name=f"upsample{i}_act")(x)
        x = PixelShuffle(rank=3, scale=2, name=f"upsample{i}_shuffle")(x)
    x = conv(filters, "tail_conv1")(x)
    x = keras.layers.LeakyReLU(negative_slope=negative_slope, name="tail_act")(x)
    outputs = conv(channels, "tail_conv2")(x)
    if global_residual:
        upsampled = inputs
        for i in range(1, num_upsample + 1):
            upsampled = CubicUpsampling(rank=3, name=f"interpolation{i}")(upsampled)
        outputs = keras.layers.Add(name="global_residual")([upsampled, outputs])
    return keras.Model(inputs, outputs, name=name)


def generator_parameter_count(filters=64, num_rrdb=3, num_dense_blocks=3, num_convs=5, num_upsample=1, channels=1):
    """The generator's parameter count from its layout (no model built); 16,042,881 for the paper's.

    Example:
    ```python
    generator_parameter_count()   # 16042881
    ```
    """
    k = 27  # 3×3×3 kernels

    def conv(cin, cout):
        return k * cin * cout + cout

    dense_block = sum(conv(filters * i, filters) for i in range(1, num_convs + 1))
    return (
        conv(channels, filters)
        + num_rrdb * num_dense_blocks * dense_block
        + conv(filters, filters)
        + num_upsample * conv(filters, 8 * filters)
        + conv(filters, filters)
        + conv(filters, channels)
    )
