"""Rank-generic layer factories (MONAI's `Conv[Conv.CONV, spatial_dims]` idea).

`rank` is the number of spatial dimensions: 1 (signals, spectra), 2 (images), 3 (volumes).
All layers are channels-last: inputs are `(batch, *spatial, channels)`.
"""

import keras

_RANKS = (1, 2, 3)


def check_rank(rank, allowed=_RANKS, what="layer"):
    """Raise a clear error unless `rank` is one of `allowed`."""
    if rank not in allowed:
        raise ValueError(
            f"{what} supports rank (number of spatial dimensions) in {tuple(allowed)}. "
            f"Received: rank={rank!r}"
        )
    return rank


def check_input_rank(input_shape, rank, name):
    """Raise unless `input_shape` is `(batch, *spatial[rank], channels)`."""
    if len(input_shape) != rank + 2:
        raise ValueError(
            f"{name} with rank={rank} expects inputs of shape (batch, {rank} spatial dims, "
            f"channels), i.e. {rank + 2} dimensions. Received: input_shape={tuple(input_shape)}"
        )


def conv(rank, filters, kernel_size, **kwargs):
    """`ConvND` for `rank` in 1, 2, 3."""
    check_rank(rank, what="conv")
    cls = {1: keras.layers.Conv1D, 2: keras.layers.Conv2D, 3: keras.layers.Conv3D}[rank]
    return cls(filters, kernel_size, **kwargs)


def depthwise_conv(rank, kernel_size, **kwargs):
    """`DepthwiseConvND` for `rank` in 1, 2 (Keras has no 3-D depthwise conv)."""
    check_rank(rank, (1, 2), what="depthwise_conv")
    cls = {1: keras.layers.DepthwiseConv1D, 2: keras.layers.DepthwiseConv2D}[rank]
    return cls(kernel_size, **kwargs)


def zero_padding(rank, padding, **kwargs):
    """`ZeroPaddingND` with the same symmetric `padding` on every spatial axis."""
    check_rank(rank, what="zero_padding")
    cls = {
        1: keras.layers.ZeroPadding1D,
        2: keras.layers.ZeroPadding2D,
        3: keras.layers.ZeroPadding3D,
    }[rank]
    return cls(padding, **kwargs)


def max_pool(rank, pool_size, strides=None, padding="valid", **kwargs):
    check_rank(rank, what="max_pool")
    cls = {1: keras.layers.MaxPooling1D, 2: keras.layers.MaxPooling2D, 3: keras.layers.MaxPooling3D}[rank]
    return cls(pool_size, strides=strides, padding=padding, **kwargs)


def average_pool(rank, pool_size, strides=None, padding="valid", **kwargs):
    check_rank(rank, what="average_pool")
    cls = {
        1: keras.layers.AveragePooling1D,
        2: keras.layers.AveragePooling2D,
        3: keras.layers.AveragePooling3D,
    }[rank]
    return cls(pool_size, strides=strides, padding=padding, **kwargs)


def global_average_pool(rank, **kwargs):
    check_rank(rank, what="global_average_pool")
    cls = {
        1: keras.layers.GlobalAveragePooling1D,
        2: keras.layers.GlobalAveragePooling2D,
        3: keras.layers.GlobalAveragePooling3D,
    }[rank]
    return cls(**kwargs)


def global_max_pool(rank, **kwargs):
    check_rank(rank, what="global_max_pool")
    cls = {
        1: keras.layers.GlobalMaxPooling1D,
        2: keras.layers.GlobalMaxPooling2D,
        3: keras.layers.GlobalMaxPooling3D,
    }[rank]
    return cls(**kwargs)


def normalization(kind, **kwargs):
    """Normalization layer by name: "batch", "instance", "layer", "group" or None.

    "instance" is `GroupNormalization(groups=-1)` (one group per channel).
    Returns None for `kind=None` so that callers can skip it.
    """
    if kind is None or kind == "none":
        return None
    if kind == "batch":
        kwargs.setdefault("epsilon", 1e-5)  # the PyTorch default, for parity with reference code
        kwargs.setdefault("momentum", 0.9)
        return keras.layers.BatchNormalization(**kwargs)
    if kind == "instance":
        return keras.layers.GroupNormalization(groups=-1, epsilon=1e-5, **kwargs)
    if kind == "group":
        return keras.layers.GroupNormalization(groups=kwargs.pop("groups", 32), epsilon=1e-5, **kwargs)
    if kind == "layer":
        return keras.layers.LayerNormalization(epsilon=1e-5, **kwargs)
    raise ValueError(
        'normalization must be one of "batch", "instance", "group", "layer" or None. '
        f"Received: normalization={kind!r}"
    )


def activation(kind, **kwargs):
    """Activation layer by name; "leaky_relu" takes `negative_slope`. None gives None."""
    if kind is None:
        return None
    if kind == "leaky_relu":
        return keras.layers.LeakyReLU(negative_slope=kwargs.pop("negative_slope", 0.01), **kwargs)
    return keras.layers.Activation(kind, **kwargs)
