"""One window length for series of any length: linear resampling or zero padding.

The HAR models take windows of one length. A UEA/UCR set of variable-length series, a set
shorter than a model's shortest window, or windows recorded at another length than a trained
model's are brought to one length here, in one of two documented ways:

- `"resample"`: each channel is linearly interpolated onto `length` points spread evenly over
  the series' own duration (first and last samples kept). The whole series is kept, at another
  sampling rate.
- `"pad"`: zeros are appended after the end; a series longer than `length` keeps its first
  `length` steps. The sampling rate is kept; the tail of a longer series is lost.
"""

import numpy as np

__all__ = ["RESIZE_METHODS", "describe_lengths", "fit_length"]

RESIZE_METHODS = ("resample", "pad")


def fit_length(series, length, method="resample", name="series"):
    """Bring every series to `length` time steps.

    Args:
        series: a list of `(time_i, channels)` arrays, or one `(windows, time, channels)` array.
        length: int >= 1. The time steps of every output window.
        method: `"resample"` (linear interpolation over the series' duration) or `"pad"` (zeros
            after the end; longer series cut to their first `length` steps). Defaults to
            `"resample"`.
        name: str. Names the input in error messages. Defaults to `"series"`.

    Returns:
        A tuple `(x, changed)`: `x` a float32 `(windows, length, channels)` array (series already
        of `length` steps are copied unchanged), `changed` the number of series that were not.

    Raises:
        ValueError: unknown `method`, `length` < 1, an empty series, or series with different
            numbers of channels.

    Example:
    ```python
    x, changed = fit_length([np.zeros((20, 2)), np.ones((32, 2))], 32, "resample")
    x.shape, changed   # (2, 32, 2) 1
    ```
    """
    if method not in RESIZE_METHODS:
        raise ValueError(f"`method` must be one of {list(RESIZE_METHODS)}. Received: method={method!r}")
    if int(length) != length or length < 1:
        raise ValueError(f"`length` must be a positive integer. Received: length={length!r}")
    series = [np.asarray(s, dtype=np.float32) for s in series]
    channels = {s.shape[-1] for s in series}
    if len(channels) > 1 or any(s.ndim != 2 or len(s) == 0 for s in series):
        raise ValueError(f"`{name}` must be non-empty (time, channels) series with one channel count. "
                         f"Received: shapes {sorted({s.shape for s in series})}")
    out = np.zeros((len(series), int(length), channels.pop() if channels else 0), np.float32)
    changed = 0
    for i, s in enumerate(series):
        if len(s) == length:
            out[i] = s
            continue
        changed += 1
        if method == "pad":
            kept = min(len(s), length)
            out[i, :kept] = s[:kept]
        elif len(s) == 1:
            out[i] = s[0]
        else:
            old = np.linspace(0.0, 1.0, len(s))
            new = np.linspace(0.0, 1.0, int(length))
            out[i] = np.stack([np.interp(new, old, s[:, c]) for c in range(s.shape[1])], axis=1)
    return out, changed


def describe_lengths(lengths):
    """`"100"` or `"18-30"`: the range of a list of series lengths."""
    low, high = min(lengths), max(lengths)
    return f"{low}" if low == high else f"{low}-{high}"
