"""Input checks for windowed sensor data, used by the HAR models before training or inference."""

import numpy as np

__all__ = ["validate_windows"]


def validate_windows(x, expected_channels, name="x", expected_length=None):
    """Check that `x` is a finite `(windows, time, channels)` batch with the expected channels.

    Args:
        x: array-like (NumPy array or eager tensor). The windows to check.
        expected_channels: int. Number of channels the model expects (last axis).
        name: str. Name of the input, used in error messages. Defaults to `"x"`.
        expected_length: int or `None`. Number of time steps the model expects (axis 1);
            `None` accepts any length. Defaults to `None`.

    Returns:
        `x` as a NumPy array (unchanged values).

    Raises:
        ValueError: `x` is not 3-D, has the wrong number of channels or time steps, or contains
            NaN or infinite values (the message counts them and names the first position).

    Example:
    ```python
    x = np.zeros((8, 128, 9), "float32")
    validate_windows(x, expected_channels=9, name="x_train")   # passes
    validate_windows(x, expected_channels=6)   # ValueError: ... expected 6 channels ... Received: 9
    ```
    """
    array = np.asarray(x)
    if array.ndim != 3:
        raise ValueError(
            f"`{name}` must be 3-D (windows, time, channels). Received: shape={array.shape} (ndim={array.ndim})"
        )
    if array.shape[-1] != expected_channels:
        raise ValueError(
            f"`{name}` must have {expected_channels} channels on its last axis. Received: "
            f"{array.shape[-1]} channels (shape={array.shape})"
        )
    if expected_length is not None and array.shape[1] != expected_length:
        raise ValueError(
            f"`{name}` must have {expected_length} time steps on axis 1. Received: {array.shape[1]} (shape={array.shape})"
        )
    if not np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.complexfloating):
        raise ValueError(f"`{name}` must hold real numbers. Received: dtype={array.dtype}")
    if np.issubdtype(array.dtype, np.floating):
        bad = ~np.isfinite(array)
        if bad.any():
            num_nan = int(np.isnan(array).sum())
            num_inf = int(bad.sum()) - num_nan
            first = tuple(int(i) for i in np.argwhere(bad)[0])
            windows = np.unique(np.argwhere(bad)[:, 0])
            shown = ", ".join(str(w) for w in windows[:10]) + (", ..." if len(windows) > 10 else "")
            raise ValueError(
                f"`{name}` must be finite. Received: {num_nan} NaN and {num_inf} infinite values in "
                f"{len(windows)} window(s) [{shown}]; first at index (window, time, channel)={first}"
            )
    return array
