"""Rank-generic residual blocks: ResNet basic/bottleneck and MobileNetV2 inverted residual.

One class per block serves 1-D signals and spectra, 2-D images and 3-D volumes
(MONAI's `spatial_dims` idea); `rank` is the number of spatial dimensions.
"""

import keras

from core.api import export
from core.layers import factories
from core.layers.regularization import SqueezeExcitation, StochasticDepth

_SHORTCUTS = ("auto", "projection", "identity")


def build_chain(layers, input_shape):
    """Build `layers` in sequence from `input_shape`; returns the output shape.

    Layers whose weights are created in `build` must be built there (not lazily in `call`)
    so that `.keras` loading, which builds the model before it loads weights, finds them.
    """
    shape = tuple(input_shape)
    for layer in layers:
        if layer is None:
            continue
        layer.build(shape)
        shape = tuple(layer.compute_output_shape(shape))
    return shape


def apply_chain(layers, x):
    """Apply `layers` in sequence; `training` reaches them through Keras' call context."""
    for layer in layers:
        if layer is not None:
            x = layer(x)
    return x


def strided_conv(rank, filters, kernel_size, strides, dilation_rate=1, name=None, **kwargs):
    """Conv with PyTorch-style symmetric padding `(k - 1) // 2 · d`.

    Keras "same" pads strided convs asymmetrically (more on the right), PyTorch and the
    reference models pad symmetrically; explicit zero padding keeps outputs identical to theirs.
    Returns a list of layers (padding, conv).
    """
    pad = (kernel_size - 1) // 2 * dilation_rate
    if strides == 1 or pad == 0:
        padding = "same" if strides == 1 else "valid"
        return [factories.conv(rank, filters, kernel_size, strides=strides, padding=padding,
                               dilation_rate=dilation_rate, name=name, **kwargs)]
    return [
        factories.zero_padding(rank, pad, name=f"{name}_pad"),
        factories.conv(rank, filters, kernel_size, strides=strides, padding="valid",
                       dilation_rate=dilation_rate, name=name, **kwargs),
    ]


@export
class ResidualBlock(keras.layers.Layer):
    """ResNet residual block for 1-D, 2-D and 3-D inputs (He et al. 2016).

    "basic": two k-convs; "bottleneck": 1×1 reduce, k-conv (carrying the stride, as in
    torchvision's ResNet v1.5), 1×1 expand to `filters · expansion`. The shortcut is the
    identity when shapes match and a 1×1 projection (+ normalization) otherwise; with
    `avg_down=True` (ResNet-D) a strided projection becomes average pooling then a 1×1 conv.
    `preactivation=True` gives the pre-activation variant (He et al. 2016b), which has no
    activation after the addition.

    Args:
        rank: int. Number of spatial dimensions: 1, 2 or 3.
        filters: int. Width of the block; the output has `filters · expansion` channels.
        kernel_size: int. Kernel of the spatial convs. Defaults to 3.
        strides: int. Stride of the block (applied once). Defaults to 1.
        block_type: str. "basic" or "bottleneck". Defaults to "basic".
        expansion: int or None. Output-width multiplier; None means 1 for "basic" and
            4 for "bottleneck". Defaults to None.
        dilation_rate: int. Dilation of the spatial convs (MedicalNet layer3/4). Defaults to 1.
        preactivation: bool. Pre-activation ordering. Defaults to False.
        normalization: str or None. "batch", "instance", "group", "layer" or None.
            Defaults to "batch".
        activation: str. Activation name ("relu", "leaky_relu", "swish", ...). Defaults to "relu".
        se_ratio: float. Squeeze-excitation bottleneck ratio, 0 disables it. Defaults to 0.
        drop_path_rate: float. Stochastic depth rate of the residual branch. Defaults to 0.
        shortcut: str. "auto" (project only when shapes change), "projection" (always a 1×1
            conv, as in FusionActNet) or "identity". Defaults to "auto".
        shortcut_normalization: bool. Normalize the projection (torchvision: yes). Defaults to True.
        avg_down: bool. ResNet-D shortcut (Bag of Tricks, He et al. 2019). Defaults to False.
        use_bias: bool. Bias in the convs (False when a normalization follows). Defaults to False.
        zero_init_residual: bool. Zero-initialise the last normalization's scale so the block
            starts as the identity (Goyal et al. 2017). Defaults to False.
        kernel_initializer: str. Defaults to "he_normal".

    Examples:
    ```python
    block = ResidualBlock(rank=3, filters=16, strides=2)
    block(np.zeros((1, 8, 8, 8, 4), "float32")).shape   # (1, 4, 4, 4, 16)
    ResidualBlock(rank=1, filters=64, block_type="bottleneck")(np.zeros((2, 128, 9))).shape   # (2, 128, 256)
    ```
    """

    def __init__(
        self,
        rank,
        filters,
        kernel_size=3,
        strides=1,
        block_type="basic",
        expansion=None,
        dilation_rate=1,
        preactivation=False,
        normalization="batch",
        activation="relu",
        se_ratio=0.0,
        drop_path_rate=0.0,
        shortcut="auto",
        shortcut_normalization=True,
        avg_down=False,
        use_bias=False,
        zero_init_residual=False,
        kernel_initializer="he_normal",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.rank = factories.check_rank(rank, what="ResidualBlock")
        if block_type not in ("basic", "bottleneck"):
            raise ValueError(f'block_type must be "basic" or "bottleneck". Received: block_type={block_type!r}')
        if shortcut not in _SHORTCUTS:
            raise ValueError(f"shortcut must be one of {_SHORTCUTS}. Received: shortcut={shortcut!r}")
        self.filters = filters
        self.kernel_size = kernel_size
        self.strides = strides
        self.block_type = block_type
        self.expansion = expansion
        self.dilation_rate = dilation_rate
        self.preactivation = preactivation
        self.normalization = normalization
        self.activation = activation
        self.se_ratio = se_ratio
        self.drop_path_rate = drop_path_rate
        self.shortcut = shortcut
        self.shortcut_normalization = shortcut_normalization
        self.avg_down = avg_down
        self.use_bias = use_bias
        self.zero_init_residual = zero_init_residual
        self.kernel_initializer = kernel_initializer

    @property
    def output_channels(self):
        expansion = self.expansion or (4 if self.block_type == "bottleneck" else 1)
        return self.filters * expansion

    def _conv(self, filters, kernel_size, strides, name, dilation_rate=1):
        return strided_conv(
            self.rank, filters, kernel_size, strides, dilation_rate=dilation_rate, name=name,
            use_bias=self.use_bias, kernel_initializer=self.kernel_initializer, dtype=self.dtype_policy,
        )

    def _norm(self, name, zero=False):
        kwargs = {"gamma_initializer": "zeros"} if zero and self.normalization == "batch" else {}
        return factories.normalization(self.normalization, name=name, dtype=self.dtype_policy, **kwargs)

    def _act(self, name):
        return factories.activation(self.activation, name=name, dtype=self.dtype_policy)

    def build(self, input_shape):
        factories.check_input_rank(input_shape, self.rank, self.name)
        in_channels = input_shape[-1]
        out = self.output_channels
        zero = self.zero_init_residual
        k, s, d = self.kernel_size, self.strides, self.dilation_rate

        if self.block_type == "basic":
            convs = [(self.filters, k, s, d), (out, k, 1, d)]
        else:
            convs = [(self.filters, 1, 1, 1), (self.filters, k, s, d), (out, 1, 1, 1)]
        branch = []
        for i, (filters, kernel, stride, dilation) in enumerate(convs, start=1):
            last = i == len(convs)
            if self.preactivation:
                branch += [self._norm(f"norm{i}"), self._act(f"act{i}")]
                branch += self._conv(filters, kernel, stride, f"conv{i}", dilation)
            else:
                branch += self._conv(filters, kernel, stride, f"conv{i}", dilation)
                branch += [self._norm(f"norm{i}", zero=zero and last)]
                if not last:
                    branch.append(self._act(f"act{i}"))
        if self.se_ratio:
            branch.append(SqueezeExcitation(self.rank, self.se_ratio, name="se", dtype=self.dtype_policy))
        if self.drop_path_rate:
            branch.append(StochasticDepth(self.drop_path_rate, name="drop_path", dtype=self.dtype_policy))
        self.pre_act = []
        if self.preactivation:
            # The pre-activation of the input feeds both the branch and a projection shortcut.
            self.pre_act, branch = branch[:2], branch[2:]
        self.branch = branch

        project = self.shortcut == "projection" or (
            self.shortcut == "auto" and (s != 1 or in_channels != out)
        )
        if self.shortcut == "identity" and (s != 1 or in_channels != out):
            raise ValueError(
                f"{self.name}: an identity shortcut needs strides=1 and equal channels. "
                f"Received: strides={s}, input channels={in_channels}, output channels={out}"
            )
        self.shortcut_layers = []
        if project:
            if self.avg_down and s != 1:
                self.shortcut_layers.append(
                    factories.average_pool(self.rank, s, strides=s, padding="same", name="shortcut_pool",
                                           dtype=self.dtype_policy)
                )
                proj_stride = 1
            else:
                proj_stride = s
            self.shortcut_layers.append(
                factories.conv(self.rank, out, 1, strides=proj_stride, use_bias=self.use_bias,
                               kernel_initializer=self.kernel_initializer, name="shortcut_conv",
                               dtype=self.dtype_policy)
            )
            if self.shortcut_normalization and not self.preactivation:
                self.shortcut_layers.append(self._norm("shortcut_norm"))
        self.post_act = None if self.preactivation else self._act("out_act")

        shape = build_chain(self.pre_act, input_shape)
        branch_shape = build_chain(self.branch, shape)
        shortcut_input = shape if self.preactivation else tuple(input_shape)
        shortcut_shape = build_chain(self.shortcut_layers, shortcut_input)
        if branch_shape[1:] != tuple(shortcut_shape)[1:] and None not in branch_shape[1:-1]:
            raise ValueError(f"{self.name}: branch {branch_shape} and shortcut {shortcut_shape} shapes differ")
        build_chain([self.post_act], branch_shape)

    def call(self, inputs):
        x = apply_chain(self.pre_act, inputs)
        branch = apply_chain(self.branch, x)
        if self.rank == 3 and self.se_ratio and self.preactivation:
            _refuse_onednn_crash(self.name, inputs.shape, branch.shape)
        shortcut = apply_chain(self.shortcut_layers, x if self.preactivation else inputs)
        outputs = branch + shortcut
        return outputs if self.post_act is None else self.post_act(outputs)

    def compute_output_shape(self, input_shape):
        return _strided_output_shape(input_shape, self.strides, self.output_channels)

    def get_config(self):
        return {
            **super().get_config(),
            "rank": self.rank,
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "block_type": self.block_type,
            "expansion": self.expansion,
            "dilation_rate": self.dilation_rate,
            "preactivation": self.preactivation,
            "normalization": self.normalization,
            "activation": self.activation,
            "se_ratio": self.se_ratio,
            "drop_path_rate": self.drop_path_rate,
            "shortcut": self.shortcut,
            "shortcut_normalization": self.shortcut_normalization,
            "avg_down": self.avg_down,
            "use_bias": self.use_bias,
            "zero_init_residual": self.zero_init_residual,
            "kernel_initializer": self.kernel_initializer,
        }


def onednn_enabled():
    """Whether TensorFlow runs its oneDNN CPU kernels in this process (False on another backend).

    TensorFlow reads `TF_ENABLE_ONEDNN_OPTS` when it starts; by default it turns them on only on
    CPUs with AVX-512.
    """
    if keras.backend.backend() != "tensorflow":
        return False
    from tensorflow.python.util import _pywrap_util_port

    return bool(_pywrap_util_port.IsMklEnabled())


def _refuse_onednn_crash(name, input_shape, branch_shape):
    # TF 2.21's oneDNN kernels crash the process (SIGSEGV) on a 3-D convolution whose output is
    # 2×2×2, multiplied by a broadcast per-channel gate and added to another tensor: the tail of a
    # pre-activation block with squeeze-excitation. Reproduction: scripts/onednn_crash.py.
    if tuple(branch_shape[1:4]) == (2, 2, 2) and onednn_enabled():
        raise ValueError(
            f"{name}: a 3-D pre-activation block with squeeze-excitation whose output is 2×2×2 crashes "
            "TensorFlow 2.21's oneDNN kernels (scripts/onednn_crash.py). Use an input of at least 5 voxels "
            "per axis for this stride, or start the process with TF_ENABLE_ONEDNN_OPTS=0. "
            f"Received: input_shape={tuple(input_shape)}")


def _strided_output_shape(input_shape, strides, channels):
    """(batch, *ceil(spatial / strides), channels): a block with PyTorch-style padding."""
    spatial = [None if n is None else (n + strides - 1) // strides for n in input_shape[1:-1]]
    return (input_shape[0], *spatial, channels)


@export
class InvertedResidualBlock(keras.layers.Layer):
    """MobileNetV2 inverted residual, depthwise-separable, for 1-D and 2-D inputs.

    1×1 expansion to `in_channels · expansion_ratio` (skipped when the ratio is 1) →
    depthwise k-conv (carrying the stride) → 1×1 linear projection to `filters`, each
    followed by normalization; activations after the first two only (Sandler et al. 2018,
    https://arxiv.org/abs/1801.04381). The shortcut is the identity when shapes match
    ("auto"), or always a 1×1 conv ("projection", FusionActNet's residual MobileNet gate).

    Args:
        rank: int. 1 or 2 (Keras has no 3-D depthwise convolution).
        filters: int. Output channels.
        kernel_size: int. Depthwise kernel. Defaults to 3.
        strides: int. Stride of the depthwise conv. Defaults to 1.
        expansion_ratio: int. Width multiplier of the hidden layer. Defaults to 6.
        normalization: str or None. Defaults to "batch".
        activation: str. Defaults to "relu6".
        shortcut: str. "auto", "projection" or "none". Defaults to "auto".
        se_ratio: float. Squeeze-excitation ratio on the hidden layer, 0 disables. Defaults to 0.
        drop_path_rate: float. Stochastic depth on the branch. Defaults to 0.

    Examples:
    ```python
    block = InvertedResidualBlock(rank=1, filters=64, expansion_ratio=1, shortcut="projection")
    block(np.zeros((2, 128, 32), "float32")).shape   # (2, 128, 64)
    ```
    """

    def __init__(
        self,
        rank,
        filters,
        kernel_size=3,
        strides=1,
        expansion_ratio=6,
        normalization="batch",
        activation="relu6",
        shortcut="auto",
        se_ratio=0.0,
        drop_path_rate=0.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.rank = factories.check_rank(rank, (1, 2), what="InvertedResidualBlock")
        if shortcut not in ("auto", "projection", "none"):
            raise ValueError(f'shortcut must be "auto", "projection" or "none". Received: shortcut={shortcut!r}')
        self.filters = filters
        self.kernel_size = kernel_size
        self.strides = strides
        self.expansion_ratio = expansion_ratio
        self.normalization = normalization
        self.activation = activation
        self.shortcut = shortcut
        self.se_ratio = se_ratio
        self.drop_path_rate = drop_path_rate

    def build(self, input_shape):
        factories.check_input_rank(input_shape, self.rank, self.name)
        in_channels = input_shape[-1]
        hidden = in_channels * self.expansion_ratio
        dtype = self.dtype_policy
        branch = []
        if self.expansion_ratio != 1:
            branch += [
                factories.conv(self.rank, hidden, 1, use_bias=False, name="expand", dtype=dtype),
                factories.normalization(self.normalization, name="expand_norm", dtype=dtype),
                factories.activation(self.activation, name="expand_act", dtype=dtype),
            ]
        pad = (self.kernel_size - 1) // 2
        if self.strides != 1:
            branch.append(factories.zero_padding(self.rank, pad, name="depthwise_pad", dtype=dtype))
        branch += [
            factories.depthwise_conv(
                self.rank, self.kernel_size, strides=self.strides,
                padding="same" if self.strides == 1 else "valid", use_bias=False, name="depthwise", dtype=dtype,
            ),
            factories.normalization(self.normalization, name="depthwise_norm", dtype=dtype),
            factories.activation(self.activation, name="depthwise_act", dtype=dtype),
        ]
        if self.se_ratio:
            branch.append(SqueezeExcitation(self.rank, self.se_ratio, name="se", dtype=dtype))
        branch += [
            factories.conv(self.rank, self.filters, 1, use_bias=False, name="project", dtype=dtype),
            factories.normalization(self.normalization, name="project_norm", dtype=dtype),
        ]
        if self.drop_path_rate:
            branch.append(StochasticDepth(self.drop_path_rate, name="drop_path", dtype=dtype))
        self.branch = branch
        same_shape = self.strides == 1 and in_channels == self.filters
        self.shortcut_layers = None
        if self.shortcut == "projection":
            self.shortcut_layers = [
                factories.conv(self.rank, self.filters, 1, strides=self.strides, name="shortcut_conv", dtype=dtype)
            ]
        elif self.shortcut == "auto" and same_shape:
            self.shortcut_layers = []
        build_chain(self.branch, input_shape)
        build_chain(self.shortcut_layers or [], input_shape)

    def call(self, inputs):
        outputs = apply_chain(self.branch, inputs)
        if self.shortcut_layers is None:
            return outputs
        return outputs + apply_chain(self.shortcut_layers, inputs)

    def compute_output_shape(self, input_shape):
        return _strided_output_shape(input_shape, self.strides, self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "rank": self.rank,
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "expansion_ratio": self.expansion_ratio,
            "normalization": self.normalization,
            "activation": self.activation,
            "shortcut": self.shortcut,
            "se_ratio": self.se_ratio,
            "drop_path_rate": self.drop_path_rate,
        }
