"""UEA `.ts` reader: the real BasicMotions files and small broken files (the sets: test_datasets.py)."""

import os
import re

import numpy as np
from absl.testing import parameterized

from core.data import samples
from core.testing import TestCase
from domains.har.data import load_uea_ts

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
