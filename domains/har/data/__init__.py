"""Data for human activity recognition: file readers, loaders, splits, input checks, TFDS builders.

- `load_uea_ts`, `load_uea_series`: UEA/UCR `.ts` files (equal or variable length).
- `fit_length`: one window length for series of any length (linear resampling or zero padding).
- `load_uci_har`: UCI HAR raw inertial windows (128 x 9) from your unpacked copy.
- `load_motionsense`, `split_by_subject`: MotionSense DeviceMotion windows and subject-wise splits.
- `load_har`, `load_basicmotions`, `load_uea`, `HARData`: one entry point returning train / val /
  test arrays (`load_uea`: any UEA/UCR set, from its `_TRAIN.ts` / `_TEST.ts` files).
- `validate_windows`: the input check used by the HAR models.

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
    "find_uea_files",
    "fit_length",
    "load_basicmotions",
    "load_har",
    "load_motionsense",
    "load_uci_har",
    "load_uea",
    "load_uea_series",
    "load_uea_ts",
    "read_activity_labels",
    "split_by_subject",
    "validate_windows",
]

