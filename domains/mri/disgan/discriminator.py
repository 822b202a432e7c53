"""DISGAN's discriminator: a 3-D UNet whose encoder levels each carry a Haar DWT + 1×1×1 conv unit.

Layout (docs/papers.md §1; `dwt_UNet` and `DWT_transform` of wqlevi/DISGAN), for `L` levels and
base width `nf` (the paper: `L = 6`, `nf = 16`, 64³ inputs):

- **stem**: conv 3×3×3 (1 → nf) + batch norm.
- **encoder** level 1: conv 4×4×4 stride 2 (nf → w1 − d1). Levels 2..L: LeakyReLU 0.2 → conv
  4×4×4 stride 2 → dense residual block → batch norm (none at level L).
- **DWT unit** at levels 1..L−1: a Haar DWT of the level's input (the image at level 1, the
  previous level's output after that); the low band (C channels) → 1×1×1 conv → d channels,
  concatenated to the level's conv output (so level k outputs w_k channels); the 7 high bands
  (7C channels) → a separate 1×1×1 conv → d channels, sent to the decoder skip of that level.
- **decoder** levels L..2: ReLU → transposed conv 4×4×4 stride 2 → dense residual block →
  batch norm; the skip at level k is `[decoder, encoder output, DWT high]`. Level 1: ReLU →
  trilinear ×2 → dense residual block → 1×1×1 conv (no bias) → batch norm (→ 2·nf).
- **tail**: concatenation with the stem (2·nf + nf), conv 3×3×3 → 2·nf, batch norm, conv
  3×3×3 → 1: one logit per voxel, the input's spatial size.

Widths: `w_k = nf · min(2**(k−1), 8)`; DWT unit k maps its C input channels to
`d_k = max(1, C // 8)`. With `nf = 16` this is exactly the official layout: encoder convs
15, 30, 60, 120, 112, 128; DWT units (1→1), (16→2), (32→4), (64→8), (128→16); decoder inputs
128, 272, 264, 132, 66, 33; tail 48 → 32 → 1.
"""

import keras
from keras import ops

from core.api import export
from core.layers import DenseResidualBlock, HaarDWT
from core.layers import factories
from domains.mri.disgan.generator import AxisDoubling, layer_initializers, torch_default_initializer


@export
class LinearUpsampling(AxisDoubling):
    """×2 (bi/tri)linear upsampling with half-pixel centres and edge clamping.

    Equals PyTorch's `nn.Upsample(scale_factor=2, mode="trilinear")` (`align_corners=False`):
    along each spatial axis, output `2i` is `0.75·x[i] + 0.25·x[i−1]` and output `2i+1` is
    `0.75·x[i] + 0.25·x[i+1]`, with `x[−1] = x[0]` and `x[n] = x[n−1]`. Keras' `UpSampling3D`
    is nearest-neighbour only.

    Args:
        rank: int. Number of spatial dimensions, 1, 2 or 3.
        **kwargs: Base layer keyword arguments.

    Example:
    ```python
    x = np.arange(4, dtype="float32").reshape(1, 4, 1)
    LinearUpsampling(rank=1)(x)[0, :, 0]   # [0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3]
    ```
    """

    def samples(self, x, axis):
        first = ops.take(x, [0], axis=axis)
        last = ops.take(x, [-1], axis=axis)
        size = ops.shape(x)[axis]
        previous = ops.concatenate([first, ops.take(x, ops.arange(0, size - 1), axis=axis)], axis=axis)
        following = ops.concatenate([ops.take(x, ops.arange(1, size), axis=axis), last], axis=axis)
        return 0.75 * x + 0.25 * previous, 0.75 * x + 0.25 * following


def discriminator_widths(filters=16, num_levels=6, channels=1):
    """The per-level widths of the discriminator: encoder outputs, DWT unit outputs, conv outputs.

    Returns:
        dict with "encoder" (w_1..w_L), "dwt_in" (C_1..C_{L−1}), "dwt_out" (d_1..d_{L−1}) and
        "conv" (encoder conv outputs). For `filters=16, num_levels=6`: conv 15, 30, 60, 120, 112,
        128 and DWT (1→1), (16→2), (32→4), (64→8), (128→16), as the official model.
    """
    encoder = [filters * min(2 ** k, 8) for k in range(num_levels)]
    dwt_in = [channels] + encoder[: num_levels - 2]
    dwt_out = [max(1, c // 8) for c in dwt_in]
    conv = [w - d for w, d in zip(encoder, dwt_out)] + [encoder[-1]]
    return {"encoder": encoder, "dwt_in": dwt_in, "dwt_out": dwt_out, "conv": conv}


def paper_initializer(seed=None):
    """The official discriminator's conv init: every weight ~ N(0, 1); a new draw at every call.

    Args:
        seed: int or None (see `generator.torch_default_initializer`). Defaults to `None`.
    """
    return keras.initializers.RandomNormal(mean=0.0, stddev=1.0, seed=keras.random.SeedGenerator(seed))


def _initializer(kind, seed):
    if kind == "paper":
        return layer_initializers("torch", seed, default=paper_initializer)
    return layer_initializers(kind, seed)


def build_discriminator(
    filters=16,
    num_levels=6,
    channels=1,
    input_size=None,
    kernel_initializer="paper",
    seed=None,
    name="disgan_discriminator",
):
    """DISGAN's wavelet-informed 3-D UNet discriminator: one logit per voxel.

    Every spatial size of the input must be divisible by `2**num_levels` (64 for the paper's six
    levels; use `num_levels=5` for 32³ patches). The defaults are the paper's configuration.

    Reference: Wang et al., "DISGAN", ICCV Workshops 2023, https://arxiv.org/abs/2308.12084;
    layout from `mains/model/model_DISGAN.py` (`dwt_UNet`) of github.com/wqlevi/DISGAN.

    Args:
        filters: int. Base width `nf`. Defaults to `16`.
        num_levels: int. Encoder levels (≥ 2); DWT units sit on the first `num_levels − 1`.
            Defaults to `6`.
        channels: int. Image channels. Defaults to `1`.
        input_size: int, tuple of 3 ints or None. Fixed spatial size (checked for
            divisibility); `None` accepts any suitable size. Defaults to `None`.
        kernel_initializer: "paper" (N(0, 1) for every 3-D conv, as the official code), "torch"
            (PyTorch's default) or a Keras initializer. Transposed convs always use PyTorch's
            default, as officially. Each layer gets its own initializer, seeded from `seed`.
            Defaults to `"paper"`.
        seed: int or None. Seeds the initial weights; `None` uses Python's global RNG
            (`keras.utils.set_random_seed`). Defaults to `None`.
        name: str. Defaults to `"disgan_discriminator"`.

    Returns:
        A functional `keras.Model` mapping `(batch, d, h, w, channels)` to `(batch, d, h, w, 1)`.

    Example:
    ```python
    discriminator = build_discriminator()                          # the paper's, for 64³
    small = build_discriminator(filters=8, num_levels=5)            # for 32³ patches
    small(np.zeros((2, 32, 32, 32, 1), "float32")).shape            # (2, 32, 32, 32, 1)
    ```
    """
    if not isinstance(num_levels, int) or num_levels < 2:
        raise ValueError(f"build_discriminator needs num_levels >= 2. Received: num_levels={num_levels!r}")
    if not isinstance(filters, int) or filters < 2:
        raise ValueError(f"build_discriminator needs an integer filters >= 2. Received: filters={filters!r}")
    if input_size is not None:
        size = (input_size,) * 3 if isinstance(input_size, int) else tuple(input_size)
        if len(size) != 3 or any(s % 2**num_levels for s in size):
            raise ValueError(
                f"The discriminator with num_levels={num_levels} halves the input {num_levels} times: every "
                f"spatial size must be divisible by {2**num_levels}. Received: input_size={input_size!r}"
            )
    else:
        size = (None, None, None)
    init = _initializer(kernel_initializer, seed)
    transpose_init = layer_initializers("torch", None if seed is None else seed + 1, default=torch_default_initializer)
    widths = discriminator_widths(filters, num_levels, channels)
    L = num_levels

    def conv(out, kernel, strides=1, use_bias=True, layer_name=None):
        return keras.layers.Conv3D(out, kernel, strides=strides, padding="same", use_bias=use_bias,
                                   kernel_initializer=init(), name=layer_name)

    def dense_block(out, layer_name):
        return DenseResidualBlock(rank=3, filters=out, kernel_initializer=init(), name=layer_name)

    def batch_norm(layer_name):
        return factories.normalization("batch", name=layer_name)

    inputs = keras.Input((*size, channels), name="volume")
    stem = batch_norm("stem_norm")(conv(filters, 3, layer_name="stem_conv")(inputs))

    # === Encoder with a DWT unit per level ===
    outputs, highs = [], []
    level_input_image, level_input = inputs, stem
    for k in range(1, L + 1):
        if k == 1:
            x = conv(widths["conv"][0], 4, strides=2, use_bias=False, layer_name="enc1_conv")(level_input)
        else:
            x = keras.layers.LeakyReLU(negative_slope=0.2, name=f"enc{k}_act")(level_input)
            x = conv(widths["conv"][k - 1], 4, strides=2, use_bias=False, layer_name=f"enc{k}_conv")(x)
            x = dense_block(widths["conv"][k - 1], f"enc{k}_dense")(x)
            if k < L:
                x = batch_norm(f"enc{k}_norm")(x)
        if k < L:
            dwt_source = level_input_image if k == 1 else level_input
            low, high = HaarDWT(rank=3, split_low_high=True, name=f"dwt{k}")(dwt_source)
            low = conv(widths["dwt_out"][k - 1], 1, layer_name=f"dwt{k}_low_conv")(low)
            high = conv(widths["dwt_out"][k - 1], 1, layer_name=f"dwt{k}_high_conv")(high)
            x = keras.layers.Concatenate(name=f"enc{k}_concat")([x, low])
            highs.append(high)
        outputs.append(x)
        level_input = x

    # === Decoder: [decoder, encoder, DWT high] skips ===
    x = outputs[-1]
    for k in range(L, 1, -1):
        if k < L:
            x = keras.layers.Concatenate(name=f"dec{k}_skip")([x, outputs[k - 1], highs[k - 1]])
        out = widths["encoder"][k - 2]
        x = keras.layers.ReLU(name=f"dec{k}_act")(x)
        x = keras.layers.Conv3DTranspose(out, 4, strides=2, padding="same", use_bias=False,
                                         kernel_initializer=transpose_init(), name=f"dec{k}_tconv")(x)
        x = dense_block(out, f"dec{k}_dense")(x)
        x = batch_norm(f"dec{k}_norm")(x)
    x = keras.layers.Concatenate(name="dec1_skip")([x, outputs[0], highs[0]])
    x = keras.layers.ReLU(name="dec1_act")(x)
    x = LinearUpsampling(rank=3, name="dec1_upsample")(x)
    x = dense_block(x.shape[-1], "dec1_dense")(x)
    x = conv(2 * filters, 1, use_bias=False, layer_name="dec1_conv")(x)
    x = batch_norm("dec1_norm")(x)

    # === Tail ===
    x = keras.layers.Concatenate(name="tail_concat")([x, stem])
    x = batch_norm("tail_norm")(conv(2 * filters, 3, layer_name="tail_conv1")(x))
    logits = conv(1, 3, layer_name="tail_conv2")(x)
    return keras.Model(inputs, logits, name=name)
