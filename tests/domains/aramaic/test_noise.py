"""The renderer's noise bank and FFT blur (`domains/aramaic/noise.py`)."""

import numpy as np

from core.testing import TestCase
from domains.aramaic.noise import NOISE_BETAS, bank_size, blur, noise_bank, noise_fields


class NoiseBankTest(TestCase):
    def test_bank_fields_have_unit_std_and_are_periodic_and_fixed(self):
        bank = noise_bank(32, 4)
        self.assertEqual(bank.shape, (len(NOISE_BETAS), 4, 32, 32))
        self.assertAllClose(bank.std(axis=(2, 3)), np.ones((len(NOISE_BETAS), 4)), atol=1e-4)
        np.testing.assert_array_equal(noise_bank(32, 4), bank)  # the same bank for every stream
        self.assertEqual((bank_size(64), bank_size(224)), (16, 4))

    def test_views_are_shifted_and_turned_windows_of_the_tiled_bank(self):
        bank = noise_bank(32, 4)
        tiled = np.tile(bank, (1, 1, 2, 2))
        choices = np.zeros((2, len(NOISE_BETAS), 4), "int64")
        choices[1, :] = (2, 4, 5, 7)  # field 2, transposed, shifted by (5, 7)
        fields = noise_fields(tiled, choices, 32)
        position = list(NOISE_BETAS).index("crust")
        np.testing.assert_array_equal(fields["crust"][0], bank[position, 0])
        shifted = np.roll(bank[position, 2], (-5, -7), axis=(0, 1))
        np.testing.assert_array_equal(fields["crust"][1], shifted.T)


class BlurTest(TestCase):
    def test_blur_smooths_only_the_fields_of_nonzero_width_each_on_its_own(self):
        fields = np.random.default_rng(0).random((3, 32, 32, 3)).astype("float32")
        smooth = blur(fields, [[1.5, 1.5], [0.0, 0.0], [0.5, 2.0]])
        np.testing.assert_array_equal(smooth[1], fields[1])
        self.assertLess(smooth[0].std(), fields[0].std())
        alone = blur(fields[2:], [[0.5, 2.0]])
        self.assertAllClose(alone[0], smooth[2], atol=1e-6)
        self.assertIs(blur(fields, np.zeros((3, 2))), fields)
