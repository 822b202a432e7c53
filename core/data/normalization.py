"""Intensity normalisation of NumPy arrays of any rank (signals, images, volumes, batches)."""

import numpy as np


def zscore(array, mask=None):
    """Z-score `array` with the mean and standard deviation of its `mask` elements.

    The statistics come from `array[mask]` (e.g. a foreground) and are applied to the whole
    array, so the masked elements end with mean 0 and standard deviation 1.

    Args:
        array: array-like of any shape.
        mask: None or a bool array of `array`'s shape: the elements the statistics are taken
            over. `None` takes every element. Defaults to `None`.

    Returns:
        A tuple `(normalized, mean, std)`: the float32 array of `array`'s shape and the two
        statistics as floats (map results back with `normalized * std + mean`).

    Raises:
        ValueError: `mask` has another shape or selects nothing, or the selected values are
            constant (standard deviation 0).

    Example:
    ```python
    volume = np.zeros((8, 8, 8), "float32")
    volume[2:6, 2:6, 2:6] = np.arange(1, 65, dtype="float32").reshape(4, 4, 4)
    normalized, mean, std = zscore(volume, mask=volume > 0)
    print(round(mean, 2), round(std, 2))   # 32.5 18.47
    print(normalized[volume > 0].mean())   # ~0
    ```
    """
    array = np.asarray(array)
    if mask is None:
        values = array
    else:
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != array.shape:
            raise ValueError(
                f"zscore: `mask` must have the shape of `array`. Received: mask.shape={mask.shape}, "
                f"array.shape={array.shape}"
            )
        values = array[mask]
    if values.size == 0:
        raise ValueError("zscore: no element to take the statistics over (empty array or mask)")
    mean = float(values.mean(dtype="float64"))
    std = float(values.std(dtype="float64"))
    if std == 0.0:
        raise ValueError(f"zscore: the values are constant (standard deviation 0, all {mean}); nothing to normalise")
    return ((array - mean) / std).astype("float32"), mean, std
