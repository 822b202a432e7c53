"""One window length for series of any length: linear resampling and zero padding."""

import numpy as np

from core.testing import TestCase
from domains.har.data import fit_length


class FitLengthTest(TestCase):
    def test_resample_interpolates_linearly_over_the_whole_series(self):
        ramp = np.array([[0.0, 10.0], [1.0, 20.0], [2.0, 30.0]])
        x, changed = fit_length([ramp, np.ones((5, 2))], 5, "resample")
        self.assertEqual((x.shape, x.dtype, changed), ((2, 5, 2), np.float32, 1))
        np.testing.assert_allclose(x[0], [[0, 10], [0.5, 15], [1, 20], [1.5, 25], [2, 30]])
        np.testing.assert_array_equal(x[1], np.ones((5, 2)))  # already 5 steps: copied unchanged
        shorter, _ = fit_length([np.arange(9.0)[:, None]], 3, "resample")
        np.testing.assert_allclose(shorter[0, :, 0], [0, 4, 8])  # first and last samples kept
        single, _ = fit_length([np.full((1, 2), 7.0)], 4, "resample")
        np.testing.assert_array_equal(single[0], np.full((4, 2), 7.0))

    def test_pad_appends_zeros_and_cuts_longer_series(self):
        x, changed = fit_length(np.arange(12.0).reshape(2, 6, 1), 4, "pad")
        np.testing.assert_array_equal(x[:, :, 0], [[0, 1, 2, 3], [6, 7, 8, 9]])
        self.assertEqual(changed, 2)
        x, _ = fit_length([np.array([[1.0], [2.0]])], 4, "pad")
        np.testing.assert_array_equal(x[0, :, 0], [1, 2, 0, 0])

    def test_bad_arguments(self):
        for series, length, method, pattern in (
            ([np.zeros((3, 1))], 4, "stretch", r"`method` must be one of \['resample', 'pad'\]. Received: method='stretch'"),
            ([np.zeros((3, 1))], 0, "pad", r"`length` must be a positive integer. Received: length=0"),
            ([np.zeros((3, 1)), np.zeros((3, 2))], 4, "pad", r"`my.ts` must be non-empty .*one channel count"),
            ([np.zeros((0, 1))], 4, "pad", r"`my.ts` must be non-empty"),
        ):
            with self.subTest(pattern=pattern), self.assertRaisesRegex(ValueError, pattern):
                fit_length(series, length, method, name="my.ts")
