"""Image and volume quality: PSNR, SSIM and NRMSE, as functions and as Keras metrics.

The functions take a batch of 2-D images `(B, H, W, C)` or 3-D volumes `(B, D, H, W, C)` and
return one value per example, shape `(B,)`. They follow the DISGAN evaluation conventions
(docs/papers.md §1): the data range defaults to `max - min` of the ground truth of each example,
and NRMSE is normalized by that same min-max range.

The heavy lifting is `tf.image.psnr` and `tf.image.ssim`; volumes are scored slice by slice by
folding the slicing axis into the batch.
"""

import keras
import tensorflow as tf

from core.api import export

# PSNR of two identical images is +inf (the MSE is zero). One inf in a batch turns any average into
# inf, so `psnr` caps the value at this many decibels by default. 100 dB is far above any PSNR a
# real reconstruction reaches, yet below what float32 rounding errors alone give, and easy to spot.
DEFAULT_MAX_PSNR = 100.0

_NRMSE_NORMALIZATIONS = ("minmax", "euclidean", "mean")


def psnr(y_true, y_pred, data_range=None, max_psnr=DEFAULT_MAX_PSNR):
    """Peak signal-to-noise ratio in dB, one value per example.

    `PSNR = 10 * log10(data_range**2 / MSE)`, where the MSE is taken over all non-batch axes, so
    the same function serves images `(B, H, W, C)`, volumes `(B, D, H, W, C)` and signals `(B, L, C)`.
    The computation is `tf.image.psnr` on the flattened examples.

    Identical inputs have MSE 0 and an infinite PSNR: the result is capped at `max_psnr` (100 dB by
    default) so that averages over a data set stay finite. Pass `max_psnr=None` to get `inf`.
    A constant `y_true` with `data_range=None` has a range of 0, and its PSNR is `-inf` (or NaN if
    `y_pred` equals it too): pass an explicit `data_range` for such data.

    Args:
        y_true: float tensor `(B, ...)`. The ground truth.
        y_pred: float tensor of the same shape. The prediction.
        data_range: float, tensor of shape `(B,)`, or `None`. The dynamic range of the data.
            `None` uses `max(y_true) - min(y_true)` of each example (the DISGAN convention).
            Defaults to `None`.
        max_psnr: float or `None`. The cap, in dB. `None` disables the cap. Defaults to `100.0`.

    Returns:
        A float32 tensor of shape `(B,)`.

    Example:
    ```python
    y_true = np.random.rand(2, 16, 16, 16, 1).astype("float32")
    y_pred = y_true + 0.01 * np.random.randn(*y_true.shape).astype("float32")
    psnr(y_true, y_pred)  # ~40 dB for each of the two volumes
    ```
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    batch = tf.shape(y_true)[0]
    value_range = _data_range(y_true, data_range)
    # tf.image.psnr averages over the last three axes: give it each example as one (N, 1, 1) image.
    flat_true = tf.reshape(y_true, [batch, -1, 1, 1])
    flat_pred = tf.reshape(y_pred, [batch, -1, 1, 1])
    value = tf.image.psnr(flat_true, flat_pred, max_val=value_range)
    if max_psnr is not None:
        value = tf.minimum(value, tf.cast(max_psnr, value.dtype))
    return value


def ssim(
    y_true,
    y_pred,
    data_range=None,
    axis=1,
    filter_size=11,
    filter_sigma=1.5,
    k1=0.01,
    k2=0.03,
    mask=None,
):
    """Structural similarity, one value per example; volumes are scored by 2-D slices.

    Images `(B, H, W, C)` go straight to `tf.image.ssim`. Volumes `(B, D, H, W, C)` are cut into
    2-D slices along `axis`, the slices are folded into the batch and scored with `tf.image.ssim`,
    and the per-slice values are averaged for each example. The data range is computed once per
    example (over the whole volume), not per slice.

    The window is Gaussian, 11×11 with σ = 1.5 by default (Wang et al. 2004 and the `tf.image.ssim`
    default). scikit-image's default is a 7×7 uniform window, so its numbers differ slightly.
    Slices smaller than the window raise a `ValueError` rather than silently shrinking the window,
    which would change what the metric measures: pass a smaller `filter_size` (e.g. 7) for small
    patches.

    With a `mask`, only slices that contain foreground (any non-zero mask voxel) are averaged. The
    masking is per slice, not per voxel, because `tf.image.ssim` returns no SSIM map. An example
    without any foreground slice gives NaN.

    Args:
        y_true: float tensor `(B, H, W, C)` or `(B, D, H, W, C)`. The ground truth.
        y_pred: float tensor of the same shape. The prediction.
        data_range: float, tensor of shape `(B,)`, or `None`. The dynamic range of the data.
            `None` uses `max(y_true) - min(y_true)` of each example. Defaults to `None`.
        axis: int. For volumes, the spatial axis to slice along: 1, 2 or 3 (or -4, -3, -2).
            Ignored for images. Defaults to `1` (depth).
        filter_size: int. Size of the Gaussian window. Defaults to `11`.
        filter_sigma: float. Width of the Gaussian window. Defaults to `1.5`.
        k1: float. SSIM luminance constant. Defaults to `0.01`.
        k2: float. SSIM contrast constant. Defaults to `0.03`.
        mask: optional tensor broadcastable to `y_true` (e.g. `(B, D, H, W, 1)`). Foreground mask.
            Defaults to `None` (all slices count).

    Returns:
        A float32 tensor of shape `(B,)`.

    Example:
    ```python
    hr = np.random.rand(2, 16, 32, 32, 1).astype("float32")
    sr = hr + 0.05 * np.random.randn(*hr.shape).astype("float32")
    ssim(hr, sr)  # mean SSIM over the 16 axial slices of each volume
    ssim(hr, sr, axis=3, filter_size=7)  # over the 32 sagittal slices, 7x7 window
    ```
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    rank = y_true.shape.rank
    if rank not in (4, 5):
        raise ValueError(
            "`ssim` expects images (B, H, W, C) or volumes (B, D, H, W, C). "
            f"Received: y_true.shape={y_true.shape}"
        )
    value_range = _data_range(y_true, data_range)
    if rank == 4:
        # An image is a volume with a single slice.
        y_true = y_true[:, tf.newaxis]
        y_pred = y_pred[:, tf.newaxis]
        axis = 1
        if mask is not None:
            mask = tf.convert_to_tensor(mask)[:, tf.newaxis]
    else:
        if axis not in (1, 2, 3, -4, -3, -2):
            raise ValueError(
                "`axis` must be a spatial axis of a (B, D, H, W, C) volume: 1, 2 or 3 "
                f"(or -4, -3, -2). Received: axis={axis}"
            )
        axis = axis % 5

    # Move the slicing axis next to the batch axis: (B, S, h, w, C).
    others = [a for a in (1, 2, 3) if a != axis]
    perm = [0, axis] + others + [4]
    slices_true = tf.transpose(y_true, perm)
    slices_pred = tf.transpose(y_pred, perm)
    height, width = slices_true.shape[2], slices_true.shape[3]
    if (height is not None and height < filter_size) or (width is not None and width < filter_size):
        raise ValueError(
            f"Every slice must be at least filter_size x filter_size = {filter_size} x {filter_size}; "
            f"slicing along axis {axis} gives slices of {height} x {width}. Pass a smaller "
            f"`filter_size` or slice along another axis. Received: y_true.shape={y_true.shape}, "
            f"axis={axis}, filter_size={filter_size}"
        )

    shape = tf.shape(slices_true)
    batch, num_slices = shape[0], shape[1]
    folded_shape = tf.concat([[batch * num_slices], shape[2:]], axis=0)
    slice_range = tf.repeat(value_range, num_slices)[:, tf.newaxis, tf.newaxis, tf.newaxis]
    per_slice = tf.image.ssim(
        tf.reshape(slices_true, folded_shape),
        tf.reshape(slices_pred, folded_shape),
        max_val=slice_range,
        filter_size=filter_size,
        filter_sigma=filter_sigma,
        k1=k1,
        k2=k2,
    )
    per_slice = tf.reshape(per_slice, [batch, num_slices])
    if mask is None:
        return tf.reduce_mean(per_slice, axis=1)

    mask = tf.convert_to_tensor(mask)
    mask = tf.broadcast_to(tf.not_equal(mask, tf.zeros((), mask.dtype)), tf.shape(y_true))
    mask = tf.transpose(mask, perm)
    foreground = tf.cast(tf.reduce_any(mask, axis=[2, 3, 4]), per_slice.dtype)
    # 0 / 0 = NaN on purpose: an example without foreground has no SSIM.
    return tf.reduce_sum(per_slice * foreground, axis=1) / tf.reduce_sum(foreground, axis=1)


def nrmse(y_true, y_pred, normalization="minmax"):
    """Normalized root-mean-square error, one value per example.

    `RMSE = sqrt(mean((y_true - y_pred)**2))` over all non-batch axes, divided by:
    - `"minmax"`: `max(y_true) - min(y_true)` (the DISGAN convention);
    - `"euclidean"`: `sqrt(mean(y_true**2))`;
    - `"mean"`: `mean(y_true)`.

    Args:
        y_true: float tensor `(B, ...)`. The ground truth.
        y_pred: float tensor of the same shape. The prediction.
        normalization: str. One of `"minmax"` (or `"min-max"`), `"euclidean"`, `"mean"`.
            Defaults to `"minmax"`.

    Returns:
        A float32 tensor of shape `(B,)`.

    Example:
    ```python
    y_true = np.random.rand(2, 8, 8, 8, 1).astype("float32")
    nrmse(y_true, y_true + 0.1)  # 0.1 / range of each volume
    ```
    """
    if normalization == "min-max":
        normalization = "minmax"
    if normalization not in _NRMSE_NORMALIZATIONS:
        raise ValueError(
            f"`normalization` must be one of {_NRMSE_NORMALIZATIONS}. Received: normalization={normalization!r}"
        )
    y_true, y_pred = _prepare(y_true, y_pred)
    axes = list(range(1, y_true.shape.rank))
    rmse = tf.sqrt(tf.reduce_mean(tf.square(y_true - y_pred), axis=axes))
    if normalization == "minmax":
        denominator = tf.reduce_max(y_true, axis=axes) - tf.reduce_min(y_true, axis=axes)
    elif normalization == "euclidean":
        denominator = tf.sqrt(tf.reduce_mean(tf.square(y_true), axis=axes))
    else:
        denominator = tf.reduce_mean(y_true, axis=axes)
    return rmse / denominator


@export
class PSNR(keras.metrics.MeanMetricWrapper):
    """Mean peak signal-to-noise ratio over the examples seen, as a Keras metric.

    Wraps `psnr` (see there for the data-range convention and the cap on identical inputs) and
    averages its per-example values with `keras.metrics.Mean`, honouring `sample_weight`.

    Args:
        data_range: float or `None`. The dynamic range; `None` uses `max - min` of each example's
            ground truth. Defaults to `None`.
        max_psnr: float or `None`. Cap in dB for identical inputs. Defaults to `100.0`.
        name: str. Defaults to `"psnr"`.
        dtype: dtype of the metric's state. Defaults to `None` (floatx).

    Example:
    ```python
    hr_batch = np.random.rand(2, 16, 16, 1).astype("float32")
    sr_batch = hr_batch + 0.01 * np.random.randn(*hr_batch.shape).astype("float32")
    metric = PSNR()
    metric.update_state(hr_batch, sr_batch)
    metric.result()   # ~40 dB

    model = keras.Sequential([keras.Input((16, 16, 1)), keras.layers.Conv2D(1, 3, padding="same")])
    model.compile(optimizer="adam", loss="mae", metrics=[PSNR(), SSIM(filter_size=7)])
    ```
    """

    def __init__(self, data_range=None, max_psnr=DEFAULT_MAX_PSNR, name="psnr", dtype=None):
        super().__init__(fn=psnr, name=name, dtype=dtype, data_range=data_range, max_psnr=max_psnr)
        self.data_range = data_range
        self.max_psnr = max_psnr
        # Higher is better (read by callbacks such as ModelCheckpoint with mode="auto").
        self._direction = "up"

    def get_config(self):
        return {
            "name": self.name,
            "dtype": self.dtype,
            "data_range": self.data_range,
            "max_psnr": self.max_psnr,
        }


@export
class SSIM(keras.metrics.MeanMetricWrapper):
    """Mean structural similarity over the examples seen, as a Keras metric.

    Wraps `ssim` (images directly, volumes by slices along `axis`) and averages its per-example
    values with `keras.metrics.Mean`, honouring `sample_weight`.

    Args:
        data_range: float or `None`. The dynamic range; `None` uses `max - min` of each example's
            ground truth. Defaults to `None`.
        axis: int. Slicing axis for volumes (1, 2 or 3). Defaults to `1`.
        filter_size: int. Gaussian window size. Defaults to `11`.
        filter_sigma: float. Gaussian window width. Defaults to `1.5`.
        k1: float. Defaults to `0.01`.
        k2: float. Defaults to `0.03`.
        name: str. Defaults to `"ssim"`.
        dtype: dtype of the metric's state. Defaults to `None` (floatx).

    Example:
    ```python
    hr_volumes = np.random.rand(2, 8, 16, 16, 1).astype("float32")
    sr_volumes = hr_volumes + 0.05 * np.random.randn(*hr_volumes.shape).astype("float32")
    metric = SSIM(axis=1, filter_size=7)   # the mean over the 8 slices along axis 1 of each volume
    metric.update_state(hr_volumes, sr_volumes)
    metric.result()
    ```
    """

    def __init__(
        self,
        data_range=None,
        axis=1,
        filter_size=11,
        filter_sigma=1.5,
        k1=0.01,
        k2=0.03,
        name="ssim",
        dtype=None,
    ):
        super().__init__(
            fn=ssim,
            name=name,
            dtype=dtype,
            data_range=data_range,
            axis=axis,
            filter_size=filter_size,
            filter_sigma=filter_sigma,
            k1=k1,
            k2=k2,
        )
        self.data_range = data_range
        self.axis = axis
        self.filter_size = filter_size
        self.filter_sigma = filter_sigma
        self.k1 = k1
        self.k2 = k2
        self._direction = "up"

    def get_config(self):
        return {
            "name": self.name,
            "dtype": self.dtype,
            "data_range": self.data_range,
            "axis": self.axis,
            "filter_size": self.filter_size,
            "filter_sigma": self.filter_sigma,
            "k1": self.k1,
            "k2": self.k2,
        }


def _prepare(y_true, y_pred):
    """Float32 tensors of equal, batched shape."""
    y_true = tf.cast(tf.convert_to_tensor(y_true), tf.float32)
    y_pred = tf.cast(tf.convert_to_tensor(y_pred), tf.float32)
    if y_true.shape.rank is not None and y_true.shape.rank < 2:
        raise ValueError(f"Expected a batch of examples (B, ...). Received: y_true.shape={y_true.shape}")
    if not y_true.shape.is_compatible_with(y_pred.shape):
        raise ValueError(
            f"`y_true` and `y_pred` must have the same shape. "
            f"Received: y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}"
        )
    return y_true, y_pred


def _data_range(y_true, data_range):
    """The data range of each example as a `(B,)` float32 tensor."""
    if data_range is None:
        axes = list(range(1, y_true.shape.rank))
        return tf.reduce_max(y_true, axis=axes) - tf.reduce_min(y_true, axis=axes)
    data_range = tf.cast(tf.convert_to_tensor(data_range), tf.float32)
    return tf.broadcast_to(data_range, tf.shape(y_true)[:1])
