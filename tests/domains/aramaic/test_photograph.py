"""The photograph (`domains/aramaic/photograph.py`): neutral when switched off."""

import numpy as np
import pytest

from core.testing import TestCase
from domains.aramaic.synth import AramaicSynth


@pytest.mark.usefixtures("noto_font")
class PhotographTest(TestCase):
    def test_photograph_switched_off_exposes_to_half_with_gamma_2_2(self):
        synth = AramaicSynth(image_size=32, fonts=self.noto_font, min_legibility=0.0, ablate=("photo",))
        off = synth.example(2, label=9, severity=1.0, stages=True).stages
        # The lit surface exposed to a mean of 0.5, gamma 2.2, no noise, blur or JPEG.
        lit = off["damage"].astype("float64")
        expected = np.clip(lit * 0.5 / (lit.mean() + 1e-4), 0, 1) ** (1 / 2.2)
        np.testing.assert_allclose(off["photograph"], expected, atol=1.01 / 255)
