"""Loader for the MotionSense DeviceMotion data (Malekzadeh et al., IoTDI 2019).

24 subjects carried an iPhone 6s in the front trouser pocket and performed 6 activities in 15
trials, recorded at 50 Hz. The data set is downloaded by hand from
https://github.com/mmalekzadeh/motion-sense (`data/A_DeviceMotion_data.zip`). Unpacked, it reads:

```
A_DeviceMotion_data/
    A_DeviceMotion_data/          (the zip's own folder; a single level is accepted too)
        dws_1/ dws_2/ dws_11/     downstairs
        ups_3/ ups_4/ ups_12/     upstairs
        wlk_7/ wlk_8/ wlk_15/     walking
        jog_9/ jog_16/            jogging
        sit_5/ sit_13/            sitting
        std_6/ std_14/            standing
            sub_1.csv ... sub_24.csv
```

Each CSV has a header with an unnamed index column followed by 12 channels:
`,attitude.roll,attitude.pitch,attitude.yaw,gravity.x,gravity.y,gravity.z,rotationRate.x,
rotationRate.y,rotationRate.z,userAcceleration.x,userAcceleration.y,userAcceleration.z`.
Attitude is in rad, gravity and user acceleration in g, rotation rate in rad/s.

The paper's windowing for this set is not published (docs/papers.md §4); this loader cuts each
(trial, subject) recording on its own into windows of `window` samples with the given overlap,
so that no window spans two recordings.
"""

import os
import pathlib
import re

import numpy as np

__all__ = [
    "MOTIONSENSE_ACCEL_GYRO_CHANNELS",
    "MOTIONSENSE_ALL_CHANNELS",
    "MOTIONSENSE_CLASS_NAMES",
    "MOTIONSENSE_SAMPLING_RATE_HZ",
    "MOTIONSENSE_TEST_SUBJECTS",
    "MOTIONSENSE_URL",
    "load_motionsense",
    "split_by_subject",
]

MOTIONSENSE_URL = "https://github.com/mmalekzadeh/motion-sense"
MOTIONSENSE_SAMPLING_RATE_HZ = 50.0
# Label order: downstairs, upstairs, walking, jogging, sitting, standing.
MOTIONSENSE_CLASS_NAMES = ("dws", "ups", "wlk", "jog", "sit", "std")
MOTIONSENSE_ALL_CHANNELS = (
    "attitude.roll", "attitude.pitch", "attitude.yaw",
    "gravity.x", "gravity.y", "gravity.z",
    "rotationRate.x", "rotationRate.y", "rotationRate.z",
    "userAcceleration.x", "userAcceleration.y", "userAcceleration.z",
)
# Accelerometer (user acceleration) then gyroscope (rotation rate): the 6 channels of FusionActNet.
MOTIONSENSE_ACCEL_GYRO_CHANNELS = (
    "userAcceleration.x", "userAcceleration.y", "userAcceleration.z",
    "rotationRate.x", "rotationRate.y", "rotationRate.z",
)
# The fixed subject-wise test split used by `load_har("motionsense")` and the TFDS builder:
# the last 5 of the 24 subjects (about 21 %), so no subject is in both train and test.
MOTIONSENSE_TEST_SUBJECTS = (20, 21, 22, 23, 24)

_FOLDER = "A_DeviceMotion_data"
_TRIAL_RE = re.compile(r"^(dws|ups|wlk|jog|sit|std)_(\d+)$")
_SUBJECT_RE = re.compile(r"^sub_(\d+)\.csv$")

MOTIONSENSE_LAYOUT = f"""\
{_FOLDER}/{_FOLDER}/<activity>_<trial>/sub_<k>.csv
    <activity> in dws ups wlk jog sit std, e.g. dws_1/ ups_3/ wlk_7/ jog_9/ sit_5/ std_6/
    CSV header: ,{','.join(MOTIONSENSE_ALL_CHANNELS)}
(download: {MOTIONSENSE_URL}, file data/A_DeviceMotion_data.zip, unpacked)"""


def load_motionsense(root, channels=MOTIONSENSE_ACCEL_GYRO_CHANNELS, window=128, overlap=0.5):
    """Load MotionSense DeviceMotion recordings as labelled sliding windows.

    Args:
        root: str or `os.PathLike`. The folder holding `A_DeviceMotion_data/` (or the
            `A_DeviceMotion_data` folder itself, or the folder of the trial folders).
        channels: sequence of column names, or `"all"` for the 12 channels in file order
            (`MOTIONSENSE_ALL_CHANNELS`). Defaults to `MOTIONSENSE_ACCEL_GYRO_CHANNELS`: user
            acceleration xyz then rotation rate xyz (accelerometer + gyroscope, 6 channels).
        window: int. Samples per window (128 = 2.56 s at 50 Hz). Defaults to `128`.
        overlap: float in `[0, 1)`. Fraction of a window shared by consecutive windows; the hop
            is `round(window * (1 - overlap))`. Defaults to `0.5`.

    Returns:
        A tuple `(x, y, subjects)`: `x` float32 of shape `(windows, window, len(channels))`,
        `y` int64 labels indexing `MOTIONSENSE_CLASS_NAMES`, `subjects` int64 subject ids (1..24).
        Windows come in the order activity, trial, subject, time. Recordings shorter than one
        window give no window.

    Raises:
        FileNotFoundError: no trial folder with CSV files under `root` (names the layout).
        ValueError: bad arguments, a CSV without the expected header or with a non-numeric value
            (names the file and line).

    Example:
    ```python
    x, y, subjects = load_motionsense("~/data/motion-sense/data")
    train, test = split_by_subject(subjects, test_subjects=MOTIONSENSE_TEST_SUBJECTS)
    x[train].shape   # (n_train, 128, 6)
    ```
    """
    channels = _resolve_channels(channels)
    hop = _hop(window, overlap)
    recordings = _find_recordings(root)
    xs, ys, subjects = [], [], []
    for label, subject, file in recordings:
        signal = _read_csv(file, channels)
        starts = range(0, len(signal) - window + 1, hop)
        for start in starts:
            xs.append(signal[start:start + window])
            ys.append(label)
            subjects.append(subject)
    if xs:
        x = np.stack(xs).astype(np.float32)
    else:
        x = np.zeros((0, window, len(channels)), np.float32)
    return x, np.asarray(ys, dtype=np.int64), np.asarray(subjects, dtype=np.int64)


def split_by_subject(subjects, test_subjects=None, test_fraction=0.25, seed=0):
    """Split window indices into train and test so that no subject is in both.

    With `test_subjects` the split is fixed; otherwise scikit-learn's `GroupShuffleSplit` draws
    `test_fraction` of the subjects (rounded up) for the test set.

    Args:
        subjects: 1-D int array. The subject id of every window.
        test_subjects: sequence of int or `None`. Subject ids of the test set. Each must occur
            in `subjects`. Defaults to `None` (random subjects).
        test_fraction: float in `(0, 1)`. Fraction of subjects drawn for the test set when
            `test_subjects` is `None`. Defaults to `0.25`.
        seed: int. Random seed of the draw. Defaults to `0`.

    Returns:
        A tuple `(train_index, test_index)` of sorted int64 index arrays into `subjects`.

    Example:
    ```python
    subjects = np.array([1, 1, 2, 2, 3, 3])
    train, test = split_by_subject(subjects, test_subjects=[3])   # [0 1 2 3], [4 5]
    ```
    """
    subjects = np.asarray(subjects)
    if subjects.ndim != 1 or len(subjects) == 0:
        raise ValueError(f"`subjects` must be a non-empty 1-D array. Received: shape={subjects.shape}")
    present = np.unique(subjects)
    if test_subjects is not None:
        test_subjects = np.asarray(sorted(set(int(s) for s in test_subjects)))
        unknown = np.setdiff1d(test_subjects, present)
        if len(unknown):
            raise ValueError(
                f"`test_subjects` must occur in `subjects` ({present.tolist()}). Received unknown: {unknown.tolist()}"
            )
        if len(test_subjects) == len(present):
            raise ValueError(
                f"`test_subjects` leaves no subject for training. Received: test_subjects={test_subjects.tolist()}"
            )
        is_test = np.isin(subjects, test_subjects)
        return np.flatnonzero(~is_test), np.flatnonzero(is_test)
    if not 0 < test_fraction < 1:
        raise ValueError(f"`test_fraction` must be in (0, 1). Received: test_fraction={test_fraction}")
    if len(present) < 2:
        raise ValueError(f"A subject-wise split needs at least 2 subjects. Received: subjects {present.tolist()}")
    from sklearn.model_selection import GroupShuffleSplit

    splitter = GroupShuffleSplit(n_splits=1, test_size=test_fraction, random_state=seed)
    train, test = next(splitter.split(np.zeros(len(subjects)), groups=subjects))
    return np.sort(train).astype(np.int64), np.sort(test).astype(np.int64)


def _fixed_test_split(subjects, where):
    """`split_by_subject` with the documented test subjects; an error if none of them is present."""
    test_subjects = [s for s in MOTIONSENSE_TEST_SUBJECTS if s in set(np.asarray(subjects).tolist())]
    if not test_subjects:
        raise ValueError(
            f"None of the MotionSense test subjects {list(MOTIONSENSE_TEST_SUBJECTS)} is in {where}. "
            f"Received: subjects {np.unique(subjects).tolist()}"
        )
    return split_by_subject(subjects, test_subjects=test_subjects)


def _resolve_channels(channels):
    if isinstance(channels, str):
        if channels != "all":
            raise ValueError(
                f"`channels` must be 'all' or a sequence of column names. Received: channels={channels!r}"
            )
        return MOTIONSENSE_ALL_CHANNELS
    channels = tuple(channels)
    unknown = [c for c in channels if c not in MOTIONSENSE_ALL_CHANNELS]
    if not channels or unknown or len(set(channels)) != len(channels):
        raise ValueError(
            f"`channels` must be distinct names from {list(MOTIONSENSE_ALL_CHANNELS)}. Received: {list(channels)}"
        )
    return channels


def _hop(window, overlap):
    if not isinstance(window, (int, np.integer)) or window < 1:
        raise ValueError(f"`window` must be a positive integer. Received: window={window!r}")
    if not 0 <= overlap < 1:
        raise ValueError(f"`overlap` must be in [0, 1). Received: overlap={overlap!r}")
    return max(1, int(round(window * (1 - overlap))))


def _trial_root(root):
    """The folder whose children are the `<activity>_<trial>` folders."""
    base = pathlib.Path(os.fspath(root)).expanduser()
    if not base.is_dir():
        raise FileNotFoundError(f"MotionSense folder not found: {base}. Expected this layout:\n{MOTIONSENSE_LAYOUT}")
    for candidate in (base / _FOLDER / _FOLDER, base / _FOLDER, base):
        if candidate.is_dir() and any(_TRIAL_RE.match(p.name) and p.is_dir() for p in candidate.iterdir()):
            return candidate
    raise FileNotFoundError(
        f"No MotionSense trial folders (dws_1, ups_3, ...) under {base}. Expected this layout:\n{MOTIONSENSE_LAYOUT}"
    )


def _find_recordings(root):
    """List `(label, subject, csv path)` sorted by activity, trial number and subject."""
    trial_root = _trial_root(root)
    recordings = []
    for folder in trial_root.iterdir():
        match = _TRIAL_RE.match(folder.name)
        if not match or not folder.is_dir():
            continue
        label = MOTIONSENSE_CLASS_NAMES.index(match.group(1))
        trial = int(match.group(2))
        for file in folder.iterdir():
            sub = _SUBJECT_RE.match(file.name)
            if sub:
                recordings.append((label, trial, int(sub.group(1)), file))
    if not recordings:
        raise FileNotFoundError(
            f"No sub_<k>.csv files in the trial folders of {trial_root}. Expected this layout:\n{MOTIONSENSE_LAYOUT}"
        )
    recordings.sort(key=lambda r: r[:3])
    return [(label, subject, file) for label, _, subject, file in recordings]


def _read_csv(file, channels):
    """Read the requested channels of one recording as float64 `(samples, channels)`."""
    with open(file, encoding="utf-8") as f:
        lines = f.read().splitlines()
    if not lines:
        raise ValueError(f"{file}: empty file. Expected the header ,{','.join(MOTIONSENSE_ALL_CHANNELS)}")
    header = [name.strip().strip('"') for name in lines[0].split(",")]
    missing = [c for c in channels if c not in header]
    if missing:
        raise ValueError(
            f"{file}:1: the header lacks the columns {missing}. Expected ,{','.join(MOTIONSENSE_ALL_CHANNELS)}. "
            f"Received: {lines[0]!r}"
        )
    columns = [header.index(c) for c in channels]
    rows, linenos = [], []
    for lineno, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = line.split(",")
        if len(fields) != len(header):
            raise ValueError(
                f"{file}:{lineno}: expected {len(header)} comma-separated fields like the header. "
                f"Received: {len(fields)} fields"
            )
        try:
            row = [float(fields[c]) for c in columns]
        except ValueError:
            raise ValueError(f"{file}:{lineno}: non-numeric value. Received: {line!r}") from None
        rows.append(row)
        linenos.append(lineno)
    signal = np.asarray(rows, dtype=np.float64).reshape(-1, len(channels))
    bad = ~np.isfinite(signal)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise ValueError(
            f"{file}:{linenos[row]}: non-finite value in column {channels[col]!r}. Received: {signal[row, col]}"
        )
    return signal
