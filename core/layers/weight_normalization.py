"""Weight normalization (Salimans & Kingma, 2016) as a Keras 3 wrapper layer.

Keras has `SpectralNormalization` but no weight normalization. This wrapper reparameterises the
kernel of the layer it wraps as `w = g * v / ||v||`, with one norm (and one `g`) per output
channel, like PyTorch's `torch.nn.utils.weight_norm(module, dim=0)` on `Conv1d/2d/3d` and
`Linear`. The wrapped layer's own kernel variable holds `v`; the wrapper adds the vector `g`.
"""

import keras
from keras import ops

from core.api import export

_TRANSPOSED_CONVS = (keras.layers.Conv1DTranspose, keras.layers.Conv2DTranspose, keras.layers.Conv3DTranspose)
# Lower bound on the squared norm: a channel whose kernel is all zeros gives w = 0, not NaN.
_EPSILON = 1e-24


@export
class WeightNormalization(keras.layers.Layer):
    """Weight-normalization wrapper: `kernel = g * v / ||v||`, one norm per output channel.

    The wrapped layer's `kernel` variable becomes the direction `v`; the wrapper adds a trainable
    vector `g` (one entry per output channel), initialised at build time to `||v||` so that the
    wrapped layer computes exactly what it computed before wrapping. The norm runs over every
    kernel axis except `axis`. The wrapper adds `kernel.shape[axis]` parameters to the wrapped
    layer's; `fold()` returns the effective kernel, and `fold_weight_normalization` a plain layer
    with it (the parameter count "with weight norm folded", like `torch`'s `remove_weight_norm`).

    Works for any layer whose `kernel` is a plain variable (no LoRA, not quantized):
    `Dense`, `Conv1D`/`Conv2D`/`Conv3D` (kernel `(*kernel_size, in, out)`, `axis=-1`) and
    `Conv1DTranspose`/`Conv2DTranspose`/`Conv3DTranspose` (kernel `(*kernel_size, out, in)`,
    `axis=-2` by default, i.e. also per output channel). Note that PyTorch's
    `weight_norm(nn.ConvTranspose1d(...))` with its default `dim=0` normalises per *input*
    channel instead (torch stores that weight as `(in, out, *kernel_size)`); pass `axis=-1` to a
    wrapped transposed convolution to reproduce it (e.g. for HiFi-GAN's upsampling layers).

    Reference: [Salimans & Kingma, 2016](https://arxiv.org/abs/1602.07868).

    Args:
        layer: `keras.layers.Layer`. The layer to wrap; it must have a `kernel` variable once
            built.
        axis: int or None. The kernel axis that keeps one norm per entry (the `g` axis). `None`
            picks the output-channel axis: `-2` for transposed convolutions, `-1` otherwise.
            Defaults to `None`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Examples:
    ```python
    conv = WeightNormalization(keras.layers.Conv1D(8, 7, padding="same"))
    y = conv(np.random.rand(2, 50, 4).astype("float32"))
    tuple(y.shape), conv.count_params()   # ((2, 50, 8), 240): 7 * 4 * 8 + 8 (Conv1D) + 8 (g)
    tuple(conv.fold().shape)   # (7, 4, 8)
    ```
    """

    def __init__(self, layer, axis=None, **kwargs):
        if not isinstance(layer, keras.layers.Layer):
            raise ValueError(
                f"WeightNormalization wraps a keras.layers.Layer instance. Received: layer={layer!r}"
            )
        super().__init__(**kwargs)
        self.layer = layer
        self.axis = axis

    def _default_axis(self):
        if self.axis is not None:
            return self.axis
        return -2 if isinstance(self.layer, _TRANSPOSED_CONVS) else -1

    def _kernel_variable(self):
        kernel = getattr(self.layer, "kernel", None) if self.layer.built else None
        if not isinstance(kernel, keras.Variable):
            raise ValueError(
                "WeightNormalization needs a wrapped layer with a plain `kernel` variable (Dense, ConvND, "
                f"ConvNDTranspose; no LoRA or quantization). Received: layer={self.layer.__class__.__name__} "
                f"with kernel={type(kernel).__name__}"
            )
        return kernel

    def build(self, input_shape):
        if not self.layer.built:
            self.layer.build(input_shape)
        kernel = self._kernel_variable()
        ndim = len(kernel.shape)
        axis = self._default_axis()
        if not -ndim <= axis < ndim:
            raise ValueError(
                f"WeightNormalization axis must index the kernel of shape {tuple(kernel.shape)}. "
                f"Received: axis={axis}"
            )
        self._g_axis = axis % ndim
        self.g = self.add_weight(
            name="g",
            shape=(kernel.shape[self._g_axis],),
            initializer=lambda shape, dtype=None: ops.cast(ops.reshape(self._norm(kernel), shape), dtype),
            trainable=True,
        )
        self.built = True

    def _norm(self, kernel):
        axes = [i for i in range(len(kernel.shape)) if i != self._g_axis]
        return ops.sqrt(ops.maximum(ops.sum(ops.square(kernel), axis=axes, keepdims=True), _EPSILON))

    def fold(self):
        """The effective kernel `g * v / ||v||` (a tensor of the wrapped kernel's shape)."""
        if not self.built:
            raise ValueError("WeightNormalization.fold() needs a built layer. Received: built=False")
        kernel = self._kernel_variable()
        broadcast = [1] * len(kernel.shape)
        broadcast[self._g_axis] = kernel.shape[self._g_axis]
        g = ops.reshape(ops.cast(self.g, kernel.dtype), broadcast)
        return kernel * (g / self._norm(kernel))

    def call(self, inputs):
        kernel = self._kernel_variable()
        # The wrapped layer runs unchanged, reading the folded kernel in place of `v`. Its other
        # variables are mapped to their current values so that an enclosing stateless scope (JAX
        # training) still provides them.
        mapping = [(kernel, self.fold())]
        mapping += [(w, w.value) for w in self.layer.weights if w is not kernel]
        with keras.StatelessScope(state_mapping=mapping):
            return self.layer(inputs)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"layer": keras.layers.serialize(self.layer), "axis": self.axis})
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer = keras.layers.deserialize(config.pop("layer"), custom_objects=custom_objects)
        return cls(layer, **config)


def fold_weight_normalization(wrapper, layer_class=None):
    """A plain copy of the wrapped layer whose kernel is the folded `g * v / ||v||`.

    The counterpart of `torch.nn.utils.remove_weight_norm`: the returned layer computes the same
    outputs as `wrapper` with `count_params()` lower by the number of `g` entries. `wrapper` is left
    unchanged.

    Args:
        wrapper: `WeightNormalization`. A built wrapper.
        layer_class: class or None. The copy's class, built from the wrapped layer's config (e.g.
            `TimeSplitConv1D` for a `Conv1D`: another way to compute the same outputs). Defaults to
            None (the wrapped layer's class).

    Returns:
        A new, built layer of `layer_class` (or the wrapped layer's class) and the wrapped layer's config.

    Examples:
    ```python
    wn = WeightNormalization(keras.layers.Dense(3))
    _ = wn(np.ones((1, 4), "float32"))
    plain = fold_weight_normalization(wn)
    plain.count_params(), wn.count_params()   # (15, 18)
    ```
    """
    if not isinstance(wrapper, WeightNormalization) or not wrapper.built:
        raise ValueError(f"fold_weight_normalization needs a built WeightNormalization. Received: wrapper={wrapper!r}")
    inner = wrapper.layer
    plain = (layer_class or inner.__class__).from_config(inner.get_config())
    plain.build_from_config(inner.get_build_config())
    kernel = wrapper._kernel_variable()
    folded = wrapper.fold()
    for target, source in zip(plain.weights, inner.weights):
        target.assign(folded if source is kernel else source.value)
    return plain
