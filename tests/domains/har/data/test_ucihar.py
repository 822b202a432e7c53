"""UCI HAR loader and TFDS builder on a fixture folder in the exact on-disk layout."""

import pathlib
import shutil

import numpy as np
from absl.testing import parameterized

from core.testing import TestCase
from domains.har.data import UCI_HAR_CHANNELS, UCI_HAR_CLASS_NAMES, load_har, load_uci_har, read_activity_labels
from tests.domains.har.data.fixtures.make_fixtures import write_uci_har

FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures"
UCI_ROOT = FIXTURES / "uci_har"
DATASET = UCI_ROOT / "UCI HAR Dataset"


class UciHarLoaderTest(TestCase):
    @parameterized.named_parameters(("train", "train", 6), ("test", "test", 4))
    def test_fixture(self, subset, count):
        x, y, subjects = load_uci_har(UCI_ROOT, subset)
        self.assertEqual(x.shape, (count, 128, 9))
        self.assertEqual(x.dtype, np.float32)
        # Labels are the file's 1..6 minus one; subjects as written.
        np.testing.assert_array_equal(y, np.loadtxt(DATASET / subset / f"y_{subset}.txt", dtype=int) - 1)
        np.testing.assert_array_equal(subjects, np.loadtxt(DATASET / subset / f"subject_{subset}.txt", dtype=int))
        # Channel c is the official c-th signal file (an independent parse), rows are windows.
        for c, channel in enumerate(UCI_HAR_CHANNELS):
            expected = np.loadtxt(DATASET / subset / "Inertial Signals" / f"{channel}_{subset}.txt", ndmin=2)
            np.testing.assert_array_equal(x[:, :, c], expected.astype(np.float32))

    def test_channel_order_and_values(self):
        self.assertEqual(
            UCI_HAR_CHANNELS,
            ("body_acc_x", "body_acc_y", "body_acc_z", "body_gyro_x", "body_gyro_y", "body_gyro_z",
             "total_acc_x", "total_acc_y", "total_acc_z"),
        )
        x, y, _ = load_uci_har(UCI_ROOT, "train")
        first = (DATASET / "train" / "Inertial Signals" / "total_acc_x_train.txt").read_text().split()[0]
        self.assertEqual(x[0, 0, 6], np.float32(float(first)))
        # Upright windows carry about 1 g of gravity on total_acc_x; laying (label 5) does not.
        upright = x[y != 5][:, :, 6].mean()
        laying = x[y == 5][:, :, 6].mean()
        self.assertGreater(upright, 0.8)
        self.assertLess(abs(laying), 0.2)

    def test_consecutive_windows_overlap_by_half(self):
        x, _, _ = load_uci_har(UCI_ROOT, "train")
        np.testing.assert_array_equal(x[0, 64:], x[1, :64])  # windows 0 and 1: one walking segment

    def test_root_may_be_the_dataset_folder_itself(self):
        a = load_uci_har(UCI_ROOT, "test")
        b = load_uci_har(str(DATASET), "test")
        for left, right in zip(a, b):
            np.testing.assert_array_equal(left, right)

    def test_activity_labels(self):
        self.assertEqual(read_activity_labels(UCI_ROOT), list(UCI_HAR_CLASS_NAMES))

    def test_fixture_is_what_the_script_writes(self):
        out = pathlib.Path(self.get_temp_dir())
        write_uci_har(out)
        written = sorted(p.relative_to(out) for p in (out / "uci_har").rglob("*") if p.is_file())
        committed = sorted(p.relative_to(FIXTURES) for p in UCI_ROOT.rglob("*") if p.is_file())
        self.assertEqual(written, committed)
        for relative in written:
            self.assertEqual((out / relative).read_bytes(), (FIXTURES / relative).read_bytes(), str(relative))
        # The official number format: 16-character fields like `  1.8085150e-004`.
        row = (DATASET / "test" / "Inertial Signals" / "body_acc_x_test.txt").read_text().splitlines()[0]
        self.assertEqual(len(row), 16 * 128)
        self.assertRegex(row[:16], r"^ +-?\d\.\d{7}e[+-]\d{3}$")


class UciHarErrorTest(TestCase):
    def copy(self):
        root = pathlib.Path(self.get_temp_dir()) / "copy"
        shutil.copytree(UCI_ROOT, root)
        return root / "UCI HAR Dataset"

    def test_subset_name(self):
        with self.assertRaisesRegex(ValueError, "Received: subset='val'"):
            load_uci_har(UCI_ROOT, "val")

    def test_missing_root(self):
        missing = pathlib.Path(self.get_temp_dir()) / "nowhere"
        with self.assertRaisesRegex(FileNotFoundError, r"nowhere.*Expected this layout:\n.*UCI HAR Dataset/"):
            load_uci_har(missing, "train")

    @parameterized.named_parameters(
        ("signal", "train/Inertial Signals/body_gyro_y_train.txt"),
        ("labels", "test/y_test.txt"),
        ("subjects", "train/subject_train.txt"),
        ("activity_labels", "activity_labels.txt"),
    )
    def test_missing_file(self, relative):
        root = self.copy()
        (root / relative).unlink()
        subset = "test" if relative.startswith("test") else "train"
        name = relative.rsplit("/", 1)[-1]
        with self.assertRaisesRegex(FileNotFoundError, rf"(?s){name}.*Expected this layout:.*Inertial Signals"):
            load_uci_har(root, subset)

    def test_row_with_wrong_number_of_values(self):
        root = self.copy()
        file = root / "train" / "Inertial Signals" / "body_acc_z_train.txt"
        lines = file.read_text().splitlines()
        lines[2] = lines[2][:-16]  # drop the last value of the third window
        file.write_text("\n".join(lines) + "\n")
        with self.assertRaisesRegex(ValueError, r"body_acc_z_train\.txt:3: expected 128 values per row\. Received: 127"):
            load_uci_har(root, "train")

    def test_row_count_mismatch_names_both_files(self):
        root = self.copy()
        file = root / "train" / "Inertial Signals" / "total_acc_z_train.txt"
        file.write_text("".join(file.read_text().splitlines(keepends=True)[:-1]))
        with self.assertRaisesRegex(ValueError, r"total_acc_z_train\.txt has 5 rows but .*y_train\.txt has 6"):
            load_uci_har(root, "train")

    def test_subject_count_mismatch(self):
        root = self.copy()
        (root / "test" / "subject_test.txt").write_text("2\n2\n2\n")
        with self.assertRaisesRegex(ValueError, r"subject_test\.txt has 3 rows but .*y_test\.txt has 4"):
            load_uci_har(root, "test")

    def test_label_out_of_range(self):
        root = self.copy()
        (root / "test" / "y_test.txt").write_text("5\n5\n7\n3\n")
        with self.assertRaisesRegex(ValueError, r"y_test\.txt:3: value out of range, expected 1\.\.6\. Received: 7"):
            load_uci_har(root, "test")

    def test_non_numeric_value(self):
        root = self.copy()
        file = root / "test" / "Inertial Signals" / "body_gyro_x_test.txt"
        lines = file.read_text().splitlines()
        lines[1] = lines[1].replace("e", "x", 1)
        file.write_text("\n".join(lines) + "\n")
        with self.assertRaisesRegex(ValueError, r"body_gyro_x_test\.txt:2: non-numeric value"):
            load_uci_har(root, "test")


class UciHarLoadHarTest(TestCase):
    def test_load_har_splits_validation_by_subject(self):
        data = load_har("uci_har", root=UCI_ROOT, val_fraction=0.5, seed=0)
        x_test, y_test, s_test = load_uci_har(UCI_ROOT, "test")
        np.testing.assert_array_equal(data.x_test, x_test)
        np.testing.assert_array_equal(data.subjects_test, s_test)
        self.assertEqual(len(data.x_train) + len(data.x_val), 6)
        self.assertEqual(len(data.x_val), 3)
        self.assertFalse(set(data.subjects_train) & set(data.subjects_val))
        self.assertEqual(data.class_names, list(UCI_HAR_CLASS_NAMES))
        self.assertEqual(data.channel_names, list(UCI_HAR_CHANNELS))
        self.assertEqual(data.sampling_rate_hz, 50.0)

    def test_load_har_needs_an_existing_root(self):
        with self.assertRaisesRegex(ValueError, r"(?s)needs `root`.*archive\.ics\.uci\.edu/dataset/240.*Received: root=None"):
            load_har("uci_har")
        missing = pathlib.Path(self.get_temp_dir()) / "absent"
        with self.assertRaisesRegex(FileNotFoundError, r"absent.*archive\.ics\.uci\.edu/dataset/240"):
            load_har("uci_har", root=missing)


class UciHarBuilderTest(TestCase):
    def test_builder_on_fixture(self):
        import tensorflow_datasets as tfds

        from domains.har.tfds import UciHar

        tfds.disable_progress_bar()
        builder = UciHar(data_dir=self.get_temp_dir())
        builder.download_and_prepare(
            download_config=tfds.download.DownloadConfig(manual_dir=str(UCI_ROOT), try_download_gcs=False)
        )
        self.assertEqual(builder.info.features["label"].names, list(UCI_HAR_CLASS_NAMES))
        for subset, count in (("train", 6), ("test", 4)):
            self.assertEqual(builder.info.splits[subset].num_examples, count)
            x, y, subjects = load_uci_har(UCI_ROOT, subset)
            examples = list(tfds.as_numpy(builder.as_dataset(split=subset)))
            self.assertLen(examples, count)
            matched = []
            for example in examples:  # TFDS shuffles: match each example to its loader window
                self.assertEqual(example["signal"].shape, (128, 9))
                i = int(np.argmin(np.abs(x - example["signal"]).max(axis=(1, 2))))
                np.testing.assert_array_equal(example["signal"], x[i])
                self.assertEqual(example["label"], y[i])
                self.assertEqual(example["subject"], subjects[i])
                matched.append(i)
            self.assertEqual(sorted(matched), list(range(count)))
