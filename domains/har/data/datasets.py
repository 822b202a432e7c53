"""One entry point for the HAR data sets: `load_har(name, root=...)` returns a `HARData`.

- `"basicmotions"`: the real UEA BasicMotions sample shipped in the aeon wheel, fetched offline
  by `core.data.samples` (no `root` needed).
- `"pickupgesture"`: the real UCR PickupGestureWiimoteZ sample of the same wheel (univariate,
  variable length: the UEA path's length handling on real data; no `root` needed).
- `"uea"`: any UEA/UCR classification set; `root` is its `<Name>_TRAIN.ts` file or the folder
  holding `<Name>_TRAIN.ts` and `<Name>_TEST.ts` (any channels, lengths and classes).
- `"uci_har"`: the UCI HAR raw inertial windows; `root` is your unpacked `UCI HAR Dataset`.
- `"motionsense"`: MotionSense DeviceMotion; `root` is your unpacked `A_DeviceMotion_data`.
- `"watch"`: the real smartwatch shoulder-exercise recordings of seglearn's wheel (sample
  `har.watch`; 10 subjects, 6 channels at 50 Hz, 19-52 s each), cut into windows and voted per
  recording (`domains.har.data.windows`); test subjects 8-10.

Long recordings (`"watch"` by default; a UEA set with `window_seconds`) are cut into windows of
`window_seconds` every `step_seconds`; every window keeps its recording (`HARData.recordings_*`),
the splits are made on recordings (by subject where the set says who) before cutting, and the
reports vote the windows per recording.

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
from domains.har.data.lengths import RESIZE_METHODS, describe_lengths, fit_length
from domains.har.data import watch as watch_lib
from domains.har.data import windows as windows_lib
from domains.har.data.uea import load_uea_series

__all__ = [
    "BASICMOTIONS_CHANNELS",
    "BASICMOTIONS_SAMPLING_RATE_HZ",
    "HAR_DATASETS",
    "HARData",
    "find_uea_files",
    "load_basicmotions",
    "load_har",
    "load_uea",
    "load_watch_set",
    "windowed_data",
]

HAR_DATASETS = ("basicmotions", "pickupgesture", "uea", "uci_har", "motionsense", "watch")
BASICMOTIONS_SAMPLING_RATE_HZ = 10.0
# Dimensions 0-2 are the accelerometer, 3-5 the gyroscope (the archive's description lists them in
# that order; the zero-mean, smaller dimensions 3-5 are the angular rates).
BASICMOTIONS_CHANNELS = ("accel_x", "accel_y", "accel_z", "gyro_x", "gyro_y", "gyro_z")
# The real UEA/UCR samples that `load_har` reads by name: (train, test) sample and the files' set name.
_SAMPLE_SETS = {
    "basicmotions": (("har.basicmotions_train", "har.basicmotions_test"), "BasicMotions"),
    "pickupgesture": (("har.pickupgesture_train", "har.pickupgesture_test"), "PickupGestureWiimoteZ"),
}
# What the .ts files do not say, for the UEA sets whose description we know: channels, rate.
_KNOWN_UEA_SETS = {"basicmotions": (BASICMOTIONS_CHANNELS, BASICMOTIONS_SAMPLING_RATE_HZ)}
_LENGTH_KWARGS = {"window_length", "min_length", "resize", "window_seconds", "step_seconds", "sampling_rate_hz"}
_TS_LAYOUT = "<Name>_TRAIN.ts and <Name>_TEST.ts (the UEA/UCR archive's layout, one folder per set)"


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
        sampling_rate_hz: float or `None`. Sampling rate of the signals (`None`: unknown, as for
            most UEA/UCR sets).
        channel_names: list of str. Name of each channel (last axis).
        subjects_train: int64 array or `None`. Subject id of each training window.
        subjects_val: int64 array or `None`. Subject id of each validation window.
        subjects_test: int64 array or `None`. Subject id of each test window.
        name: str or `None`. The data set's name (a UEA set's: its file name before `_TRAIN.ts`).
        preprocessing: str. What was done to the series to give them one length ("" if nothing).
        recordings_train: int64 array or `None`. The recording each training window was cut from
            (`None`: every window is a whole recording).
        recordings_val: int64 array or `None`. The same for the validation windows.
        recordings_test: int64 array or `None`. The same for the test windows (the reports vote
            the windows of each test recording, `domains.har.data.windows.vote`).

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
    name: str = None
    preprocessing: str = ""
    recordings_train: np.ndarray = None
    recordings_val: np.ndarray = None
    recordings_test: np.ndarray = None

    @property
    def windowed(self):
        """True when the windows were cut from longer recordings (`recordings_*` set)."""
        return self.recordings_test is not None

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


def load_basicmotions(val_fraction=0.2, seed=0, root=None, **length_kwargs):
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
        **length_kwargs: `window_length`, `min_length`, `resize` of `load_uea`.

    Returns:
        A `HARData`.

    Example:
    ```python
    data = load_basicmotions(val_fraction=0.2, seed=0)
    data.x_train.shape, data.x_val.shape, data.x_test.shape   # (32, 100, 6) (8, 100, 6) (40, 100, 6)
    ```
    """
    return _load_sample_set("basicmotions", val_fraction, seed, root, **length_kwargs)


def _load_sample_set(name, val_fraction=0.2, seed=0, root=None, **length_kwargs):
    """A real UEA/UCR sample of `_SAMPLE_SETS`: fetched, or read from `root` (a folder of its two files)."""
    names, set_name = _SAMPLE_SETS[name]
    if root is None:
        from core.data import samples

        paths = [samples.fetch(sample, verbose=False) for sample in names]
    else:
        folder = _existing_folder(root, name)
        paths = [folder / f"{set_name}_{subset}.ts" for subset in ("TRAIN", "TEST")]
    return _load_uea_files(*map(pathlib.Path, paths), val_fraction=val_fraction, seed=seed, **length_kwargs)


def find_uea_files(root):
    """The `(train, test)` `.ts` paths of a UEA/UCR set: `root` is the `_TRAIN.ts` file or its folder.

    Args:
        root: str or `os.PathLike`. A `<Name>_TRAIN.ts` file (its `<Name>_TEST.ts` beside it), or
            a folder holding exactly one `*_TRAIN.ts` and its `_TEST.ts`.

    Returns:
        A tuple of two `pathlib.Path`.

    Raises:
        FileNotFoundError: `root`, the training or the test file does not exist.
        ValueError: `root` is a file not named `*_TRAIN.ts`, or a folder with several sets.

    Example:
    ```python
    find_uea_files("~/data/Univariate_ts/GunPoint")   # (.../GunPoint_TRAIN.ts, .../GunPoint_TEST.ts)
    ```
    """
    root = pathlib.Path(os.fspath(root)).expanduser()
    if root.is_dir():
        found = sorted(root.glob("*_TRAIN.ts"))
        if not found:
            raise FileNotFoundError(f"{root}: no *_TRAIN.ts file. Expected {_TS_LAYOUT}.")
        if len(found) > 1:
            raise ValueError(f"{root} holds several UEA sets; give the _TRAIN.ts file of one. "
                             f"Received: {', '.join(p.name for p in found)}")
        train = found[0]
    elif root.is_file():
        if not root.name.endswith("_TRAIN.ts"):
            raise ValueError(f"Expected a <Name>_TRAIN.ts file (its _TEST.ts beside it) or their folder. Received: {root}")
        train = root
    else:
        raise FileNotFoundError(f"UEA set not found: {root}. Expected a <Name>_TRAIN.ts file or a folder of {_TS_LAYOUT}.")
    test = train.with_name(train.name[: -len("_TRAIN.ts")] + "_TEST.ts")
    if not test.is_file():
        raise FileNotFoundError(f"{test}: the test file of {train.name} is missing. Expected {_TS_LAYOUT}.")
    return train, test


def load_uea(root, val_fraction=0.2, seed=0, window_length=None, min_length=1, resize="resample", window_seconds=None,
             step_seconds=None, sampling_rate_hz=None):
    """Load any UEA/UCR classification set: any channels, lengths and classes, named from the file.

    The class names and their order are the training file's `@classLabel` line (the test file
    must declare the same). Series of another length than the window are brought to it by
    `fit_length` (`resize`): linear resampling over the series' duration (the default) or zero
    padding after the end (longer series keep their first steps). The window is `window_length`,
    or else the longest *training* series, and never shorter than `min_length` (a model's
    shortest input, e.g. 32 for FusionActNet). `HARData.preprocessing` says what was done.
    The validation set is a stratified `val_fraction` of the training cases (unstratified when a
    class has too few cases to stratify), the test set is the `_TEST.ts` file.

    Args:
        root: str or `os.PathLike`. The `<Name>_TRAIN.ts` file or its folder (`find_uea_files`).
        val_fraction: float in `[0, 1)`. Defaults to `0.2`.
        seed: int. Seed of the validation split. Defaults to `0`.
        window_length: int or `None`. Time steps of every window. Defaults to `None`.
        min_length: int. The shortest window allowed when `window_length` is `None`. Defaults to 1.
        resize: `"resample"` or `"pad"`. Defaults to `"resample"`.
        window_seconds: float or `None`. Cut each series into windows of this length instead
            (`windowed_data`: split by series first, windows voted per series by the report).
            Defaults to `None` (whole series).
        step_seconds: float or `None`. Between window starts. Defaults to half a window.
        sampling_rate_hz: float or `None`. The series' rate, needed for windows of a set whose
            rate is not known (BasicMotions': 10 Hz). Defaults to `None`.

    Returns:
        A `HARData` (`name` is the set's name, channels `dim_0`, `dim_1`, ... unless known).

    Raises:
        FileNotFoundError, ValueError: see `find_uea_files` and `load_uea_series`; train and test
            files declaring different classes or channel counts; bad `window_length` or `resize`.

    Example:
    ```python
    data = load_uea("~/data/PickupGestureWiimoteZ", min_length=32)
    data.x_train.shape   # (40, 361, 1)
    data.preprocessing   # 'series of 29-361 (train) and 37-324 (test) steps resampled (linear interpolation) to 361 ...'
    ```
    """
    return _load_uea_files(*find_uea_files(root), val_fraction, seed, window_length, min_length, resize,
                           window_seconds, step_seconds, sampling_rate_hz)


def _load_uea_files(train_path, test_path, val_fraction=0.2, seed=0, window_length=None, min_length=1,
                    resize="resample", window_seconds=None, step_seconds=None, sampling_rate_hz=None):
    _check_fraction(val_fraction)
    if resize not in RESIZE_METHODS:
        raise ValueError(f"`resize` must be one of {list(RESIZE_METHODS)}. Received: resize={resize!r}")
    if window_length is not None and (int(window_length) != window_length or window_length < max(min_length, 1)):
        raise ValueError(f"`window_length` must be an integer >= {max(min_length, 1)}. Received: window_length={window_length!r}")
    train_series, y_train, class_names = load_uea_series(train_path)
    test_series, y_test, test_class_names = load_uea_series(test_path)
    if test_class_names != class_names:
        raise ValueError(f"{test_path} must declare the classes of {train_path.name}, {class_names}. "
                         f"Received: {test_class_names}")
    if train_series[0].shape[1] != test_series[0].shape[1]:
        raise ValueError(f"{test_path} must have the {train_series[0].shape[1]} dimension(s) of {train_path.name}. "
                         f"Received: {test_series[0].shape[1]}")
    name = train_path.name[: -len("_TRAIN.ts")]
    channel_names, rate = _KNOWN_UEA_SETS.get(name.lower(), (None, None))
    if channel_names is None or len(channel_names) != train_series[0].shape[1]:
        channel_names, rate = [f"dim_{d}" for d in range(train_series[0].shape[1])], None
    rate = sampling_rate_hz or rate
    if window_seconds:
        if window_length is not None:
            raise ValueError(f"window_length (whole series) and window_seconds (windows of each series) exclude each "
                             f"other. Received: window_length={window_length}, window_seconds={window_seconds}")
        if not rate:
            raise ValueError(f"{train_path.name} does not say its sampling rate: give sampling_rate_hz to cut windows "
                             f"in seconds. Received: window_seconds={window_seconds}, sampling_rate_hz=None")
        return windowed_data(train_series, y_train, test_series, y_test, class_names, channel_names, rate,
                             window_seconds, step_seconds, val_fraction, seed, min_length=min_length, name=name)
    train_lengths = [len(s) for s in train_series]
    length = int(window_length or max(max(train_lengths), min_length))
    x_train, changed_train = fit_length(train_series, length, resize, name=str(train_path))
    x_test, changed_test = fit_length(test_series, length, resize, name=str(test_path))
    preprocessing = ""
    if changed_train or changed_test:
        test_lengths = describe_lengths([len(s) for s in test_series])
        how = "resampled (linear interpolation)" if resize == "resample" else "zero-padded at the end or cut"
        preprocessing = (f"series of {describe_lengths(train_lengths)} (train) and {test_lengths} (test) steps "
                         f"{how} to {length} steps: {changed_train} of {len(train_series)} training and "
                         f"{changed_test} of {len(test_series)} test series changed")
    train, val = _stratified_split(y_train, val_fraction, seed)
    return HARData(
        x_train=x_train[train], y_train=y_train[train],
        x_val=x_train[val], y_val=y_train[val],
        x_test=x_test, y_test=y_test,
        class_names=list(class_names),
        sampling_rate_hz=rate,
        channel_names=list(channel_names),
        name=name,
        preprocessing=preprocessing,
    )


def load_har(name, root=None, val_fraction=0.2, seed=0, **loader_kwargs):
    """Load a HAR data set by name, split into train / validation / test.

    - `"basicmotions"`: the real sample (see `load_basicmotions`); `root` is optional.
    - `"pickupgesture"`: the real UCR PickupGestureWiimoteZ sample (samples `har.pickupgesture_train`
      and `har.pickupgesture_test`: 1 channel, 29-361 steps, 10 gestures x 5 per split), read as
      `"uea"` reads a set; `root` is optional (a folder of its `_TRAIN.ts` and `_TEST.ts`).
    - `"uea"`: any UEA/UCR classification set (see `load_uea`); `root` is its `_TRAIN.ts` file
      or their folder; `loader_kwargs` (`window_length`, `min_length`, `resize`) set one length.
    - `"uci_har"`: `root` is the unpacked UCI HAR folder (https://archive.ics.uci.edu/dataset/240).
      Train and test are the official subject-wise splits (7,352 / 2,947 windows of 128 x 9).
    - `"motionsense"`: `root` is the unpacked MotionSense DeviceMotion folder
      (https://github.com/mmalekzadeh/motion-sense). The test set is the subjects
      `MOTIONSENSE_TEST_SUBJECTS` (20-24); `loader_kwargs` go to `load_motionsense`
      (`channels`, `window`, `overlap`).
    - `"watch"`: the real smartwatch shoulder-exercise sample (see `load_watch_set`): windows of
      `window_seconds` (default 4 s) every `step_seconds`, test subjects 8-10; `root` is optional.

    For UCI HAR and MotionSense the validation set is `val_fraction` of the training *subjects*
    (scikit-learn `GroupShuffleSplit`), so no subject is in two splits.

    Args:
        name: str. One of `"basicmotions"`, `"pickupgesture"`, `"uea"`, `"uci_har"`, `"motionsense"`.
        root: str, `os.PathLike` or `None`. Folder (or `_TRAIN.ts` file) of your hand-downloaded
            copy; required for all but the samples (`"basicmotions"`, `"pickupgesture"`). Defaults to `None`.
        val_fraction: float in `[0, 1)`. Fraction held out of the training data for validation.
            Defaults to `0.2`.
        seed: int. Seed of the validation split. Defaults to `0`.
        **loader_kwargs: extra arguments of `load_motionsense` (MotionSense), or the length
            arguments of `load_uea` (`"uea"`, `"basicmotions"`, `"pickupgesture"`).

    Returns:
        A `HARData`.

    Raises:
        ValueError: unknown `name`, `root` missing where it is required, or bad arguments.
        FileNotFoundError: `root` does not exist or lacks a file of the expected layout.

    Example:
    ```python
    data = load_har("basicmotions")
    data = load_har("pickupgesture", min_length=32)   # x_train (40, 361, 1): series resampled to 361 steps
    data = load_har("uea", root="~/data/Univariate_ts/GunPoint", min_length=32)
    data = load_har("uci_har", root="~/data/UCI HAR Dataset")
    data = load_har("motionsense", root="~/data/motion-sense/data", channels="all")
    ```
    """
    if name not in HAR_DATASETS:
        raise ValueError(f"Unknown HAR data set; expected one of {list(HAR_DATASETS)}. Received: name={name!r}")
    accepted = {"motionsense": set(loader_kwargs), "uea": _LENGTH_KWARGS, "watch": _LENGTH_KWARGS,
                **dict.fromkeys(_SAMPLE_SETS, _LENGTH_KWARGS)}.get(name, set())
    if set(loader_kwargs) - accepted:
        raise TypeError(f"load_har({name!r}) takes {sorted(accepted) or 'no loader arguments'}. "
                        f"Received: {sorted(loader_kwargs)}")
    _check_fraction(val_fraction)
    if name == "watch":
        return load_watch_set(root, val_fraction=val_fraction, seed=seed, **loader_kwargs)
    if name in _SAMPLE_SETS:
        return _load_sample_set(name, val_fraction=val_fraction, seed=seed, root=root, **loader_kwargs)
    if name == "uea":
        if root is None:
            raise ValueError(f"load_har('uea') needs `root`: a <Name>_TRAIN.ts file or a folder of {_TS_LAYOUT}. "
                             "Received: root=None")
        return load_uea(root, val_fraction=val_fraction, seed=seed, **loader_kwargs)
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
        name=name,
    )


def _existing_folder(root, name):
    """`root` as a Path, or a clear error naming the layout and the download page."""
    layouts = {
        "uci_har": (ucihar_lib.UCI_HAR_LAYOUT, ucihar_lib.UCI_HAR_URL),
        "motionsense": (motionsense_lib.MOTIONSENSE_LAYOUT, motionsense_lib.MOTIONSENSE_URL),
        "basicmotions": ("BasicMotions_TRAIN.ts, BasicMotions_TEST.ts", "the aeon 1.6.0 wheel on PyPI"),
        "pickupgesture": ("PickupGestureWiimoteZ_TRAIN.ts, PickupGestureWiimoteZ_TEST.ts", "the aeon 1.6.0 wheel on PyPI"),
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

    # Stratify when every class can give a validation case; a tiny set is split at random.
    counts = np.bincount(y)
    enough = counts[counts > 0].min() >= 2 and np.ceil(val_fraction * len(y)) >= np.count_nonzero(counts)
    train, val = train_test_split(index, test_size=val_fraction, stratify=y if enough else None, random_state=seed)
    return np.sort(train), np.sort(val)


def _subject_split(subjects, val_fraction, seed):
    _check_fraction(val_fraction)
    index = np.arange(len(subjects))
    if val_fraction == 0:
        return index, index[:0]
    return motionsense_lib.split_by_subject(subjects, test_fraction=val_fraction, seed=seed)


def windowed_data(train_series, y_train, test_series, y_test, class_names, channel_names, sampling_rate_hz,
                  window_seconds=windows_lib.DEFAULT_WINDOW_SECONDS, step_seconds=None, val_fraction=0.2, seed=0,
                  subjects_train=None, subjects_test=None, min_length=1, name=None):
    """A `HARData` of windows cut from whole recordings, split by recording (and subject) first.

    The validation recordings are `val_fraction` of the training *subjects* when `subjects_train`
    is given (`GroupShuffleSplit`), else a stratified `val_fraction` of the training recordings;
    then every recording is cut into windows (`windows.cut_windows`), so no recording, and no
    subject where they are known, has windows in two splits.

    Args:
        train_series, test_series: lists of `(time_i, channels)` arrays, one per recording.
        y_train, y_test: int arrays, one class per recording.
        class_names, channel_names: lists of str.
        sampling_rate_hz: float. The recordings' rate.
        window_seconds: float. Defaults to `windows.DEFAULT_WINDOW_SECONDS` (4 s).
        step_seconds: float or `None`. Defaults to half the window.
        val_fraction: float in `[0, 1)`. Defaults to 0.2.
        seed: int. Seed of the validation split. Defaults to 0.
        subjects_train, subjects_test: int arrays (one per recording) or `None`.
        min_length: int. The model's shortest window. Defaults to 1.
        name: str or `None`. The set's name.

    Returns:
        A `HARData` whose `recordings_*` give each window's recording: indices into
        `train_series` (train and validation) and into `test_series` (test).

    Example:
    ```python
    data = windowed_data([np.zeros((100, 2))] * 4, [0, 1, 0, 1], [np.ones((60, 2))], [1],
                         ["a", "b"], ["x", "y"], 10.0, window_seconds=2, val_fraction=0.5)
    data.x_train.shape, data.recordings_test   # (18, 20, 2) [0 0 0 0 0]
    ```
    """
    window, step = windows_lib.window_steps(sampling_rate_hz, window_seconds, step_seconds, min_length)
    y_train, y_test = np.asarray(y_train, np.int64), np.asarray(y_test, np.int64)
    if subjects_train is not None:
        train, val = _subject_split(np.asarray(subjects_train), val_fraction, seed)
    else:
        train, val = _stratified_split(y_train, val_fraction, seed)

    def cut(series, labels, index, subjects):
        x, y, recording = windows_lib.cut_windows([series[i] for i in index], labels[index], window, step)
        recording = np.asarray(index)[recording]
        return x, y, recording, (None if subjects is None else np.asarray(subjects)[recording])

    x_tr, y_tr, r_tr, s_tr = cut(train_series, y_train, train, subjects_train)
    if len(val):
        x_va, y_va, r_va, s_va = cut(train_series, y_train, val, subjects_train)
    else:
        x_va, y_va, r_va = np.zeros((0, window, x_tr.shape[2]), np.float32), y_tr[:0], r_tr[:0]
        s_va = None if s_tr is None else s_tr[:0]
    x_te, y_te, r_te, s_te = cut(test_series, y_test, np.arange(len(test_series)), subjects_test)
    lengths = describe_lengths([len(s) for s in (*train_series, *test_series)])
    described = (f"recordings of {lengths} steps cut into windows of {window} steps ({window / sampling_rate_hz:g} s) "
                 f"every {step} steps ({step / sampling_rate_hz:g} s) at {sampling_rate_hz:g} Hz: {len(x_tr)} training "
                 f"windows of {len(train)} recordings, {len(x_va)} validation of {len(val)}, {len(x_te)} test of "
                 f"{len(test_series)}; shorter recordings zero-padded to one window; scores voted per recording")
    return HARData(
        x_train=x_tr, y_train=y_tr, x_val=x_va, y_val=y_va, x_test=x_te, y_test=y_te,
        class_names=list(class_names), sampling_rate_hz=float(sampling_rate_hz), channel_names=list(channel_names),
        subjects_train=s_tr, subjects_val=s_va, subjects_test=s_te, name=name, preprocessing=described,
        recordings_train=r_tr, recordings_val=r_va, recordings_test=r_te,
    )


def load_watch_set(root=None, val_fraction=0.2, seed=0, window_seconds=None, step_seconds=None, min_length=1,
                   window_length=None, resize="resample", sampling_rate_hz=None):
    """The real smartwatch shoulder-exercise set (sample `har.watch`), by subject, in windows.

    Test: subjects `WATCH_TEST_SUBJECTS` (8-10, 42 recordings); validation: `val_fraction` of the
    other seven subjects. `window_seconds` `None` cuts windows of `DEFAULT_WINDOW_SECONDS` (4 s)
    every half window; `0` keeps each recording whole, brought to the longest training recording
    by `resize` (the UEA path; `window_length` sets another length).

    Args:
        root: str, Path or `None`. A folder holding `watch_dataset.npy`; `None` fetches the sample.
        val_fraction, seed: the validation split. Default 0.2, 0.
        window_seconds, step_seconds: the windows (see above). Default `None`.
        min_length: int. The model's shortest window. Defaults to 1.
        window_length, resize: whole recordings only (`window_seconds=0`).
        sampling_rate_hz: must be `None` or 50 (the set's rate).

    Returns:
        A `HARData` named `"watch"` with subjects (and recordings, when windowed).

    Example:
    ```python
    data = load_watch_set()                     # 4-s windows every 2 s
    data.x_train.shape[1:], data.recordings_test.max()   # (200, 6) 41
    ```
    """
    if sampling_rate_hz not in (None, watch_lib.WATCH_SAMPLING_RATE_HZ):
        raise ValueError(f"The watch set is sampled at 50 Hz. Received: sampling_rate_hz={sampling_rate_hz}")
    if root is None:
        from core.data import samples

        path = samples.fetch("har.watch", verbose=False)
    else:
        path = pathlib.Path(os.fspath(root)).expanduser()
        path = path / "watch_dataset.npy" if path.is_dir() else path
    series, labels, subjects, _ = watch_lib.load_watch(path)
    test = np.isin(subjects, watch_lib.WATCH_TEST_SUBJECTS)
    train_index, test_index = np.flatnonzero(~test), np.flatnonzero(test)
    pick = lambda items, index: [items[i] for i in index]  # noqa: E731
    common = dict(class_names=list(watch_lib.WATCH_CLASS_NAMES), channel_names=list(watch_lib.WATCH_CHANNELS))
    if window_seconds is None or window_seconds > 0:
        if window_length is not None:
            raise ValueError(f"window_length is for whole recordings (window_seconds=0). Received: "
                             f"window_length={window_length}, window_seconds={window_seconds}")
        return windowed_data(pick(series, train_index), labels[train_index], pick(series, test_index),
                             labels[test_index], sampling_rate_hz=watch_lib.WATCH_SAMPLING_RATE_HZ,
                             window_seconds=window_seconds or windows_lib.DEFAULT_WINDOW_SECONDS,
                             step_seconds=step_seconds, val_fraction=val_fraction, seed=seed,
                             subjects_train=subjects[train_index], subjects_test=subjects[test_index],
                             min_length=min_length, name="watch", **common)
    train_series = pick(series, train_index)
    length = int(window_length or max(max(len(s) for s in train_series), min_length))
    x_train, _ = fit_length(train_series, length, resize, name=str(path))
    x_test, _ = fit_length(pick(series, test_index), length, resize, name=str(path))
    train, val = _subject_split(subjects[train_index], val_fraction, seed)
    how = "resampled (linear interpolation)" if resize == "resample" else "zero-padded at the end or cut"
    return HARData(
        x_train=x_train[train], y_train=labels[train_index][train], x_val=x_train[val], y_val=labels[train_index][val],
        x_test=x_test, y_test=labels[test_index], sampling_rate_hz=watch_lib.WATCH_SAMPLING_RATE_HZ,
        subjects_train=subjects[train_index][train], subjects_val=subjects[train_index][val],
        subjects_test=subjects[test_index], name="watch",
        preprocessing=f"whole recordings of {describe_lengths([len(s) for s in series])} steps {how} to {length} steps",
        **common,
    )
