"""One entry point for the HAR data sets: `load_har(name, root=...)` returns a `HARData`.

- `"basicmotions"`: the real UEA BasicMotions sample shipped in the aeon wheel, fetched offline
  by `core.data.samples` (no `root` needed).
- `"uci_har"`: the UCI HAR raw inertial windows; `root` is your unpacked `UCI HAR Dataset`.
- `"motionsense"`: MotionSense DeviceMotion; `root` is your unpacked `A_DeviceMotion_data`.

Validation sets are always carved out of the training data, so the test set is never used for
model selection: stratified by class for BasicMotions (its cases carry no subject ids), by
subject for UCI HAR and MotionSense (no subject in both train and validation).
"""

import dataclasses
import os
import pathlib

import numpy as np

from domains.har.data import motionsense as motionsense_lib
from domains.har.data import ucihar as ucihar_lib
from domains.har.data.uea import load_uea_ts

__all__ = [
    "BASICMOTIONS_CHANNELS",
    "BASICMOTIONS_SAMPLING_RATE_HZ",
    "HAR_DATASETS",
    "HARData",
    "load_basicmotions",
    "load_har",
]

HAR_DATASETS = ("basicmotions", "uci_har", "motionsense")
BASICMOTIONS_SAMPLING_RATE_HZ = 10.0
# Dimensions 0-2 are the accelerometer, 3-5 the gyroscope (the archive's description lists them in
# that order; the zero-mean, smaller dimensions 3-5 are the angular rates).
BASICMOTIONS_CHANNELS = ("accel_x", "accel_y", "accel_z", "gyro_x", "gyro_y", "gyro_z")
_BASICMOTIONS_SAMPLES = {"train": "har.basicmotions_train", "test": "har.basicmotions_test"}


@dataclasses.dataclass
class HARData:
    """Windows and labels of one HAR data set, split into train, validation and test.

    All `x_*` arrays are float32 `(windows, time, channels)` (channels last); all `y_*` arrays
    are int64 class indices into `class_names`. `subjects_*` hold the subject id of each window
    when the data set has them (`None` for BasicMotions).

    Args:
        x_train: float32 array. Training windows.
        y_train: int64 array. Training labels.
        x_val: float32 array. Validation windows (taken from the official training data).
        y_val: int64 array. Validation labels.
        x_test: float32 array. Test windows (the official test split).
        y_test: int64 array. Test labels.
        class_names: list of str. Name of each class index.
        sampling_rate_hz: float. Sampling rate of the signals.
        channel_names: list of str. Name of each channel (last axis).
        subjects_train: int64 array or `None`. Subject id of each training window.
        subjects_val: int64 array or `None`. Subject id of each validation window.
        subjects_test: int64 array or `None`. Subject id of each test window.

    Example:
    ```python
    data = load_har("basicmotions")
    data.x_train.shape, data.num_classes, data.channel_names[:3]
    # ((32, 100, 6), 4, ['accel_x', 'accel_y', 'accel_z'])
    ```
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: list
    sampling_rate_hz: float
    channel_names: list
    subjects_train: np.ndarray = None
    subjects_val: np.ndarray = None
    subjects_test: np.ndarray = None

    @property
    def num_classes(self):
        """Number of classes."""
        return len(self.class_names)

    @property
    def num_channels(self):
        """Number of channels (last axis of the windows)."""
        return len(self.channel_names)

    @property
    def window_length(self):
        """Number of time steps per window."""
        return int(self.x_train.shape[1])


def load_basicmotions(val_fraction=0.2, seed=0, root=None):
    """Load the real UEA BasicMotions sample (smartwatch accelerometer + gyroscope, 10 Hz).

    40 training and 40 test cases of 100 time steps x 6 channels, 4 balanced classes (Standing,
    Running, Walking, Badminton, in the header's order). The validation set is a stratified
    `val_fraction` of the training cases (scikit-learn `train_test_split`); the test set is the
    archive's own test file.

    Args:
        val_fraction: float in `[0, 1)`. Fraction of the training cases held out for validation;
            `0` gives empty validation arrays. Defaults to `0.2`.
        seed: int. Seed of the validation split. Defaults to `0`.
        root: str, `os.PathLike` or `None`. A folder holding `BasicMotions_TRAIN.ts` and
            `BasicMotions_TEST.ts`; `None` fetches them with
            `core.data.samples.fetch("har.basicmotions_train" / "har.basicmotions_test")` (from
            the aeon 1.6.0 wheel on PyPI, once, into the resuite cache). Defaults to `None`.

    Returns:
        A `HARData`.

    Example:
    ```python
    data = load_basicmotions(val_fraction=0.2, seed=0)
    data.x_train.shape, data.x_val.shape, data.x_test.shape   # (32, 100, 6) (8, 100, 6) (40, 100, 6)
    ```
    """
    _check_fraction(val_fraction)
    paths = {}
    for subset, sample in _BASICMOTIONS_SAMPLES.items():
        if root is None:
            from core.data import samples

            paths[subset] = samples.fetch(sample, verbose=False)
        else:
            paths[subset] = _existing_folder(root, "basicmotions") / f"BasicMotions_{subset.upper()}.ts"
    x_train, y_train, class_names = load_uea_ts(paths["train"])
    x_test, y_test, test_class_names = load_uea_ts(paths["test"])
    if test_class_names != class_names:
        raise ValueError(
            f"BasicMotions train and test files declare different classes: {class_names} in {paths['train']}. "
            f"Received: {test_class_names} in {paths['test']}"
        )
    train, val = _stratified_split(y_train, val_fraction, seed)
    return HARData(
        x_train=x_train[train], y_train=y_train[train],
        x_val=x_train[val], y_val=y_train[val],
        x_test=x_test, y_test=y_test,
        class_names=list(class_names),
        sampling_rate_hz=BASICMOTIONS_SAMPLING_RATE_HZ,
        channel_names=list(BASICMOTIONS_CHANNELS),
    )


def load_har(name, root=None, val_fraction=0.2, seed=0, **loader_kwargs):
    """Load a HAR data set by name, split into train / validation / test.

    - `"basicmotions"`: the real sample (see `load_basicmotions`); `root` is optional.
    - `"uci_har"`: `root` is the unpacked UCI HAR folder (https://archive.ics.uci.edu/dataset/240).
      Train and test are the official subject-wise splits (7,352 / 2,947 windows of 128 x 9).
    - `"motionsense"`: `root` is the unpacked MotionSense DeviceMotion folder
      (https://github.com/mmalekzadeh/motion-sense). The test set is the subjects
      `MOTIONSENSE_TEST_SUBJECTS` (20-24); `loader_kwargs` go to `load_motionsense`
      (`channels`, `window`, `overlap`).

    For UCI HAR and MotionSense the validation set is `val_fraction` of the training *subjects*
    (scikit-learn `GroupShuffleSplit`), so no subject is in two splits.

    Args:
        name: str. One of `"basicmotions"`, `"uci_har"`, `"motionsense"`.
        root: str, `os.PathLike` or `None`. Folder of your hand-downloaded copy; required for
            `"uci_har"` and `"motionsense"`. Defaults to `None`.
        val_fraction: float in `[0, 1)`. Fraction held out of the training data for validation.
            Defaults to `0.2`.
        seed: int. Seed of the validation split. Defaults to `0`.
        **loader_kwargs: extra arguments of `load_motionsense` (MotionSense only).

    Returns:
        A `HARData`.

    Raises:
        ValueError: unknown `name`, `root` missing where it is required, or bad arguments.
        FileNotFoundError: `root` does not exist or lacks a file of the expected layout.

    Example:
    ```python
    data = load_har("basicmotions")
    data = load_har("uci_har", root="~/data/UCI HAR Dataset")
    data = load_har("motionsense", root="~/data/motion-sense/data", channels="all")
    ```
    """
    if name not in HAR_DATASETS:
        raise ValueError(f"Unknown HAR data set; expected one of {list(HAR_DATASETS)}. Received: name={name!r}")
    if loader_kwargs and name != "motionsense":
        raise TypeError(f"load_har({name!r}) takes no loader arguments. Received: {sorted(loader_kwargs)}")
    _check_fraction(val_fraction)
    if name == "basicmotions":
        return load_basicmotions(val_fraction=val_fraction, seed=seed, root=root)
    folder = _existing_folder(root, name)
    if name == "uci_har":
        x_train, y_train, s_train = ucihar_lib.load_uci_har(folder, "train")
        x_test, y_test, s_test = ucihar_lib.load_uci_har(folder, "test")
        class_names = ucihar_lib.read_activity_labels(folder)
        channel_names = list(ucihar_lib.UCI_HAR_CHANNELS)
        rate = ucihar_lib.UCI_HAR_SAMPLING_RATE_HZ
    else:
        x, y, subjects = motionsense_lib.load_motionsense(folder, **loader_kwargs)
        train, test = motionsense_lib._fixed_test_split(subjects, where=folder)
        x_train, y_train, s_train = x[train], y[train], subjects[train]
        x_test, y_test, s_test = x[test], y[test], subjects[test]
        class_names = list(motionsense_lib.MOTIONSENSE_CLASS_NAMES)
        channels = loader_kwargs.get("channels", motionsense_lib.MOTIONSENSE_ACCEL_GYRO_CHANNELS)
        channel_names = list(motionsense_lib.MOTIONSENSE_ALL_CHANNELS if isinstance(channels, str) else channels)
        rate = motionsense_lib.MOTIONSENSE_SAMPLING_RATE_HZ
    train, val = _subject_split(s_train, val_fraction, seed)
    return HARData(
        x_train=x_train[train], y_train=y_train[train],
        x_val=x_train[val], y_val=y_train[val],
        x_test=x_test, y_test=y_test,
        class_names=list(class_names),
        sampling_rate_hz=rate,
        channel_names=channel_names,
        subjects_train=s_train[train], subjects_val=s_train[val], subjects_test=s_test,
    )


def _existing_folder(root, name):
    """`root` as a Path, or a clear error naming the layout and the download page."""
    layouts = {
        "uci_har": (ucihar_lib.UCI_HAR_LAYOUT, ucihar_lib.UCI_HAR_URL),
        "motionsense": (motionsense_lib.MOTIONSENSE_LAYOUT, motionsense_lib.MOTIONSENSE_URL),
        "basicmotions": ("BasicMotions_TRAIN.ts, BasicMotions_TEST.ts", "the aeon 1.6.0 wheel on PyPI"),
    }
    layout, url = layouts[name]
    if root is None:
        raise ValueError(
            f"load_har({name!r}) needs `root`, the folder of your hand-downloaded copy (resuite never "
            f"downloads it; get it from {url}). Expected this layout:\n{layout}\nReceived: root=None"
        )
    folder = pathlib.Path(os.fspath(root)).expanduser()
    if not folder.is_dir():
        raise FileNotFoundError(
            f"{name} folder not found: {folder}. Download the data set from {url} and unpack it; "
            f"expected this layout:\n{layout}"
        )
    return folder


def _check_fraction(val_fraction):
    if not 0 <= val_fraction < 1:
        raise ValueError(f"`val_fraction` must be in [0, 1). Received: val_fraction={val_fraction!r}")


def _stratified_split(y, val_fraction, seed):
    _check_fraction(val_fraction)
    index = np.arange(len(y))
    if val_fraction == 0:
        return index, index[:0]
    from sklearn.model_selection import train_test_split

    train, val = train_test_split(index, test_size=val_fraction, stratify=y, random_state=seed)
    return np.sort(train), np.sort(val)


def _subject_split(subjects, val_fraction, seed):
    _check_fraction(val_fraction)
    index = np.arange(len(subjects))
    if val_fraction == 0:
        return index, index[:0]
    return motionsense_lib.split_by_subject(subjects, test_fraction=val_fraction, seed=seed)
