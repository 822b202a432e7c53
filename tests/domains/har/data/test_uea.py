"""UEA `.ts` reader and sets: the real BasicMotions files, UEA-format fixtures, and small broken files."""

import importlib.util
import os
import pathlib
import re

import numpy as np
from absl.testing import parameterized

from core.data import samples
from core.testing import TestCase
from domains.har.data import (BASICMOTIONS_CHANNELS, load_basicmotions, load_har, load_uea, load_uea_series,
                              load_uea_ts)

CLASS_NAMES = ["Standing", "Running", "Walking", "Badminton"]

HEADER = """# a comment line
@problemName Tiny
@timeStamps false
@missing false
@univariate false
@dimensions 2
@equalLength true
@seriesLength 3
@classLabel true a b
@data
"""  # `@data` is line 10, so the first case is line 11
GOOD = "1,2,3:4,5,6:a\n-1.5,0,2e-3:7,8,9:b\n"


def _raw_case(path, index):
    """Parse case `index` of a `.ts` file with plain string splitting: (dims x length, label)."""
    with open(path) as f:
        lines = [line.strip() for line in f if line.strip() and not line.startswith(("#", "@"))]
    *dims, label = lines[index].split(":")
    return np.array([[float(v) for v in d.split(",")] for d in dims]), label


class RealBasicMotionsTest(TestCase):
    @parameterized.named_parameters(("train", "train"), ("test", "test"))
    def test_real_file(self, subset):
        path = samples.fetch(f"har.basicmotions_{subset}", verbose=False)
        x, y, class_names = load_uea_ts(path)
        self.assertEqual(x.shape, (40, 100, 6))
        self.assertEqual(x.dtype, np.float32)
        self.assertEqual(y.dtype, np.int64)
        self.assertEqual(class_names, CLASS_NAMES)
        np.testing.assert_array_equal(np.bincount(y, minlength=4), [10, 10, 10, 10])
        self.assertTrue(np.isfinite(x).all())
        # Channels last: case 17's dimension d is column d, in time order, with its own label.
        for index in (0, 17, 39):
            raw, label = _raw_case(path, index)
            np.testing.assert_allclose(x[index].T, raw.astype(np.float32))
            self.assertEqual(class_names[y[index]], label)

    def test_first_values_of_the_train_file(self):
        x, y, _ = load_uea_ts(samples.fetch("har.basicmotions_train", verbose=False))
        np.testing.assert_allclose(x[0, :3, 0], [0.079106, 0.079106, -0.903497], rtol=1e-6)
        self.assertEqual(y[0], 0)  # the first case is Standing, the header's first class

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


class TsFormatTest(TestCase):
    def write(self, text, name="tiny.ts"):
        path = os.path.join(self.get_temp_dir(), name)
        with open(path, "w", newline="") as f:
            f.write(text)
        return path

    def test_small_file(self):
        x, y, class_names = load_uea_ts(self.write(HEADER + GOOD))
        self.assertEqual(class_names, ["a", "b"])
        np.testing.assert_array_equal(y, [0, 1])
        np.testing.assert_allclose(x[1], np.array([[-1.5, 0, 2e-3], [7, 8, 9]], np.float32).T)

    def test_crlf_blank_lines_and_comments(self):
        text = (HEADER + "\n# comment among the cases\n" + GOOD + "\n").replace("\n", "\r\n")
        x, y, _ = load_uea_ts(self.write(text))
        self.assertEqual(x.shape, (2, 3, 2))
        np.testing.assert_array_equal(y, [0, 1])

    def test_univariate_file_without_dimensions(self):
        text = "@problemName U\n@univariate true\n@equalLength true\n@classLabel true 1 2\n@data\n1,2,3,4:2\n5,6,7,8:1\n"
        x, y, class_names = load_uea_ts(self.write(text))
        self.assertEqual(x.shape, (2, 4, 1))
        self.assertEqual(class_names, ["1", "2"])
        np.testing.assert_array_equal(y, [1, 0])

    def test_missing_values_allowed_become_nan(self):
        path = self.write(HEADER + "1,?,3:4,5,NaN:a\n")
        x, _, _ = load_uea_ts(path, allow_missing=True)
        np.testing.assert_array_equal(np.isnan(x[0]), [[False, False], [True, False], [False, True]])

    @parameterized.named_parameters(
        ("empty_file", "", r"tiny\.ts: the file is empty"),
        ("blank_file", "\n  \n", r"tiny\.ts: the file is empty"),
        ("no_data_line", HEADER.replace("@data\n", ""), r"tiny\.ts: no `@data` line"),
        ("no_cases", HEADER, r"tiny\.ts: no cases after `@data` \(line 10\)"),
        ("ragged_dimensions", HEADER + "1,2,3:4,5:a\n", r"tiny\.ts:11: .*different lengths.*\[3, 2\]"),
        ("ragged_cases", HEADER.replace("@seriesLength 3\n", "") + "1,2,3:4,5,6:a\n1,2:3,4:b\n",
         r"tiny\.ts:11: the header says @equalLength true.*line 10 has 3"),
        ("series_length", HEADER + "1,2,3,4:5,6,7,8:a\n", r"tiny\.ts:11: the header says @seriesLength 3\. Received: 4"),
        ("too_few_dimensions", HEADER + "1,2,3:a\n", r"tiny\.ts:11: expected 2 dimension\(s\).*Received: 2 fields"),
        ("too_many_dimensions", HEADER + "1,2,3:1,2,3:1,2,3:a\n", r"tiny\.ts:11: .*Received: 4 fields"),
        ("question_mark", HEADER + GOOD + "1,?,3:4,5,6:a\n", r"tiny\.ts:13: missing value in dimension 0 at position 1.*allow_missing=True"),
        ("nan", HEADER + "1,2,3:4,nan,6:a\n", r"tiny\.ts:11: missing value in dimension 1 at position 1"),
        ("unknown_label", HEADER + GOOD + "1,2,3:4,5,6:c\n", r"tiny\.ts:13: label 'c' is not declared in @classLabel \['a', 'b'\]"),
        ("non_numeric", HEADER + "1,2,3:4,x5,6:a\n", r"tiny\.ts:11: non-numeric value in dimension 1 at position 1\. Received: 'x5'"),
        ("empty_value", HEADER + "1,,3:4,5,6:a\n", r"tiny\.ts:11: non-numeric value in dimension 0 at position 1\. Received: ''"),
        ("infinite", HEADER + "1,2,inf:4,5,6:a\n", r"tiny\.ts:11: infinite value"),
        ("timestamps", HEADER.replace("@timeStamps false", "@timeStamps true") + GOOD, r"tiny\.ts:10: .*time stamps"),
        ("no_class_label", HEADER.replace("@classLabel true a b\n", "") + GOOD, r"tiny\.ts:9: .*no `@classLabel"),
        ("class_label_false", HEADER.replace("@classLabel true a b", "@classLabel false") + GOOD, r"tiny\.ts:9: the file has no class labels"),
        ("bad_dimensions", HEADER.replace("@dimensions 2", "@dimensions two") + GOOD, r"tiny\.ts:6: @dimensions needs one positive integer"),
        ("bad_boolean", HEADER.replace("@missing false", "@missing maybe") + GOOD, r"tiny\.ts:4: @missing takes `true` or `false`"),
        ("data_before_header_end", "1,2,3:4,5,6:a\n" + HEADER, r"tiny\.ts:1: data before the `@data` line"),
        ("tag_after_data", HEADER + GOOD + "@seriesLength 3\n", r"tiny\.ts:13: header tag after `@data`"),
    )
    def test_broken_file(self, text, pattern):
        path = self.write(text)
        with self.assertRaisesRegex(ValueError, pattern) as ctx:
            load_uea_ts(path)
        self.assertIn(path, str(ctx.exception))

    def test_missing_file(self):
        path = os.path.join(self.get_temp_dir(), "absent.ts")
        with self.assertRaisesRegex(FileNotFoundError, re.escape(path)):
            load_uea_ts(path)


FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures"
UEA = FIXTURES / "uea"


class UeaSetTest(TestCase):
    """Any UEA/UCR set through `load_uea`: fixtures that differ from BasicMotions in every way."""

    def test_fixtures_are_what_the_script_writes(self):
        spec = importlib.util.spec_from_file_location("har_make_fixtures", FIXTURES / "make_fixtures.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        out = pathlib.Path(self.get_temp_dir())
        module.write_uea(out)
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
        with self.assertRaisesRegex(TypeError, r"load_har\('uea'\) takes \['min_length', 'resize', 'window_length'\]"):
            load_har("uea", root=UEA / "GaitVariable", channels="all")
