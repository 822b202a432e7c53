"""The generator-only overfit of `domains.speech.training`: the losses fall, and (large) the pipeline learns."""

import json
import pathlib
import sys

import keras
import pytest

from core.data.audio import read_audio
from core.testing import TestCase
from domains.speech.data import asterisk_files
from domains.speech.model import build_model
from domains.speech.training import overfit_generator, overfit_schedule, train_apnet


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


    def test_the_spectral_recipe_trains_the_generator_alone_with_its_schedule_and_saves(self):
        keras.utils.set_random_seed(0)
        model = build_model("8k", channels=4, kernel_sizes=(3,), discriminator_scale=0.125)
        discriminator = [w.copy() for d in model.discriminator.values() for w in d.get_weights()]
        generator = [w.copy() for w in model.generator.get_weights()]
        wave = utterance(1.0)[0]
        output = pathlib.Path(self.get_temp_dir())
        trained = train_apnet(model, [wave], wave[None, :4000], output, epochs=1, steps_per_epoch=4, batch_size=2,
                              learning_rate=2e-3, verbose=0, recipe="spectral")
        self.assertEqual(trained["steps"], 4)
        self.assertFalse(any(key.startswith(("discriminator", "val_discriminator")) for key in trained["history"]))
        self.assertNotIn("generator_adversarial", trained["history"])
        for a, b in zip(discriminator, [w for d in model.discriminator.values() for w in d.get_weights()]):
            self.assertAllClose(a, b)
        self.assertFalse(all((a == b).all() for a, b in zip(generator, model.generator.get_weights())))
        optimizer = model.generator_optimizer
        self.assertAllClose(float(optimizer.learning_rate), 2e-5)  # the cosine ended at 1 % on the last step
        self.assertAllClose((optimizer.beta_1, optimizer.beta_2), (0.8, 0.99))
        restored = keras.saving.load_model(output / "best.keras")
        self.assertFalse(restored.adversarial)
        with self.assertRaisesRegex(ValueError, "recipe must be one of"):
            train_apnet(model, [wave], wave[None, :4000], output / "x", epochs=1, steps_per_epoch=1, recipe="gan")

    def test_the_learning_curve_scores_whole_validation_files_and_arctic_at_the_model_rate(self):
        from domains.speech.task import _curve_scorer

        keras.utils.set_random_seed(0)
        model = build_model("8k", channels=4, kernel_sizes=(3,), discriminator_scale=0.125)
        wave = utterance(0.5)[0]
        row = _curve_scorer(model, [wave, wave[:2000]], {"arctic": True, "multichannel": "refuse"})(model)
        self.assertEqual(set(row), {"validation", "arctic"})
        for scores in row.values():
            for key in ("pesq", "stoi", "f0_rmse_hz", "vuv_error", "lsd_db", "level_db"):
                self.assertIn(key, scores)
            self.assertLess(scores["level_db"], -5.0)  # an untrained generator is far too quiet
        self.assertEqual(set(_curve_scorer(model, [wave], {"arctic": False, "multichannel": "refuse"})(model)),
                         {"validation"})

    def test_schedule_is_constant_then_decays_by_a_cosine_to_its_floor(self):
        schedule = overfit_schedule(2e-3, 1000, decay_fraction=0.2, floor=0.01)
        rate = lambda step: float(schedule(step))
        for step in (0, 500, 800):
            self.assertAllClose(rate(step), 2e-3)
        self.assertAllClose(rate(900), 2e-3 * (0.01 + 0.99 * 0.5))  # half-way down the cosine
        self.assertAllClose(rate(1000), 2e-5)
        self.assertAllClose(rate(5000), 2e-5)  # stays at the floor past the end
        self.assertGreater(rate(850), rate(900))
        self.assertAllClose(float(overfit_schedule(1e-3, 10)(9)), 1e-3)  # no decay: constant to the end
        with self.assertRaisesRegex(ValueError, "decay_fraction"):
            overfit_schedule(1e-3, 10, decay_fraction=1.0)

    def test_a_resumed_fit_continues_the_step_count_and_the_schedule(self):
        keras.utils.set_random_seed(0)
        model = build_model("8k", channels=4, kernel_sizes=(3,), discriminator_scale=0.125)
        saved = []
        curve = overfit_generator(model, utterance(0.25), steps=40, learning_rate=1e-3, log_every=10, metrics=False,
                                  verbose=False, decay_fraction=0.5, first_step=20, on_score=saved.append)
        self.assertEqual([row["step"] for row in curve], [30, 40])
        self.assertEqual(saved, curve)
        schedule = overfit_schedule(1e-3, 40, decay_fraction=0.5)
        # the rate of each row is the schedule's at that step, not at the step counted from this call
        self.assertAllClose([row["learning_rate"] for row in curve], [float(schedule(29)), float(schedule(39))])
        self.assertLess(curve[0]["learning_rate"], 1e-3)
        with self.assertRaisesRegex(ValueError, "first_step"):
            overfit_generator(model, utterance(0.25), steps=20, first_step=20, metrics=False, verbose=False)


# The stored learning curve of the overfit recipe (scripts/speech_overfit.py; README, speech).
STORED_CURVE = pathlib.Path(__file__).resolve().parents[3] / "domains" / "speech" / "presets" / "overfit_curve.json"


@pytest.mark.large
class OverfitLargeTest(TestCase):
    def test_one_utterance_follows_the_stored_curve_to_step_2000(self):
        # The stored run's rate is constant until its decay starts, so the same recipe stopped at step 2,000
        # repeats its first 2,000 steps (about 5 min on the loaded 2 cores) and must land near the stored row.
        # Runs are not bit-identical (oneDNN's threaded sums; step 1 is): a rerun under pytest differed from the
        # stored row by 0.01 in PESQ, 0.005 in STOI, 0.6 Hz in F0 RMSE, 0.33 dB in level, 0.05 rad in the IP
        # and IAF losses, 0.03 in GD; the tolerances are about twice that (PESQ's and F0's wider).
        sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[3] / "scripts"))
        import speech_overfit

        stored = json.loads(STORED_CURVE.read_text())
        arguments, step = stored["arguments"], 2000
        self.assertLessEqual(step, arguments["steps"] * (1 - arguments["decay_fraction"]))  # before the decay
        expected = next(row for row in stored["curve"] if row["step"] == step)
        curve = speech_overfit.main(["--utterances", str(arguments["utterances"]), "--channels",
                                     str(arguments["channels"]), "--learning-rate", str(arguments["learning_rate"]),
                                     "--seconds-of-audio", str(arguments["seconds_of_audio"]), "--seed",
                                     str(arguments["seed"]), "--steps", str(step), "--log-every", str(step),
                                     "--output", self.get_temp_dir()])
        last = curve[-1]
        self.assertEqual(last["step"], step)
        tolerances = {"pesq": 0.2, "stoi": 0.02, "f0_rmse_hz": 1.5, "level_db": 0.7, "instantaneous_phase": 0.1,
                      "group_delay": 0.06, "instantaneous_frequency": 0.1}
        for key, tolerance in tolerances.items():
            self.assertAllClose(last[key], expected[key], atol=tolerance, msg=key)
        # the pipeline has left the random-phase values and found the pitch by then
        self.assertLess(last["instantaneous_phase"], 0.6)
        self.assertLess(last["f0_rmse_hz"], 5.0)
