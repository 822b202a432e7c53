"""Loader for the raw inertial windows of the UCI HAR data set (Anguita et al., ESANN 2013).

The data set is downloaded by hand from https://archive.ics.uci.edu/dataset/240 (the zip holds a
second zip, `UCI HAR Dataset.zip`; unpack both). This module reads the unpacked folder:

```
UCI HAR Dataset/
    activity_labels.txt                 "1 WALKING" ... "6 LAYING"
    train/
        y_train.txt                     one label (1..6) per window
        subject_train.txt               one subject id (1..30) per window
        Inertial Signals/
            body_acc_x_train.txt        one window per row: 128 values separated by spaces
            body_acc_y_train.txt   body_acc_z_train.txt
            body_gyro_x_train.txt  body_gyro_y_train.txt  body_gyro_z_train.txt
            total_acc_x_train.txt  total_acc_y_train.txt  total_acc_z_train.txt
    test/                               the same with `_test`
```

Windows are 2.56 s at 50 Hz (128 samples) with 50 % overlap; acceleration is in g, angular
velocity in rad/s. The 561-feature `X_*.txt` files are not used.
"""

import os
import pathlib

import numpy as np

__all__ = [
    "UCI_HAR_CHANNELS",
    "UCI_HAR_CLASS_NAMES",
    "UCI_HAR_SAMPLING_RATE_HZ",
    "UCI_HAR_URL",
    "UCI_HAR_WINDOW",
    "load_uci_har",
    "read_activity_labels",
]

UCI_HAR_URL = "https://archive.ics.uci.edu/dataset/240"
UCI_HAR_SAMPLING_RATE_HZ = 50.0
UCI_HAR_WINDOW = 128
UCI_HAR_CLASS_NAMES = ("WALKING", "WALKING_UPSTAIRS", "WALKING_DOWNSTAIRS", "SITTING", "STANDING", "LAYING")
# The official channel order (and that of the FusionActNet notebooks).
UCI_HAR_CHANNELS = tuple(
    f"{signal}_{axis}" for signal in ("body_acc", "body_gyro", "total_acc") for axis in ("x", "y", "z")
)
_FOLDER = "UCI HAR Dataset"
_SUBSETS = ("train", "test")

UCI_HAR_LAYOUT = f"""\
{_FOLDER}/
    activity_labels.txt
    train/y_train.txt, train/subject_train.txt
    train/Inertial Signals/{{body_acc,body_gyro,total_acc}}_{{x,y,z}}_train.txt
    test/y_test.txt, test/subject_test.txt
    test/Inertial Signals/{{body_acc,body_gyro,total_acc}}_{{x,y,z}}_test.txt
(download: {UCI_HAR_URL}, unpack the zip and the `{_FOLDER}.zip` inside it)"""


def load_uci_har(root, subset):
    """Load the raw inertial windows of one UCI HAR subset.

    Args:
        root: str or `os.PathLike`. The unpacked `UCI HAR Dataset` folder, or the folder that
            contains it.
        subset: str. `"train"` (7,352 windows, 21 subjects) or `"test"` (2,947 windows, 9 subjects).

    Returns:
        A tuple `(x, y, subjects)`: `x` is a float32 array of shape `(windows, 128, 9)`, channels
        last in the official order `body_acc_{x,y,z}, body_gyro_{x,y,z}, total_acc_{x,y,z}`
        (`UCI_HAR_CHANNELS`); `y` is an int64 array of labels `0..5` (the file's `1..6` minus one,
        names in `UCI_HAR_CLASS_NAMES`); `subjects` is an int64 array of subject ids.

    Raises:
        FileNotFoundError: a file of the layout is missing; the message names it and the layout.
        ValueError: a row does not hold 128 numbers (names the file and line), the files disagree
            on the number of windows (names both files and counts), or a label is outside `1..6`.

    Example:
    ```python
    x, y, subjects = load_uci_har("~/data/UCI HAR Dataset", "train")
    x.shape   # (7352, 128, 9)
    ```
    """
    if subset not in _SUBSETS:
        raise ValueError(f"`subset` must be 'train' or 'test'. Received: subset={subset!r}")
    base = _resolve_root(root)
    folder = base / subset
    signal_files = [folder / "Inertial Signals" / f"{channel}_{subset}.txt" for channel in UCI_HAR_CHANNELS]
    label_file = folder / f"y_{subset}.txt"
    subject_file = folder / f"subject_{subset}.txt"
    for file in [base / "activity_labels.txt", label_file, subject_file, *signal_files]:
        _require(file)

    num_classes = len(read_activity_labels(base))
    y = _read_integers(label_file, low=1, high=num_classes) - 1
    subjects = _read_integers(subject_file, low=1, high=None)
    _check_count(subject_file, len(subjects), label_file, len(y))
    channels = []
    for file in signal_files:
        rows = _read_windows(file)
        _check_count(file, len(rows), label_file, len(y))
        channels.append(rows)
    x = np.stack(channels, axis=-1).astype(np.float32)
    return x, y, subjects


def read_activity_labels(root):
    """Read `activity_labels.txt`: the class names in label order.

    Args:
        root: str or `os.PathLike`. The unpacked `UCI HAR Dataset` folder, or the folder that
            contains it.

    Returns:
        A list of class names; name `i` belongs to label `i` of `load_uci_har` (file id `i + 1`).

    Example:
    ```python
    read_activity_labels("~/data/UCI HAR Dataset")   # ['WALKING', ..., 'LAYING']
    ```
    """
    base = _resolve_root(root)
    file = _require(base / "activity_labels.txt")
    names = []
    for lineno, line in enumerate(file.read_text().splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 2 or not parts[0].isdigit():
            raise ValueError(f"{file}:{lineno}: expected `<id> <NAME>`. Received: {line!r}")
        if int(parts[0]) != len(names) + 1:
            raise ValueError(
                f"{file}:{lineno}: activity ids must count up from 1; expected {len(names) + 1}. Received: {parts[0]}"
            )
        names.append(parts[1])
    if not names:
        raise ValueError(f"{file}: no activity labels. Expected one `<id> <NAME>` line per class.")
    return names


def _resolve_root(root):
    base = pathlib.Path(os.fspath(root)).expanduser()
    if (base / _FOLDER).is_dir():
        base = base / _FOLDER
    if not base.is_dir():
        raise FileNotFoundError(
            f"UCI HAR folder not found: {base}. Expected this layout:\n{UCI_HAR_LAYOUT}"
        )
    return base


def _require(file):
    if not file.is_file():
        raise FileNotFoundError(f"UCI HAR file not found: {file}. Expected this layout:\n{UCI_HAR_LAYOUT}")
    return file


def _check_count(file, count, reference_file, reference_count):
    if count != reference_count:
        raise ValueError(
            f"UCI HAR files disagree on the number of windows: {file} has {count} rows but "
            f"{reference_file} has {reference_count}. Received: {count} != {reference_count}"
        )


def _lines(file):
    """Lines of a text file without the trailing empty ones."""
    lines = file.read_text().splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def _read_windows(file):
    """Read a signal file: one window of `UCI_HAR_WINDOW` numbers per line."""
    lines = _lines(file)
    tokens = []
    for lineno, line in enumerate(lines, start=1):
        parts = line.split()
        if len(parts) != UCI_HAR_WINDOW:
            raise ValueError(
                f"{file}:{lineno}: expected {UCI_HAR_WINDOW} values per row. Received: {len(parts)} values"
            )
        tokens.extend(parts)
    try:
        values = np.asarray(tokens, dtype=np.float64)
    except ValueError:
        for index, token in enumerate(tokens):
            try:
                float(token)
            except ValueError:
                lineno = index // UCI_HAR_WINDOW + 1
                raise ValueError(f"{file}:{lineno}: non-numeric value. Received: {token!r}") from None
        raise
    values = values.reshape(len(lines), UCI_HAR_WINDOW)
    bad = ~np.isfinite(values)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise ValueError(f"{file}:{row + 1}: non-finite value at position {col}. Received: {values[row, col]}")
    return values


def _read_integers(file, low, high):
    """Read one integer per line, checking `low <= value <= high` (no upper bound when `high` is None)."""
    values = []
    for lineno, line in enumerate(_lines(file), start=1):
        text = line.strip()
        try:
            value = int(text)
        except ValueError:
            raise ValueError(f"{file}:{lineno}: expected one integer per line. Received: {line!r}") from None
        if value < low or (high is not None and value > high):
            expected = f"{low}..{high}" if high is not None else f">= {low}"
            raise ValueError(f"{file}:{lineno}: value out of range, expected {expected}. Received: {value}")
        values.append(value)
    return np.asarray(values, dtype=np.int64)
