"""Windows cut per recording and votes per recording."""

import numpy as np

from core.testing import TestCase
from domains.har.data.windows import cut_windows, recording_labels, vote, window_steps


class CutWindowsTest(TestCase):
    def test_a_window_never_straddles_two_recordings(self):
        # Each recording holds its own index plus its time step: a window mixing two would show it.
        series = [np.stack([np.full(n, float(r)), np.arange(n, dtype=float)], axis=1) for r, n in enumerate((23, 9, 16))]
        x, y, recording = cut_windows(series, np.array([2, 0, 1]), 8, 3)
        # 23 steps: starts 0, 3, ..., 15 (6 windows); 9: 0 (1); 16: 0, 3, 6 (3).
        self.assertEqual(recording.tolist(), [0] * 6 + [1] + [2] * 3)
        self.assertEqual(y.tolist(), [2] * 6 + [0] + [1] * 3)
        for window, r in zip(x, recording):
            self.assertTrue(np.all(window[:, 0] == r))
            self.assertEqual(np.diff(window[:, 1]).tolist(), [1.0] * 7)
        self.assertEqual(x[1:6, 0, 1].tolist(), [3.0, 6.0, 9.0, 12.0, 15.0])

    def test_a_recording_shorter_than_a_window_is_one_padded_window(self):
        x, y, recording = cut_windows([np.ones((5, 2))], np.array([1]), 8, 4)
        self.assertEqual((x.shape, recording.tolist()), ((1, 8, 2), [0]))
        self.assertEqual(x[0, :, 0].tolist(), [1.0] * 5 + [0.0] * 3)
        with self.assertRaisesRegex(ValueError, r"Received: 1 recordings, 2 labels"):
            cut_windows([np.ones((5, 2))], np.array([1, 0]), 4, 2)
        with self.assertRaisesRegex(ValueError, r"Received: window=4, step=0"):
            cut_windows([np.ones((5, 2))], np.array([1]), 4, 0)

    def test_steps_from_seconds_and_the_sampling_rate(self):
        self.assertEqual(window_steps(50.0), (200, 100))
        self.assertEqual(window_steps(50.0, 6.0, 1.0), (300, 50))
        with self.assertRaisesRegex(ValueError, r"needs at least 32. Received: window_seconds=0.5"):
            window_steps(50.0, 0.5, min_length=32)
        with self.assertRaisesRegex(ValueError, r"sampling_rate_hz=None"):
            window_steps(None)


class VoteTest(TestCase):
    def test_votes_average_the_windows_of_each_recording_only(self):
        # Windows of recordings 7 and 2, interleaved.
        probabilities = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.4, 0.6], [0.1, 0.9]])
        recording = np.array([7, 2, 7, 2, 2])
        ids, mean = vote(probabilities, recording)
        self.assertEqual(ids.tolist(), [2, 7])
        self.assertAllClose(mean, [[0.7 / 3, 2.3 / 3], [0.75, 0.25]])
        labels = recording_labels(np.array([0, 1, 0, 1, 1]), recording)
        self.assertEqual(labels.tolist(), [1, 0])
        # Recording-level accuracy from the votes: both recordings right, though one window of 7 is wrong.
        self.assertEqual(np.mean(mean.argmax(axis=1) == labels), 1.0)
        with self.assertRaisesRegex(ValueError, r"recordings \[7\] with windows of several"):
            recording_labels(np.array([0, 1, 1, 1, 1]), recording)

    def test_log_vote_is_the_normalised_geometric_mean_of_the_windows(self):
        probabilities = np.array([[0.99, 0.01], [0.3, 0.7], [0.3, 0.7], [0.3, 0.7], [0.3, 0.7]])
        recording = np.array([0, 0, 0, 0, 1])
        ids, voted = vote(probabilities, recording, "log")
        geometric = np.prod(probabilities[:4], axis=0) ** (1 / 4)
        self.assertAllClose(voted[0], geometric / geometric.sum())
        self.assertAllClose(voted[1], [0.3, 0.7])
        # One confident window outvotes three unsure ones in the product, not in the mean.
        self.assertEqual(int(voted[0].argmax()), 0)
        self.assertEqual(int(vote(probabilities, recording, "mean")[1][0].argmax()), 1)
        with self.assertRaisesRegex(ValueError, "method='median'"):
            vote(probabilities, recording, "median")
