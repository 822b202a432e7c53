"""Windows and votes: long recordings cut into fixed windows, window predictions voted per recording.

HAR recordings are often far longer than a model's window (the watch set's are 19-52 s at 50 Hz).
The HAR practice, done here: cut each recording into windows of `window` steps every `step`
steps (a window never straddles two recordings: each is cut on its own), train and predict on
windows, and give each recording the class of its windows' mean probability (`vote`). Every
window keeps the index of its recording, so the splits stay by recording (and by subject) and the
scores can be given at both levels.

The defaults come from the sampling rate: `DEFAULT_WINDOW_SECONDS` (4 s) windows every half
window (`window_steps`).
"""

import numpy as np

__all__ = ["DEFAULT_WINDOW_SECONDS", "VOTES", "cut_windows", "recording_labels", "vote", "window_steps"]

DEFAULT_WINDOW_SECONDS = 4.0
VOTES = ("mean", "log")


def window_steps(sampling_rate_hz, window_seconds=DEFAULT_WINDOW_SECONDS, step_seconds=None, min_length=1):
    """(window, step) in time steps for a window and step in seconds at `sampling_rate_hz`.

    Args:
        sampling_rate_hz: float > 0. The recordings' sampling rate.
        window_seconds: float > 0. Defaults to `DEFAULT_WINDOW_SECONDS` (4 s).
        step_seconds: float > 0 or `None`. Defaults to `None`: half the window.
        min_length: int. The model's shortest window in steps; a shorter one is an error. Defaults to 1.

    Returns:
        A tuple of two ints `(window, step)`.

    Raises:
        ValueError: a non-positive rate, window or step, or a window shorter than `min_length`.

    Example:
    ```python
    window_steps(50.0)             # (200, 100)
    window_steps(50.0, 6.0, 1.0)   # (300, 50)
    ```
    """
    if not sampling_rate_hz or sampling_rate_hz <= 0:
        raise ValueError(f"Windows in seconds need the sampling rate. Received: sampling_rate_hz={sampling_rate_hz!r}")
    if window_seconds is None or window_seconds <= 0 or (step_seconds is not None and step_seconds <= 0):
        raise ValueError(f"window_seconds and step_seconds must be positive. Received: window_seconds={window_seconds!r}, "
                         f"step_seconds={step_seconds!r}")
    window = int(round(window_seconds * sampling_rate_hz))
    step = max(1, int(round((step_seconds if step_seconds is not None else window_seconds / 2) * sampling_rate_hz)))
    if window < max(min_length, 1):
        raise ValueError(f"A window of {window_seconds} s at {sampling_rate_hz} Hz is {window} steps; the model needs at "
                         f"least {max(min_length, 1)}. Received: window_seconds={window_seconds}")
    return window, step


def cut_windows(series, labels, window, step):
    """Cut each recording into windows of `window` steps every `step` steps.

    A recording is cut on its own, so no window holds steps of two recordings. Its windows start
    at 0, `step`, 2 `step`, ... while they fit; a recording shorter than one window gives one
    window, zero-padded after its end.

    Args:
        series: list of `(time_i, channels)` arrays, one per recording.
        labels: int array `(recordings,)`. The class of each recording.
        window: int >= 1. Time steps per window.
        step: int >= 1. Steps between the starts of neighbouring windows.

    Returns:
        A tuple `(x, y, recording)`: float32 `(windows, window, channels)`, int64 `(windows,)`
        labels, and int64 `(windows,)` the index into `series` of each window's recording.

    Raises:
        ValueError: bad `window` or `step`, no recordings, or `labels` of another length.

    Example:
    ```python
    x, y, recording = cut_windows([np.zeros((10, 2)), np.ones((6, 2))], np.array([0, 1]), 4, 2)
    x.shape, recording   # (6, 4, 2) [0 0 0 0 1 1]
    ```
    """
    if int(window) != window or window < 1 or int(step) != step or step < 1:
        raise ValueError(f"window and step must be positive integers. Received: window={window!r}, step={step!r}")
    labels = np.asarray(labels, dtype=np.int64)
    if len(series) == 0 or len(labels) != len(series):
        raise ValueError(f"cut_windows needs one label per recording and at least one recording. "
                         f"Received: {len(series)} recordings, {len(labels)} labels")
    xs, ys, recordings = [], [], []
    for index, s in enumerate(series):
        s = np.asarray(s, dtype=np.float32)
        if len(s) < window:
            padded = np.zeros((window, s.shape[1]), np.float32)
            padded[: len(s)] = s
            windows = padded[None]
        else:
            starts = np.arange(0, len(s) - window + 1, step)
            windows = np.stack([s[start:start + window] for start in starts])
        xs.append(windows)
        ys.append(np.full(len(windows), labels[index], np.int64))
        recordings.append(np.full(len(windows), index, np.int64))
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(recordings)


def vote(probabilities, recording, method="mean"):
    """Mean class probability of each recording's windows (or their mean log-probability).

    Args:
        probabilities: float array `(windows, classes)`.
        recording: int array `(windows,)`. The recording of each window.
        method: "mean" (the mean probability) or "log" (the mean log-probability, i.e. the
            normalised geometric mean, whose class order is that of the product of the windows' probabilities, as for
            independent windows; one confident window against a class weighs more). Defaults
            to "mean".

    Returns:
        A tuple `(recordings, mean)`: the sorted distinct recording ids and the float64
        `(recordings, classes)` voted probabilities of their windows, row for row (rows sum to one).

    Example:
    ```python
    ids, mean = vote(np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6]]), np.array([3, 3, 5]))
    ids, mean   # [3 5] [[0.55 0.45] [0.4 0.6]]
    ```
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    recording = np.asarray(recording)
    if probabilities.ndim != 2 or len(probabilities) != len(recording):
        raise ValueError(f"vote needs (windows, classes) probabilities and one recording per window. "
                         f"Received: probabilities.shape={probabilities.shape}, {len(recording)} recordings")
    if method not in VOTES:
        raise ValueError(f"vote method must be one of {VOTES}. Received: method={method!r}")
    ids, inverse = np.unique(recording, return_inverse=True)
    values = np.log(np.clip(probabilities, 1e-12, None)) if method == "log" else probabilities
    sums = np.zeros((len(ids), probabilities.shape[1]))
    np.add.at(sums, inverse, values)
    mean = sums / np.bincount(inverse, minlength=len(ids))[:, None]
    if method == "log":
        mean = np.exp(mean - mean.max(axis=1, keepdims=True))
        mean /= mean.sum(axis=1, keepdims=True)
    return ids, mean


def recording_labels(y, recording):
    """The class of each recording (sorted ids, as `vote`), checked to be the same for all its windows.

    Args:
        y: int array `(windows,)`.
        recording: int array `(windows,)`.

    Returns:
        int64 array `(recordings,)`.

    Raises:
        ValueError: a recording whose windows carry two labels.

    Example:
    ```python
    recording_labels(np.array([1, 1, 0]), np.array([3, 3, 5]))   # [1 0]
    ```
    """
    y, recording = np.asarray(y, dtype=np.int64), np.asarray(recording)
    ids, first = np.unique(recording, return_index=True)
    labels = y[first]
    mixed = [int(r) for r, label in zip(ids, labels) if np.any(y[recording == r] != label)]
    if mixed:
        raise ValueError(f"Each recording has one class. Received: recordings {mixed[:5]} with windows of several")
    return labels
