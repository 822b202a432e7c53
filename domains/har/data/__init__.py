"""Data for human activity recognition: file readers, loaders, splits, input checks, TFDS builders.

- `load_uea_ts`, `load_uea_series`: UEA/UCR `.ts` files (equal or variable length).
- `fit_length`: one window length for series of any length (linear resampling or zero padding).
- `load_uci_har`: UCI HAR raw inertial windows (128 x 9) from your unpacked copy.
- `load_motionsense`, `split_by_subject`: MotionSense DeviceMotion windows and subject-wise splits.
- `load_har`, `load_basicmotions`, `load_uea`, `HARData`: one entry point returning train / val /
  test arrays (`load_uea`: any UEA/UCR set, from its `_TRAIN.ts` / `_TEST.ts` files).
- `validate_windows`: the input check used by the HAR models.
- `load_watch` (the real smartwatch shoulder-exercise file), `load_watch_set`, `windowed_data`:
  long recordings split by subject, then cut into windows that keep their recording.
- `cut_windows`, `vote`, `window_steps` (`windows`): windows of each recording and the mean vote.

The TFDS builders (`UciHar`, `MotionSense`) are in `domains.har.tfds`.

Example:
```python
from domains.har.data import load_har
data = load_har("basicmotions")
data.x_train.shape, data.class_names   # (32, 100, 6) ['Standing', 'Running', 'Walking', 'Badminton']
```
"""

from domains.har.data.checks import validate_windows
from domains.har.data.datasets import (
    BASICMOTIONS_CHANNELS,
    BASICMOTIONS_SAMPLING_RATE_HZ,
    HAR_DATASETS,
    HARData,
    find_uea_files,
    load_basicmotions,
    load_har,
    load_uea,
    load_watch_set,
    windowed_data,
)
from domains.har.data.lengths import RESIZE_METHODS, fit_length
from domains.har.data.motionsense import (
    MOTIONSENSE_ACCEL_GYRO_CHANNELS,
    MOTIONSENSE_ALL_CHANNELS,
    MOTIONSENSE_CLASS_NAMES,
    MOTIONSENSE_SAMPLING_RATE_HZ,
    MOTIONSENSE_TEST_SUBJECTS,
    load_motionsense,
    split_by_subject,
)
from domains.har.data.uea import load_uea_series, load_uea_ts
from domains.har.data.watch import (
    WATCH_CHANNELS,
    WATCH_CLASS_NAMES,
    WATCH_SAMPLING_RATE_HZ,
    WATCH_TEST_SUBJECTS,
    load_watch,
)
from domains.har.data.windows import DEFAULT_WINDOW_SECONDS, cut_windows, recording_labels, vote, window_steps
from domains.har.data.ucihar import (
    UCI_HAR_CHANNELS,
    UCI_HAR_CLASS_NAMES,
    UCI_HAR_SAMPLING_RATE_HZ,
    load_uci_har,
    read_activity_labels,
)

__all__ = [
    "BASICMOTIONS_CHANNELS",
    "BASICMOTIONS_SAMPLING_RATE_HZ",
    "DEFAULT_WINDOW_SECONDS",
    "HARData",
    "HAR_DATASETS",
    "MOTIONSENSE_ACCEL_GYRO_CHANNELS",
    "MOTIONSENSE_ALL_CHANNELS",
    "MOTIONSENSE_CLASS_NAMES",
    "MOTIONSENSE_SAMPLING_RATE_HZ",
    "MOTIONSENSE_TEST_SUBJECTS",
    "RESIZE_METHODS",
    "UCI_HAR_CHANNELS",
    "UCI_HAR_CLASS_NAMES",
    "UCI_HAR_SAMPLING_RATE_HZ",
    "WATCH_CHANNELS",
    "WATCH_CLASS_NAMES",
    "WATCH_SAMPLING_RATE_HZ",
    "WATCH_TEST_SUBJECTS",
    "cut_windows",
    "find_uea_files",
    "fit_length",
    "load_basicmotions",
    "load_har",
    "load_motionsense",
    "load_uci_har",
    "load_uea",
    "load_uea_series",
    "load_uea_ts",
    "load_watch",
    "load_watch_set",
    "read_activity_labels",
    "recording_labels",
    "split_by_subject",
    "validate_windows",
    "vote",
    "window_steps",
    "windowed_data",
]

