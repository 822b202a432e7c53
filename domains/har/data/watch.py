"""The real smartwatch shoulder-physiotherapy recordings shipped in seglearn's wheel.

`seglearn/data/watch_dataset.npy` (seglearn 1.2.5, BSD-3-Clause, by the data set's author; Burns
et al., "Shoulder physiotherapy exercise recognition: machine learning the inertial signals from a
smartwatch", Physiological Measurement 2018, arXiv:1802.01489): 140 whole recordings of 10
subjects doing sets of shoulder exercises with a smartwatch on the wrist, 6 channels
(accelerometer `ax ay az`, gyroscope `wx wy wz`) at 50 Hz, 947-2,618 steps (19-52 s) each;
7 exercises (`PEN` pendulum, `ABD` abduction, `FEL` forward elevation, `IR` / `ER` internal /
external rotation, `TRAP` trapezius extension, `ROW` upright row), 2 recordings (left and right
arm) per subject and exercise.

The file is a NumPy `.npy` holding one pickled dict (`X`, `y`, `subject`, `side`, `X_labels`,
`y_labels`). It is read with an unpickler that builds NumPy arrays and nothing else, after
`core.data.samples` has checked its sha256.

Split (fixed before any model was trained, never used to choose a recipe): subjects
`WATCH_TEST_SUBJECTS` (8, 9, 10: 42 recordings) are the test set; validation subjects are drawn
from the other seven (`load_har`), so no subject is in two splits.
"""

import pathlib
import pickle

import numpy as np

__all__ = ["WATCH_CHANNELS", "WATCH_CLASS_NAMES", "WATCH_SAMPLING_RATE_HZ", "WATCH_TEST_SUBJECTS", "load_watch"]

WATCH_SAMPLING_RATE_HZ = 50.0
WATCH_CHANNELS = ("accel_x", "accel_y", "accel_z", "gyro_x", "gyro_y", "gyro_z")
WATCH_CLASS_NAMES = ("PEN", "ABD", "FEL", "IR", "ER", "TRAP", "ROW")
WATCH_TEST_SUBJECTS = (8, 9, 10)
# What the pickled dict may build: NumPy arrays and dtypes (and the byte strings of their data).
_ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
            ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode")}


class _ArraysOnly(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"watch_dataset.npy may hold NumPy arrays only. Received: {module}.{name}")
        return super().find_class(module, name)


def load_watch(path):
    """Read `watch_dataset.npy`: the recordings, their exercises and subjects.

    Args:
        path: str or Path. The file (`core.data.samples.fetch("har.watch")`).

    Returns:
        A tuple `(series, labels, subjects, sides)`: a list of 140 float32 `(time, 6)` arrays,
        int64 exercise indices into `WATCH_CLASS_NAMES`, int64 subject ids (1-10), int64 arm
        (1 right, 0 left).

    Raises:
        FileNotFoundError: no file at `path`.
        ValueError: the file is not the dict described in the module docstring.

    Example:
    ```python
    from core.data import samples
    series, labels, subjects, sides = load_watch(samples.fetch("har.watch"))
    len(series), series[0].shape, sorted(set(subjects))   # 140 (1333, 6) [1, ..., 10]
    ```
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Watch recordings not found: {path}. Expected seglearn's watch_dataset.npy "
                                f"(resuite data fetch har.watch)")
    with open(path, "rb") as f:
        try:
            version = np.lib.format.read_magic(f)
            read_header = {(1, 0): np.lib.format.read_array_header_1_0}.get(version, np.lib.format.read_array_header_2_0)
            read_header(f)
            d = _ArraysOnly(f).load()
        except (ValueError, pickle.UnpicklingError, EOFError) as error:
            raise ValueError(f"{path}: expected seglearn's watch_dataset.npy (a .npy holding one pickled dict). "
                             f"Received: {error}") from error
    d = d.item() if isinstance(d, np.ndarray) and d.shape == () else d
    keys = {"X", "y", "subject", "side", "X_labels", "y_labels"}
    if not isinstance(d, dict) or not keys <= set(d):
        raise ValueError(f"{path}: expected a dict with {sorted(keys)}. Received: "
                         f"{sorted(d) if isinstance(d, dict) else type(d).__name__}")
    if list(d["y_labels"]) != list(WATCH_CLASS_NAMES) or len(d["X_labels"]) != len(WATCH_CHANNELS):
        raise ValueError(f"{path}: expected exercises {list(WATCH_CLASS_NAMES)} and 6 channels. "
                         f"Received: {list(d['y_labels'])}, {list(d['X_labels'])}")
    series = [np.asarray(x, dtype=np.float32) for x in d["X"]]
    if any(s.ndim != 2 or s.shape[1] != len(WATCH_CHANNELS) for s in series):
        raise ValueError(f"{path}: every recording must be (time, 6). Received: {sorted({s.shape for s in series})[:3]}")
    labels = np.asarray(d["y"], dtype=np.int64)
    subjects = np.asarray(d["subject"], dtype=np.int64)
    sides = np.asarray(d["side"], dtype=np.int64)
    if not len(series) == len(labels) == len(subjects) == len(sides):
        raise ValueError(f"{path}: X, y, subject and side must have one entry per recording. Received lengths "
                         f"{len(series)}, {len(labels)}, {len(subjects)}, {len(sides)}")
    return series, labels, subjects, sides
