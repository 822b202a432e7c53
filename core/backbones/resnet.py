"""One ResNet family for 1-D, 2-D and 3-D inputs, every depth from one spec table."""

import keras

from core.api import export
from core.layers import factories
from core.layers.residual import ResidualBlock, strided_conv

# depth: (block type, blocks per stage). He et al. 2016, Table 1; ResNet-10 as in MedicalNet.
RESNET_SPECS = {
    10: ("basic", (1, 1, 1, 1)),
    18: ("basic", (2, 2, 2, 2)),
    34: ("basic", (3, 4, 6, 3)),
    50: ("bottleneck", (3, 4, 6, 3)),
    101: ("bottleneck", (3, 4, 23, 3)),
    152: ("bottleneck", (3, 8, 36, 3)),
}
_STEMS = ("resnet", "deep", "simple")


@export
class ResNetBackbone(keras.Model):
    """ResNet feature extractor for rank 1, 2 or 3 (signals, images, volumes).

    The classic ResNet (He et al. 2016, https://arxiv.org/abs/1512.03385) in torchvision's
    v1.5 form (the stride sits on the 3×3 conv of a bottleneck), built from one
    `ResidualBlock` class whatever the rank. Options of the "Bag of Tricks" paper
    (He et al. 2019): a deep stem (ResNet-C) and an average-pool shortcut (ResNet-D); plus
    squeeze-excitation, stochastic depth (rate rising linearly with depth) and pre-activation.
    The output is the last feature map `(batch, *spatial, channels)`; tasks add the head.

    With `rank=2, depth=18 or 50` and a 1000-class head (`core.tasks.Classifier`), the
    parameter counts equal torchvision's `resnet18` / `resnet50` exactly.

    Args:
        rank: int. Number of spatial dimensions: 1, 2 or 3.
        depth: int. One of 10, 18, 34, 50, 101, 152.
        input_channels: int. Channels of the input. Defaults to 3.
        input_spatial_shape: tuple or None. Spatial size, None entries for variable sizes.
            Defaults to None (all variable).
        stem: str. "resnet" (7-wide conv, stride 2, then 3-wide max-pool stride 2), "deep"
            (three 3-wide convs 32-32-64, ResNet-C) or "simple" (one 3-wide conv, stride 1,
            no pool: for small inputs such as 1-D windows of 128 samples). Defaults to "resnet".
        stem_filters: int. Channels out of the stem. Defaults to 64.
        stem_strides: int. Stride of the first stem conv. Defaults to 2 (1 for "simple").
        stem_pool: bool. Max-pool after the stem. Defaults to True (False for "simple").
        widths: tuple of int. Base width per stage. Defaults to (64, 128, 256, 512).
        stage_strides: tuple of int. Stride of each stage's first block. Defaults to (1, 2, 2, 2).
        stage_dilations: tuple of int. Dilation per stage (MedicalNet uses (1, 1, 2, 4) with
            strides (1, 2, 1, 1)). Defaults to (1, 1, 1, 1).
        avg_down: bool. ResNet-D shortcuts. Defaults to False.
        se_ratio: float. Squeeze-excitation ratio in every block, 0 disables it. Defaults to 0.
        drop_path_rate: float. Largest stochastic-depth rate (last block). Defaults to 0.
        preactivation: bool. Pre-activation blocks (with a final norm + activation).
            Defaults to False.
        normalization: str. Defaults to "batch".
        activation: str. Defaults to "relu".
        zero_init_residual: bool. Zero-init the last norm of each block. Defaults to False.
        dtype: None, str or `keras.DTypePolicy`. The dtype policy of every layer (e.g.
            "float64" or "mixed_float16"); the input takes its variable dtype. Defaults to
            None (the global policy, `keras.config.dtype_policy()`).

    Examples:
    ```python
    backbone = ResNetBackbone(rank=3, depth=10, input_channels=1)
    backbone(np.zeros((1, 32, 32, 32, 1), "float32")).shape   # (1, 1, 1, 1, 512)
    ResNetBackbone(rank=1, depth=18, input_channels=6, stem="simple").output_shape   # (None, None, 512)
    ```
    """

    def __init__(
        self,
        rank,
        depth,
        input_channels=3,
        input_spatial_shape=None,
        stem="resnet",
        stem_filters=64,
        stem_strides=None,
        stem_pool=None,
        widths=(64, 128, 256, 512),
        stage_strides=(1, 2, 2, 2),
        stage_dilations=(1, 1, 1, 1),
        avg_down=False,
        se_ratio=0.0,
        drop_path_rate=0.0,
        preactivation=False,
        normalization="batch",
        activation="relu",
        zero_init_residual=False,
        dtype=None,
        **kwargs,
    ):
        factories.check_rank(rank, what="ResNetBackbone")
        if depth not in RESNET_SPECS:
            raise ValueError(f"depth must be one of {sorted(RESNET_SPECS)}. Received: depth={depth!r}")
        if stem not in _STEMS:
            raise ValueError(f"stem must be one of {_STEMS}. Received: stem={stem!r}")
        block_type, blocks = RESNET_SPECS[depth]
        for name, value in (("widths", widths), ("stage_strides", stage_strides),
                            ("stage_dilations", stage_dilations)):
            if len(value) != len(blocks):
                raise ValueError(f"{name} needs one entry per stage ({len(blocks)}). Received: {name}={value}")
        if input_spatial_shape is None:
            input_spatial_shape = (None,) * rank
        if len(input_spatial_shape) != rank:
            raise ValueError(
                f"input_spatial_shape must have rank={rank} entries. Received: input_spatial_shape={input_spatial_shape}"
            )
        policy = keras.dtype_policies.get(dtype)
        simple = stem == "simple"
        stem_strides = (1 if simple else 2) if stem_strides is None else stem_strides
        stem_pool = (not simple) if stem_pool is None else stem_pool

        # === Functional Model ===
        inputs = keras.Input(shape=(*input_spatial_shape, input_channels), name="inputs", dtype=policy.variable_dtype)
        x = inputs
        if stem == "deep":
            stem_convs = [(stem_filters // 2, 3, stem_strides), (stem_filters // 2, 3, 1), (stem_filters, 3, 1)]
        else:
            stem_convs = [(stem_filters, 3 if simple else 7, stem_strides)]
        for i, (filters, kernel, strides) in enumerate(stem_convs, start=1):
            for layer in strided_conv(rank, filters, kernel, strides, use_bias=False,
                                      kernel_initializer="he_normal", name=f"stem_conv{i}", dtype=policy):
                x = layer(x)
            if not preactivation or i < len(stem_convs):
                x = _norm_act(x, normalization, activation, f"stem_{i}", policy)
        if stem_pool:
            x = factories.zero_padding(rank, 1, name="stem_pool_pad", dtype=policy)(x)
            x = factories.max_pool(rank, 3, strides=2, name="stem_pool", dtype=policy)(x)

        total_blocks = sum(blocks)
        index = 0
        for stage, (num_blocks, width, strides, dilation) in enumerate(
            zip(blocks, widths, stage_strides, stage_dilations), start=1
        ):
            for b in range(num_blocks):
                x = ResidualBlock(
                    rank,
                    width,
                    strides=strides if b == 0 else 1,
                    block_type=block_type,
                    dilation_rate=dilation,
                    preactivation=preactivation,
                    normalization=normalization,
                    activation=activation,
                    se_ratio=se_ratio,
                    drop_path_rate=drop_path_rate * index / max(total_blocks - 1, 1),
                    avg_down=avg_down,
                    zero_init_residual=zero_init_residual,
                    name=f"stage{stage}_block{b + 1}",
                    dtype=policy,
                )(x)
                index += 1
        if preactivation:
            x = _norm_act(x, normalization, activation, "final", policy)
        super().__init__(inputs=inputs, outputs=x, **kwargs)
        self.dtype_policy = policy  # a functional model does not take `dtype` itself

        # === Config ===
        self.rank = rank
        self.depth = depth
        self.input_channels = input_channels
        self.input_spatial_shape = tuple(input_spatial_shape)
        self.stem = stem
        self.stem_filters = stem_filters
        self.stem_strides = stem_strides
        self.stem_pool = stem_pool
        self.widths = tuple(widths)
        self.stage_strides = tuple(stage_strides)
        self.stage_dilations = tuple(stage_dilations)
        self.avg_down = avg_down
        self.se_ratio = se_ratio
        self.drop_path_rate = drop_path_rate
        self.preactivation = preactivation
        self.normalization = normalization
        self.activation = activation
        self.zero_init_residual = zero_init_residual

    @property
    def output_channels(self):
        return self.output_shape[-1]

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "rank": self.rank,
            "depth": self.depth,
            "input_channels": self.input_channels,
            "input_spatial_shape": self.input_spatial_shape,
            "stem": self.stem,
            "stem_filters": self.stem_filters,
            "stem_strides": self.stem_strides,
            "stem_pool": self.stem_pool,
            "widths": self.widths,
            "stage_strides": self.stage_strides,
            "stage_dilations": self.stage_dilations,
            "avg_down": self.avg_down,
            "se_ratio": self.se_ratio,
            "drop_path_rate": self.drop_path_rate,
            "preactivation": self.preactivation,
            "normalization": self.normalization,
            "activation": self.activation,
            "zero_init_residual": self.zero_init_residual,
            "dtype": keras.dtype_policies.serialize(self.dtype_policy),
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def image_resnet(image_size, depth=18, width=64, channels=3, backbone=None, owner="The model"):
    """A 2-D `ResNetBackbone` for square images, its widths scaled from the first stage's.

    Args:
        image_size: int. Side of the square input.
        depth: int. ResNet depth. Defaults to 18.
        width: int. First-stage width; the stages have width, 2·width, 4·width, 8·width (64: the
            standard ResNet). Defaults to 64.
        channels: int. Input channels. Defaults to 3.
        backbone: a `ResNetBackbone` or None. When given, it is checked instead of built.
        owner: str. Who needs it, for the error message. Defaults to "The model".

    Returns:
        The backbone, named "resnet_backbone".

    Raises:
        ValueError: `backbone` does not take `(image_size, image_size, channels)` inputs.

    Example:
    ```python
    backbone = image_resnet(64, depth=10, width=16)
    backbone.output_shape   # (None, 2, 2, 128)
    ```
    """
    size = int(image_size)
    if backbone is None:
        backbone = ResNetBackbone(rank=2, depth=depth, input_channels=channels, input_spatial_shape=(size, size),
                                  stem_filters=width, widths=(width, 2 * width, 4 * width, 8 * width),
                                  name="resnet_backbone")
    expected = (None, size, size, channels)
    if tuple(backbone.input_shape) != expected:
        raise ValueError(f"{owner} needs a backbone with input shape {expected}. "
                         f"Received: backbone.input_shape={backbone.input_shape}")
    return backbone


def _norm_act(x, normalization, activation, name, dtype):
    norm = factories.normalization(normalization, name=f"{name}_norm", dtype=dtype)
    if norm is not None:
        x = norm(x)
    return factories.activation(activation, name=f"{name}_act", dtype=dtype)(x)
