"""The smartwatch shoulder-exercise reader and its subject-wise, windowed splits, on a file of its layout."""

import pathlib

import numpy as np

from core.testing import TestCase
from domains.har.data import load_har
from domains.har.data.watch import WATCH_TEST_SUBJECTS, load_watch
from tests.domains.har.data.fixtures.make_fixtures import write_watch


class _Evil:
    def __reduce__(self):
        return (print, ("not an array",))


class LoadWatchTest(TestCase):
    def test_reads_the_recordings_and_refuses_anything_but_arrays(self):
        folder = pathlib.Path(self.get_temp_dir())
        series, labels, subjects, sides = load_watch(write_watch(folder))
        self.assertEqual((len(series), series[0].shape[1], series[0].dtype), (140, 6, np.float32))
        self.assertEqual(np.bincount(labels).tolist(), [20] * 7)
        self.assertEqual(sorted(set(subjects.tolist())), list(range(1, 11)))
        self.assertEqual(series[3][0, 0], subjects[3] * 100 + labels[3] * 10 + sides[3])
        evil = folder / "evil.npy"
        np.save(evil, np.array({"X": _Evil()}, dtype=object), allow_pickle=True)
        with self.assertRaisesRegex(ValueError, r"may hold NumPy arrays only. Received: builtins.print"):
            load_watch(evil)
        with self.assertRaisesRegex(FileNotFoundError, r"missing.npy"):
            load_watch(folder / "missing.npy")

    def test_splits_by_subject_then_cuts_windows_of_one_recording_each(self):
        folder = pathlib.Path(self.get_temp_dir())
        write_watch(folder)
        data = load_har("watch", root=folder, window_seconds=1.0, step_seconds=0.5, seed=0)
        self.assertEqual((data.window_length, data.sampling_rate_hz), (50, 50.0))
        self.assertTrue(data.windowed)
        subjects = [set(np.unique(getattr(data, f"subjects_{split}")).tolist()) for split in ("train", "val", "test")]
        self.assertEqual(subjects[2], set(WATCH_TEST_SUBJECTS))
        self.assertEqual(len(subjects[1]), 2)  # 20 % of the 7 other subjects, rounded up
        self.assertEqual(subjects[0] | subjects[1] | subjects[2], set(range(1, 11)))
        self.assertFalse(subjects[0] & subjects[1])
        for split in ("train", "val", "test"):
            x, y = getattr(data, f"x_{split}"), getattr(data, f"y_{split}")
            recording, subject = getattr(data, f"recordings_{split}"), getattr(data, f"subjects_{split}")
            tag = x[:, :, 0]
            # Every window holds one recording's steps only, and its labels say which.
            self.assertTrue(np.all(tag == tag[:, :1]))
            np.testing.assert_array_equal(tag[:, 0] // 100, subject)
            np.testing.assert_array_equal((tag[:, 0] // 10) % 10, y)
            self.assertEqual(len(np.unique(recording)), len(np.unique(tag[:, 0])))
        self.assertEqual(len(np.unique(data.recordings_test)), 42)
        whole = load_har("watch", root=folder, window_seconds=0, seed=0)
        self.assertFalse(whole.windowed)
        self.assertEqual((len(whole.x_test), whole.x_test.shape[1]), (42, max(len(s) for s in
                         load_watch(folder / "watch_dataset.npy")[0][:98])))
