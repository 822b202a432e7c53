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

import keras

from core.checks import check_positive_int
from core.layers import PixelShuffle, ResidualInResidualDenseBlock

PAPER_GENERATOR = {"filters": 64, "num_rrdb": 3, "num_dense_blocks": 3, "num_convs": 5}
OFFICIAL_GENERATOR_PARAMETERS = 16_042_881


def torch_default_initializer():
    """PyTorch's default conv kernel init (`kaiming_uniform_(a=sqrt(5))`): U(±1/sqrt(fan_in)).

    The official generator keeps PyTorch's default initialization; `VarianceScaling(1/3,
    "fan_in", "uniform")` draws from exactly that distribution.
    """
    return keras.initializers.VarianceScaling(scale=1.0 / 3.0, mode="fan_in", distribution="uniform")


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
        kernel_initializer: "torch" (PyTorch's default, as the official generator) or any Keras
            initializer. Defaults to `"torch"`.
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
    if kernel_initializer == "torch":
        kernel_initializer = torch_default_initializer()

    def conv(out, layer_name):
        return keras.layers.Conv3D(out, 3, padding="same", kernel_initializer=kernel_initializer, name=layer_name)

    inputs = keras.Input((None, None, None, channels), name="low_resolution")
    out1 = conv(filters, "conv1")(inputs)
    x = out1
    for i in range(1, num_rrdb + 1):
        x = ResidualInResidualDenseBlock(
            rank=3, filters=filters, num_dense_blocks=num_dense_blocks, num_convs=num_convs,
            growth_channels=growth_channels, negative_slope=negative_slope, residual_scale=residual_scale,
            kernel_initializer=kernel_initializer, name=f"rrdb{i}",
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
