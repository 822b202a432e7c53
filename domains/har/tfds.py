"""TensorFlow Datasets builders for UCI HAR and MotionSense, read from a manual download.

Neither data set can be downloaded by resuite: put your unpacked copy in a folder and pass it
as `manual_dir`. The builders reuse `load_uci_har` and `load_motionsense`, so the examples are
exactly the loaders' windows. Importing this module imports `tensorflow_datasets` (slow), which
is why `domains.har.data` exposes `UciHar` and `MotionSense` lazily.

Example:
```python
import tensorflow_datasets as tfds
from domains.har.tfds import UciHar

builder = UciHar(data_dir="~/tensorflow_datasets")
builder.download_and_prepare(
    download_config=tfds.download.DownloadConfig(manual_dir="~/data/uci_har"))
train = builder.as_dataset(split="train", as_supervised=True)   # (signal (128, 9), label)
```
"""

import numpy as np
import tensorflow_datasets as tfds

from domains.har.data import motionsense as motionsense_lib
from domains.har.data import ucihar as ucihar_lib

__all__ = ["MotionSense", "UciHar"]


class UciHar(tfds.core.GeneratorBasedBuilder):
    """UCI HAR raw inertial windows: 128 x 9 (body_acc, body_gyro, total_acc; xyz), 6 activities.

    Splits are the official ones, by subject: `train` (7,352 windows, 21 subjects) and `test`
    (2,947 windows, 9 subjects). Features: `signal` float32 `(128, 9)` in the official channel
    order, `label` (`WALKING` ... `LAYING`), `subject` int32.

    Args:
        data_dir: str. Where the prepared TFRecords go (TFDS `data_dir`).
        **kwargs: other `tfds.core.GeneratorBasedBuilder` arguments.

    Example:
    ```python
    builder = UciHar(data_dir=tmp)
    builder.download_and_prepare(download_config=tfds.download.DownloadConfig(manual_dir=folder))
    ds = builder.as_dataset(split="test")
    ```
    """

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Raw inertial windows of the official train/test split."}
    MANUAL_DOWNLOAD_INSTRUCTIONS = f"""\
    Download the UCI HAR data set from {ucihar_lib.UCI_HAR_URL} ("Human Activity Recognition
    Using Smartphones"), unzip it and the `UCI HAR Dataset.zip` inside it, and pass the folder
    holding `UCI HAR Dataset/` (or that folder itself) as `manual_dir`. Expected layout:
    {ucihar_lib.UCI_HAR_LAYOUT}
    """

    def _info(self):
        return tfds.core.DatasetInfo(
            builder=self,
            description=(
                "UCI HAR: 30 subjects with a waist-mounted smartphone, 50 Hz, 2.56 s windows "
                "(128 samples, 50% overlap) of body acceleration, angular velocity and total "
                "acceleration (xyz each), 6 activities."
            ),
            features=tfds.features.FeaturesDict({
                "signal": tfds.features.Tensor(
                    shape=(ucihar_lib.UCI_HAR_WINDOW, len(ucihar_lib.UCI_HAR_CHANNELS)), dtype=np.float32
                ),
                "label": tfds.features.ClassLabel(names=list(ucihar_lib.UCI_HAR_CLASS_NAMES)),
                "subject": np.int32,
            }),
            supervised_keys=("signal", "label"),
            homepage=ucihar_lib.UCI_HAR_URL,
            citation=(
                "@inproceedings{anguita2013public, title={A Public Domain Dataset for Human Activity "
                "Recognition Using Smartphones}, author={Anguita, Davide and Ghio, Alessandro and Oneto, "
                "Luca and Parra, Xavier and Reyes-Ortiz, Jorge L.}, booktitle={ESANN}, year={2013}}"
            ),
        )

    def _split_generators(self, dl_manager):
        root = dl_manager.manual_dir
        return {subset: self._generate_examples(root, subset) for subset in ("train", "test")}

    def _generate_examples(self, root, subset):
        x, y, subjects = ucihar_lib.load_uci_har(root, subset)
        for i in range(len(x)):
            yield i, {"signal": x[i], "label": int(y[i]), "subject": int(subjects[i])}


class MotionSense(tfds.core.GeneratorBasedBuilder):
    """MotionSense DeviceMotion windows (iPhone 6s in the trouser pocket, 50 Hz), 6 activities.

    Each (trial, subject) recording is cut into 128-sample windows with 50 % overlap. Splits are
    by subject: `test` holds subjects `MOTIONSENSE_TEST_SUBJECTS` (20-24), `train` the other 19,
    so no subject is in both. Configs: `accel_gyro` (default; user acceleration xyz then rotation
    rate xyz, 6 channels) and `all` (the 12 DeviceMotion channels in file order). Features:
    `signal` float32 `(128, C)`, `label` (`dws ups wlk jog sit std`), `subject` int32.

    Args:
        config: str. `"accel_gyro"` or `"all"`. Defaults to `"accel_gyro"`.
        data_dir: str. Where the prepared TFRecords go (TFDS `data_dir`).
        **kwargs: other `tfds.core.GeneratorBasedBuilder` arguments.

    Example:
    ```python
    builder = MotionSense(config="all", data_dir=tmp)
    builder.download_and_prepare(download_config=tfds.download.DownloadConfig(manual_dir=folder))
    ds = builder.as_dataset(split="train")
    ```
    """

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "128-sample windows, 50% overlap, test subjects 20-24."}
    BUILDER_CONFIGS = [
        tfds.core.BuilderConfig(name="accel_gyro", description="userAcceleration xyz + rotationRate xyz (6 channels)."),
        tfds.core.BuilderConfig(name="all", description="All 12 DeviceMotion channels in file order."),
    ]
    DEFAULT_CONFIG_NAME = "accel_gyro"
    MANUAL_DOWNLOAD_INSTRUCTIONS = f"""\
    Download `data/A_DeviceMotion_data.zip` from {motionsense_lib.MOTIONSENSE_URL}, unzip it, and
    pass the folder holding `A_DeviceMotion_data/` as `manual_dir`. Expected layout:
    {motionsense_lib.MOTIONSENSE_LAYOUT}
    """

    def _channels(self):
        if self.builder_config.name == "all":
            return motionsense_lib.MOTIONSENSE_ALL_CHANNELS
        return motionsense_lib.MOTIONSENSE_ACCEL_GYRO_CHANNELS

    def _info(self):
        return tfds.core.DatasetInfo(
            builder=self,
            description=(
                "MotionSense: 24 subjects, iPhone 6s in the front trouser pocket, CoreMotion DeviceMotion "
                "at 50 Hz, 6 activities in 15 trials; 128-sample windows with 50% overlap, split by subject "
                f"(test subjects {list(motionsense_lib.MOTIONSENSE_TEST_SUBJECTS)})."
            ),
            features=tfds.features.FeaturesDict({
                "signal": tfds.features.Tensor(shape=(128, len(self._channels())), dtype=np.float32),
                "label": tfds.features.ClassLabel(names=list(motionsense_lib.MOTIONSENSE_CLASS_NAMES)),
                "subject": np.int32,
            }),
            supervised_keys=("signal", "label"),
            homepage=motionsense_lib.MOTIONSENSE_URL,
            citation=(
                "@inproceedings{malekzadeh2019mobile, title={Mobile Sensor Data Anonymization}, author="
                "{Malekzadeh, Mohammad and Clegg, Richard G. and Cavallaro, Andrea and Haddadi, Hamed}, "
                "booktitle={IoTDI}, year={2019}}"
            ),
        )

    def _split_generators(self, dl_manager):
        x, y, subjects = motionsense_lib.load_motionsense(
            dl_manager.manual_dir, channels=self._channels(), window=128, overlap=0.5
        )
        train, test = motionsense_lib._fixed_test_split(subjects, where=dl_manager.manual_dir)
        return {
            "train": self._generate_examples(x, y, subjects, train),
            "test": self._generate_examples(x, y, subjects, test),
        }

    def _generate_examples(self, x, y, subjects, index):
        for i in index:
            yield int(i), {"signal": x[i], "label": int(y[i]), "subject": int(subjects[i])}
