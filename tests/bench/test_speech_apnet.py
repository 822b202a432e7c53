"""bench/speech_apnet.py: which HiFi-GAN each row is (the official v1 or a variant at APNet's hop)."""

from bench import speech_apnet
from core.testing import TestCase
from tests.domains.speech.conftest import gains


class HifiganRowsTest(TestCase):
    def test_the_official_v1_row_is_v1_and_the_variants_say_they_are_not(self):
        counts = {}
        for features in ("16k", "8k"):
            # weight norm kept here (folding clones the model: slow); the bench times them folded
            for name, (model, rate, hop) in speech_apnet.hifigan_generators(features, fold=False).items():
                counts[name] = (model.count_params() - gains(model), rate, hop)  # the folded count
                # the rate and hop a row names are the ones it is built with
                self.assertIn(f"{rate / 1000:g} kHz", name)
                self.assertIn(f"hop {hop}", name)
        self.assertEqual(counts, {
            "HiFi-GAN v1, official (22.05 kHz, hop 256)": (13_926_017, 22050, 256),  # docs/official_implementations.md
            "HiFi-GAN, v1 widths at 16 kHz hop 80 (not v1)": (12_877_441, 16000, 80),
            "HiFi-GAN, v1 widths at 8 kHz hop 40 (not v1)": (12_739_841, 8000, 40),
        })
