"""The loaders of domains/har/data/datasets.py: the real samples by name, and any UEA/UCR set from its files."""

import os
import pathlib

import numpy as np

from core.data import samples
from core.testing import TestCase
from domains.har.data import BASICMOTIONS_CHANNELS, load_basicmotions, load_har, load_uea, load_uea_series, load_uea_ts
from tests.domains.har.data.fixtures.make_fixtures import write_uea
from tests.domains.har.data.test_uea import CLASS_NAMES, GOOD, HEADER


class SampleSetsTest(TestCase):
    def test_load_basicmotions_splits(self):
        data = load_basicmotions(val_fraction=0.2, seed=0)
        x_train, y_train, _ = load_uea_ts(samples.fetch("har.basicmotions_train", verbose=False))
        x_test, y_test, _ = load_uea_ts(samples.fetch("har.basicmotions_test", verbose=False))
        self.assertEqual(data.x_train.shape, (32, 100, 6))
        self.assertEqual(data.x_val.shape, (8, 100, 6))
        np.testing.assert_array_equal(np.bincount(data.y_val, minlength=4), [2, 2, 2, 2])  # stratified
        # The test set is the TEST file, untouched; train + val is exactly the TRAIN file.
        np.testing.assert_array_equal(data.x_test, x_test)
        np.testing.assert_array_equal(data.y_test, y_test)
        both = np.concatenate([data.x_train, data.x_val])
        order = [int(np.argmin(np.abs(x_train - case).max(axis=(1, 2)))) for case in both]
        self.assertEqual(sorted(order), list(range(40)))
        np.testing.assert_array_equal(np.concatenate([data.y_train, data.y_val]), y_train[order])
        self.assertEqual(data.class_names, CLASS_NAMES)
        self.assertEqual(data.channel_names, list(BASICMOTIONS_CHANNELS))
        self.assertEqual((data.num_classes, data.num_channels, data.window_length), (4, 6, 100))
        self.assertEqual(data.sampling_rate_hz, 10.0)

    def test_load_basicmotions_seed_and_no_validation(self):
        a = load_basicmotions(seed=0)
        b = load_basicmotions(seed=0)
        c = load_basicmotions(seed=1)
        np.testing.assert_array_equal(a.x_val, b.x_val)
        self.assertFalse(np.array_equal(a.x_val, c.x_val))
        none = load_basicmotions(val_fraction=0.0)
        self.assertEqual(none.x_train.shape, (40, 100, 6))
        self.assertEqual(none.x_val.shape, (0, 100, 6))
        with self.assertRaisesRegex(ValueError, "val_fraction"):
            load_basicmotions(val_fraction=1.0)

    def test_load_har_dispatch_and_root_folder(self):
        data = load_har("basicmotions", seed=3)
        np.testing.assert_array_equal(data.x_val, load_basicmotions(seed=3).x_val)
        # A folder of the user's own .ts files works the same way.
        folder = self.get_temp_dir()
        for subset in ("train", "test"):
            src = samples.fetch(f"har.basicmotions_{subset}", verbose=False)
            with open(src) as f, open(os.path.join(folder, f"BasicMotions_{subset.upper()}.ts"), "w") as g:
                g.write(f.read())
        np.testing.assert_array_equal(load_har("basicmotions", root=folder, seed=3).x_val, data.x_val)
        with self.assertRaisesRegex(ValueError, "Unknown HAR data set.*Received: name='ucihar'"):
            load_har("ucihar")
        with self.assertRaisesRegex(TypeError, "channels"):
            load_har("basicmotions", channels="all")

    def test_load_har_reads_the_real_variable_length_pickupgesture_sample(self):
        # UCR PickupGestureWiimoteZ: 1 channel, 29-361 steps, 10 gestures x 5 per split.
        data = load_har("pickupgesture", min_length=32)
        self.assertEqual(data.name, "PickupGestureWiimoteZ")
        self.assertEqual((data.x_train.shape, data.x_val.shape, data.x_test.shape), ((40, 361, 1), (10, 361, 1),
                                                                                     (50, 361, 1)))
        self.assertEqual(data.num_classes, 10)
        np.testing.assert_array_equal(np.bincount(data.y_test), [5] * 10)
        self.assertTrue(data.preprocessing.startswith("series of 29-361 (train) and 37-324 (test) steps resampled"))
        padded = load_har("pickupgesture", window_length=64, resize="pad")
        self.assertEqual(padded.x_test.shape, (50, 64, 1))


FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures"
UEA = FIXTURES / "uea"


class UeaSetTest(TestCase):
    """Any UEA/UCR set through `load_uea`: fixtures that differ from BasicMotions in every way."""

    def test_fixtures_are_what_the_script_writes(self):
        out = pathlib.Path(self.get_temp_dir())
        write_uea(out)
        written = sorted(p.relative_to(out) for p in (out / "uea").rglob("*") if p.is_file())
        self.assertEqual(written, sorted(p.relative_to(FIXTURES) for p in UEA.rglob("*") if p.is_file()))
        for relative in written:
            self.assertEqual((out / relative).read_bytes(), (FIXTURES / relative).read_bytes(), str(relative))

    def test_equal_length_univariate_set(self):
        data = load_har("uea", root=UEA / "GaitUnivariate")
        x_train, y_train, class_names = load_uea_ts(UEA / "GaitUnivariate" / "GaitUnivariate_TRAIN.ts")
        self.assertEqual((data.name, data.class_names, data.channel_names), ("GaitUnivariate", class_names, ["dim_0"]))
        self.assertEqual(class_names, ["still", "walk", "run"])
        self.assertEqual((data.x_train.shape, data.x_val.shape, data.x_test.shape), ((9, 40, 1), (3, 40, 1), (6, 40, 1)))
        np.testing.assert_array_equal(np.bincount(data.y_val), [1, 1, 1])  # stratified
        self.assertEqual(data.preprocessing, "")  # nothing resized
        self.assertIsNone(data.sampling_rate_hz)
        both = np.concatenate([data.x_train, data.x_val])
        np.testing.assert_array_equal(np.sort(both.sum(axis=(1, 2))), np.sort(x_train.sum(axis=(1, 2))))

    def test_variable_length_set_resampled_or_padded(self):
        train_file = UEA / "GaitVariable" / "GaitVariable_TRAIN.ts"
        series, y, class_names = load_uea_series(train_file)
        lengths = [len(s) for s in series]
        self.assertEqual((len(series), min(lengths), max(lengths), series[0].shape[1]), (20, 19, 30, 2))
        self.assertEqual(class_names, ["lie", "sit", "walk", "jog", "jump"])
        with self.assertRaisesRegex(ValueError, r"GaitVariable_TRAIN.ts:\d+: load_uea_ts needs equal-length series"):
            load_uea_ts(train_file)

        data = load_har("uea", root=train_file, val_fraction=0.2)
        self.assertEqual((data.window_length, data.num_channels, data.num_classes), (30, 2, 5))
        self.assertEqual((len(data.x_train), len(data.x_val), len(data.x_test)), (16, 4, 10))
        self.assertEqual(data.preprocessing, "series of 19-30 (train) and 18-30 (test) steps resampled (linear "
                                             "interpolation) to 30 steps: 18 of 20 training and 8 of 10 test series changed")
        longest = series[lengths.index(30)]  # unchanged, wherever the split put it
        every = np.concatenate([data.x_train, data.x_val])
        self.assertEqual(int(np.sum(np.all(every == longest, axis=(1, 2)))), 1)

        padded = load_har("uea", root=train_file, val_fraction=0.0, min_length=32, resize="pad")
        self.assertEqual(padded.window_length, 32)
        for case, raw in zip(padded.x_train, series):  # val_fraction 0 keeps the file's order
            np.testing.assert_array_equal(case[: len(raw)], raw)
            np.testing.assert_array_equal(case[len(raw):], 0.0)
        cut = load_har("uea", root=train_file, val_fraction=0.0, window_length=20, resize="pad")
        np.testing.assert_array_equal(cut.x_train[1], series[1][:20])

    def test_bad_sets_name_the_file(self):
        folder = pathlib.Path(self.get_temp_dir())
        with self.assertRaisesRegex(FileNotFoundError, r"no \*_TRAIN.ts file"):
            load_har("uea", root=folder)
        with self.assertRaisesRegex(ValueError, r"load_har\('uea'\) needs `root`"):
            load_har("uea")
        train = folder / "Mine_TRAIN.ts"
        train.write_text(HEADER + GOOD)
        with self.assertRaisesRegex(FileNotFoundError, r"Mine_TEST.ts: the test file of Mine_TRAIN.ts is missing"):
            load_har("uea", root=folder)
        (folder / "Mine_TEST.ts").write_text(HEADER.replace("true a b", "true a c") + "1,2,3:4,5,6:c\n")
        with self.assertRaisesRegex(ValueError, r"Mine_TEST.ts must declare the classes of Mine_TRAIN.ts, \['a', 'b'\]"):
            load_uea(train, val_fraction=0.0)
        (folder / "Other_TRAIN.ts").write_text(HEADER + GOOD)
        with self.assertRaisesRegex(ValueError, r"holds several UEA sets.*Received: Mine_TRAIN.ts, Other_TRAIN.ts"):
            load_har("uea", root=folder)
        with self.assertRaisesRegex(ValueError, r"Expected a <Name>_TRAIN.ts file.*Received: .*Mine_TEST.ts"):
            load_har("uea", root=folder / "Mine_TEST.ts")
        with self.assertRaisesRegex(ValueError, r"`window_length` must be an integer >= 32. Received: window_length=16"):
            load_har("uea", root=UEA / "GaitVariable", window_length=16, min_length=32)
        with self.assertRaisesRegex(TypeError, r"load_har\('uea'\) takes \['min_length', 'resize', 'sampling_rate_hz', "
                                               r"'step_seconds', 'window_length', 'window_seconds'\]"):
            load_har("uea", root=UEA / "GaitVariable", channels="all")


class UeaWindowsTest(TestCase):
    def test_long_series_are_cut_into_windows_after_a_split_by_series(self):
        # GaitUnivariate: 40 steps per series; at a stated 10 Hz, 1.6 s windows every 0.8 s: starts 0, 8, 16, 24.
        data = load_har("uea", root=UEA / "GaitUnivariate", window_seconds=1.6, sampling_rate_hz=10.0, seed=0)
        whole = load_har("uea", root=UEA / "GaitUnivariate", seed=0)
        self.assertEqual((data.window_length, data.sampling_rate_hz), (16, 10.0))
        for split in ("train", "val", "test"):
            recording = getattr(data, f"recordings_{split}")
            self.assertEqual(np.bincount(recording).max(), 4)
            self.assertEqual(len(np.unique(recording)), len(getattr(whole, f"y_{split}")))
        # The same series went to validation as without windows (the split is made on series first).
        self.assertEqual(len(np.unique(data.recordings_val)), len(whole.y_val))
        self.assertFalse(set(data.recordings_train) & set(data.recordings_val))
        # Each window is a slice of its own series: the third window of test series 1 is its steps 16-31.
        series = load_uea_series(UEA / "GaitUnivariate" / "GaitUnivariate_TEST.ts")[0]
        np.testing.assert_array_equal(data.x_test[data.recordings_test == 1][2], series[1][16:32])
        with self.assertRaisesRegex(ValueError, r"does not say its sampling rate: give sampling_rate_hz"):
            load_har("uea", root=UEA / "GaitUnivariate", window_seconds=1.6)
        with self.assertRaisesRegex(ValueError, r"window_length \(whole series\) and window_seconds"):
            load_har("uea", root=UEA / "GaitUnivariate", window_seconds=1.6, sampling_rate_hz=10.0, window_length=40)
