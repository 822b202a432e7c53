"""The stone (`domains/aramaic/stone.py`): textured basalt or limestone, one flat colour when switched off."""

import numpy as np
import pytest

from core.testing import TestCase
from domains.aramaic.letters import NO_LETTER_CLASS
from domains.aramaic.noise import noise_fields
from domains.aramaic.stone import STONES, stone_surface
from domains.aramaic.synth import AramaicSynth, Columns


@pytest.mark.usefixtures("noto_font")
class StoneTest(TestCase):
    def stone(self, ablate):
        synth = AramaicSynth(image_size=32, fonts=self.noto_font, min_legibility=0.0, ablate=ablate,
                             neighbour_probability=0.0)
        return synth.example(0, label=NO_LETTER_CLASS, severity=1.0, stages=True).stages["stone"]

    def test_stone_switched_off_is_one_flat_colour(self):
        # A blank stone ("No Letter", no neighbour): flat when the stone is off, textured otherwise.
        self.assertEqual(np.ptp(self.stone(("stone",)), axis=(0, 1)).max(), 0)
        self.assertGreater(np.ptp(self.stone(()), axis=(0, 1)).max(), 0.01)

    def test_basalt_is_dark_and_limestone_light(self):
        means = {}
        for name in STONES:
            synth = AramaicSynth(image_size=32, fonts=self.noto_font, stones=(name,))
            column = Columns(synth.conditions(8))
            height, albedo = stone_surface(column, noise_fields(synth._tiled, column("noise"), 32))
            self.assertEqual((height.shape, albedo.shape), ((8, 32, 32), (8, 32, 32, 3)))
            self.assertTrue(0.02 <= albedo.min() and albedo.max() <= 1.0)
            means[name] = albedo.mean()
        self.assertLess(means["basalt"], 0.5 * means["limestone"])
