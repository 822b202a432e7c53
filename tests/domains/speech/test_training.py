"""The generator-only overfit of `domains.speech.training`: the losses fall, and (large) the pipeline learns."""

import pathlib
import sys

import keras
import numpy as np
import pytest

from core.data.audio import read_audio
from core.testing import TestCase
from domains.speech.data import asterisk_files
from domains.speech.model import build_model
from domains.speech.training import overfit_generator


def utterance(seconds):
    path = next(p for p in asterisk_files() if p.name == "activated.wav")
    return read_audio(path, 8000)[None, : int(seconds * 8000)]


class OverfitTest(TestCase):
    def test_overfit_lowers_the_spectral_losses_and_trains_the_generator_alone(self):
        keras.utils.set_random_seed(0)
        model = build_model("8k", channels=4, kernel_sizes=(3,), discriminator_scale=0.125)
        before = [w.copy() for w in model.discriminator["mpd"].get_weights()]
        curve = overfit_generator(model, utterance(0.25), steps=30, learning_rate=3e-3, log_every=10, metrics=False,
                                  verbose=False)
        self.assertEqual([row["step"] for row in curve], [1, 10, 20, 30])
        first, last = curve[0], curve[-1]
        for key in ("loss", "amplitude", "mel"):
            self.assertLess(last[key], first[key], key)
        self.assertLess(first["level_db"], -5.0)  # an untrained generator is far too quiet
        for a, b in zip(before, model.discriminator["mpd"].get_weights()):
            self.assertAllClose(a, b)
        # a wall-time cap ends the fit at once, with the step it reached scored, here with every metric
        capped = overfit_generator(model, utterance(0.25), steps=1000, log_every=500, seconds=0.0, verbose=False)
        self.assertEqual([row["step"] for row in capped], [1])
        for key in ("pesq", "stoi", "f0_rmse_hz", "vuv_error", "lsd_db", "instantaneous_phase"):
            self.assertIn(key, capped[0])


@pytest.mark.large
class OverfitLargeTest(TestCase):
    def test_one_utterance_is_learnt_pitch_level_and_phase(self):
        # scripts/speech_overfit.py --utterances 1 --channels 64 --steps 2000 (about 6 min on 2 cores at load 15):
        # measured PESQ 2.61, F0 RMSE 2.9 Hz, level -0.9 dB, IP 0.40 at step 2000 (from 1.09, 54 Hz,
        # -11.4 dB, 1.57 at step 1: the phase losses leave their random-phase value π/2).
        sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[3] / "scripts"))
        import speech_overfit

        curve = speech_overfit.main(["--utterances", "1", "--channels", "64", "--steps", "2000", "--log-every",
                                     "500", "--output", self.get_temp_dir()])
        last = curve[-1]
        self.assertLess(last["instantaneous_phase"], 0.6)
        self.assertLess(last["instantaneous_frequency"], 0.8)
        self.assertLess(last["f0_rmse_hz"], 5.0)
        self.assertLess(abs(last["level_db"]), 1.5)
        self.assertGreater(last["pesq"], 2.3)
        self.assertGreater(last["stoi"], 0.95)
