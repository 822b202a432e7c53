"""MotionSense loader, subject-wise split and TFDS builder on a fixture in the exact layout."""

import pathlib
import shutil

import numpy as np
from absl.testing import parameterized

from core.testing import TestCase
from domains.har.data import (
    MOTIONSENSE_ACCEL_GYRO_CHANNELS,
    MOTIONSENSE_ALL_CHANNELS,
    MOTIONSENSE_CLASS_NAMES,
    load_har,
    load_motionsense,
    split_by_subject,
)
from tests.domains.har.data.fixtures.make_fixtures import write_motionsense

FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures"
ROOT = FIXTURES / "motionsense"
TRIALS = ROOT / "A_DeviceMotion_data" / "A_DeviceMotion_data"
# Rows of each fixture CSV, as written by make_fixtures.py.
ROWS = {
    ("dws_1", 1): 200, ("dws_1", 2): 150, ("dws_1", 23): 192,
    ("jog_9", 1): 130, ("jog_9", 2): 100, ("jog_9", 23): 256,
    ("sit_5", 1): 140, ("sit_5", 2): 200, ("sit_5", 23): 128,
}


def _csv(trial, subject):
    """Independent parse of a fixture CSV: (rows, 12) in file order."""
    return np.loadtxt(TRIALS / trial / f"sub_{subject}.csv", delimiter=",", skiprows=1)[:, 1:]


def _expected_windows(window, hop):
    """(label, subject, start) of every window, in the loader's order: activity, trial, subject, time."""
    out = []
    for (trial, subject), rows in sorted(ROWS.items(), key=lambda kv: (MOTIONSENSE_CLASS_NAMES.index(kv[0][0][:3]), kv[0][1])):
        label = MOTIONSENSE_CLASS_NAMES.index(trial[:3])
        out += [(label, subject, trial, start) for start in range(0, rows - window + 1, hop)]
    return out


class MotionSenseLoaderTest(TestCase):
    def test_fixture_rows(self):
        for (trial, subject), rows in ROWS.items():
            self.assertEqual(_csv(trial, subject).shape, (rows, 12))
        header = (TRIALS / "dws_1" / "sub_1.csv").read_text().splitlines()[0]
        self.assertEqual(header, "," + ",".join(MOTIONSENSE_ALL_CHANNELS))

    def test_default_windows(self):
        x, y, subjects = load_motionsense(ROOT)
        expected = _expected_windows(128, 64)
        self.assertLen(expected, 13)  # 100 rows give no window; 128 and 192 rows fit exactly
        self.assertEqual(x.shape, (13, 128, 6))
        self.assertEqual(x.dtype, np.float32)
        np.testing.assert_array_equal(y, [e[0] for e in expected])
        np.testing.assert_array_equal(subjects, [e[1] for e in expected])
        # Default channels: userAcceleration xyz, then rotationRate xyz.
        columns = [MOTIONSENSE_ALL_CHANNELS.index(c) for c in MOTIONSENSE_ACCEL_GYRO_CHANNELS]
        self.assertEqual(columns, [9, 10, 11, 6, 7, 8])
        for i, (_, subject, trial, start) in enumerate(expected):
            raw = _csv(trial, subject)[start:start + 128, columns]
            np.testing.assert_array_equal(x[i], raw.astype(np.float32))

    def test_all_channels_and_custom_window(self):
        x, y, _ = load_motionsense(ROOT, channels="all", window=50, overlap=0.0)
        expected = _expected_windows(50, 50)
        self.assertEqual(x.shape, (len(expected), 50, 12))
        np.testing.assert_array_equal(y, [e[0] for e in expected])
        _, subject, trial, start = expected[-1]
        np.testing.assert_array_equal(x[-1], _csv(trial, subject)[start:start + 50].astype(np.float32))

    def test_chosen_channels(self):
        x, _, _ = load_motionsense(ROOT, channels=["gravity.z", "attitude.roll"], window=64, overlap=0.5)
        raw = _csv("dws_1", 1)
        np.testing.assert_array_equal(x[1], raw[32:96, [5, 0]].astype(np.float32))

    @parameterized.named_parameters(("outer", ROOT), ("middle", ROOT / "A_DeviceMotion_data"), ("inner", TRIALS))
    def test_root_levels(self, root):
        x, _, _ = load_motionsense(root)
        self.assertEqual(x.shape, (13, 128, 6))

    @parameterized.named_parameters(
        ("unknown_channel", {"channels": ["userAcceleration.w"]}, r"channels.*Received: \['userAcceleration\.w'\]"),
        ("bad_channel_string", {"channels": "acc"}, r"Received: channels='acc'"),
        ("duplicate_channel", {"channels": ["gravity.x", "gravity.x"]}, r"distinct"),
        ("zero_window", {"window": 0}, r"window.*Received: window=0"),
        ("full_overlap", {"overlap": 1.0}, r"overlap.*Received: overlap=1\.0"),
    )
    def test_bad_arguments(self, kwargs, pattern):
        with self.assertRaisesRegex(ValueError, pattern):
            load_motionsense(ROOT, **kwargs)


class MotionSenseErrorTest(TestCase):
    def copy(self):
        root = pathlib.Path(self.get_temp_dir()) / "copy"
        shutil.copytree(ROOT, root)
        return root, root / "A_DeviceMotion_data" / "A_DeviceMotion_data"

    def test_missing_root(self):
        with self.assertRaisesRegex(FileNotFoundError, r"(?s)absent.*Expected this layout:.*sub_<k>\.csv"):
            load_motionsense(pathlib.Path(self.get_temp_dir()) / "absent")

    def test_folder_without_trials(self):
        empty = pathlib.Path(self.get_temp_dir()) / "A_DeviceMotion_data"
        (empty / "__MACOSX").mkdir(parents=True)
        with self.assertRaisesRegex(FileNotFoundError, r"(?s)No MotionSense trial folders.*dws_1/ ups_3/"):
            load_motionsense(empty.parent)

    def test_trial_folders_without_csv(self):
        root = pathlib.Path(self.get_temp_dir())
        (root / "wlk_7").mkdir()
        (root / "wlk_7" / "notes.txt").write_text("not a recording")
        with self.assertRaisesRegex(FileNotFoundError, r"No sub_<k>\.csv files"):
            load_motionsense(root)

    def test_other_files_are_ignored(self):
        root, trials = self.copy()
        (trials / ".DS_Store").write_text("junk")
        (trials / "dws_1" / "readme.txt").write_text("junk")
        x, _, _ = load_motionsense(root)
        self.assertEqual(x.shape, (13, 128, 6))

    def test_header_without_a_channel(self):
        root, trials = self.copy()
        file = trials / "jog_9" / "sub_2.csv"
        lines = file.read_text().splitlines()
        lines[0] = lines[0].replace("rotationRate.y", "rotationRate.q")
        file.write_text("\n".join(lines) + "\n")
        with self.assertRaisesRegex(ValueError, r"jog_9/sub_2\.csv:1: the header lacks the columns \['rotationRate\.y'\]"):
            load_motionsense(root)
        x, _, _ = load_motionsense(root, channels=["userAcceleration.x"])  # a channel it has still loads
        self.assertEqual(x.shape, (13, 128, 1))

    def test_non_numeric_value(self):
        root, trials = self.copy()
        file = trials / "sit_5" / "sub_23.csv"
        lines = file.read_text().splitlines()
        fields = lines[10].split(",")
        fields[10] = "abc"  # userAcceleration.x of the 10th sample (line 11)
        lines[10] = ",".join(fields)
        file.write_text("\n".join(lines) + "\n")
        with self.assertRaisesRegex(ValueError, r"sit_5/sub_23\.csv:11: non-numeric value"):
            load_motionsense(root)

    def test_wrong_field_count(self):
        root, trials = self.copy()
        file = trials / "dws_1" / "sub_2.csv"
        lines = file.read_text().splitlines()
        lines[5] = lines[5].rsplit(",", 1)[0]
        file.write_text("\n".join(lines) + "\n")
        with self.assertRaisesRegex(ValueError, r"dws_1/sub_2\.csv:6: expected 13 comma-separated fields.*Received: 12"):
            load_motionsense(root)


class SplitBySubjectTest(TestCase):
    def test_fixed_test_subjects(self):
        subjects = np.array([1, 1, 2, 23, 23, 2, 1])
        train, test = split_by_subject(subjects, test_subjects=[23])
        np.testing.assert_array_equal(train, [0, 1, 2, 5, 6])
        np.testing.assert_array_equal(test, [3, 4])

    def test_random_split_keeps_subjects_apart(self):
        subjects = np.repeat(np.arange(1, 25), 5)
        train, test = split_by_subject(subjects, test_fraction=0.25, seed=0)
        self.assertEqual(len(train) + len(test), len(subjects))
        self.assertFalse(set(subjects[train]) & set(subjects[test]))
        self.assertLen(set(subjects[test]), 6)
        again, _ = split_by_subject(subjects, test_fraction=0.25, seed=0)
        other, _ = split_by_subject(subjects, test_fraction=0.25, seed=1)
        np.testing.assert_array_equal(train, again)
        self.assertFalse(np.array_equal(train, other))

    def test_bad_arguments(self):
        subjects = np.array([1, 2, 3])
        with self.assertRaisesRegex(ValueError, r"Received unknown: \[9\]"):
            split_by_subject(subjects, test_subjects=[3, 9])
        with self.assertRaisesRegex(ValueError, "no subject for training"):
            split_by_subject(subjects, test_subjects=[1, 2, 3])
        with self.assertRaisesRegex(ValueError, "test_fraction=1.5"):
            split_by_subject(subjects, test_fraction=1.5)
        with self.assertRaisesRegex(ValueError, "at least 2 subjects"):
            split_by_subject(np.array([4, 4]))


class MotionSenseLoadHarTest(TestCase):
    def test_load_har_splits(self):
        data = load_har("motionsense", root=ROOT, val_fraction=0.5, seed=0)
        np.testing.assert_array_equal(np.unique(data.subjects_test), [23])  # the documented test subjects 20-24
        self.assertLen(data.x_test, 6)
        self.assertEqual(len(data.x_train) + len(data.x_val), 7)
        self.assertLen(set(data.subjects_val), 1)
        self.assertFalse(set(data.subjects_train) & set(data.subjects_val))
        self.assertEqual(data.channel_names, list(MOTIONSENSE_ACCEL_GYRO_CHANNELS))
        self.assertEqual(data.class_names, list(MOTIONSENSE_CLASS_NAMES))
        everything = load_har("motionsense", root=ROOT, channels="all")
        self.assertEqual(everything.x_test.shape, (6, 128, 12))
        self.assertEqual(everything.channel_names, list(MOTIONSENSE_ALL_CHANNELS))

    def test_load_har_needs_root_and_test_subjects(self):
        with self.assertRaisesRegex(ValueError, r"(?s)needs `root`.*github\.com/mmalekzadeh/motion-sense"):
            load_har("motionsense")
        with self.assertRaisesRegex(FileNotFoundError, r"(?s)absent.*github\.com/mmalekzadeh/motion-sense"):
            load_har("motionsense", root=pathlib.Path(self.get_temp_dir()) / "absent")
        root, trials = self.copy_without_subject_23()
        with self.assertRaisesRegex(ValueError, r"test subjects \[20, 21, 22, 23, 24\].*Received: subjects \[1, 2\]"):
            load_har("motionsense", root=root)

    def copy_without_subject_23(self):
        root = pathlib.Path(self.get_temp_dir()) / "copy"
        shutil.copytree(ROOT, root)
        trials = root / "A_DeviceMotion_data" / "A_DeviceMotion_data"
        for file in trials.glob("*/sub_23.csv"):
            file.unlink()
        return root, trials

    def test_fixture_is_what_the_script_writes(self):
        out = pathlib.Path(self.get_temp_dir())
        write_motionsense(out)
        written = sorted(p.relative_to(out) for p in (out / "motionsense").rglob("*") if p.is_file())
        committed = sorted(p.relative_to(FIXTURES) for p in ROOT.rglob("*") if p.is_file())
        self.assertEqual(written, committed)
        for relative in written:
            self.assertEqual((out / relative).read_bytes(), (FIXTURES / relative).read_bytes(), str(relative))


class MotionSenseBuilderTest(TestCase):
    def test_builder_on_fixture(self):
        import tensorflow_datasets as tfds

        from domains.har.tfds import MotionSense

        tfds.disable_progress_bar()
        builder = MotionSense(data_dir=self.get_temp_dir())
        self.assertEqual(builder.builder_config.name, "accel_gyro")
        builder.download_and_prepare(
            download_config=tfds.download.DownloadConfig(manual_dir=str(ROOT), try_download_gcs=False)
        )
        x, y, subjects = load_motionsense(ROOT)
        self.assertEqual(builder.info.features["label"].names, list(MOTIONSENSE_CLASS_NAMES))
        self.assertEqual(builder.info.splits["train"].num_examples, 7)
        self.assertEqual(builder.info.splits["test"].num_examples, 6)
        matched = []
        for subset in ("train", "test"):
            for example in tfds.as_numpy(builder.as_dataset(split=subset)):
                self.assertEqual(example["signal"].shape, (128, 6))
                i = int(np.argmin(np.abs(x - example["signal"]).max(axis=(1, 2))))
                np.testing.assert_array_equal(example["signal"], x[i])
                self.assertEqual(example["label"], y[i])
                self.assertEqual(example["subject"], subjects[i])
                self.assertEqual(subset == "test", subjects[i] == 23)  # split by subject
                matched.append(i)
        self.assertEqual(sorted(matched), list(range(13)))
