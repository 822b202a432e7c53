"""The Aramaic preset's recipe (`domains/aramaic/presets.py`) and what it shipped (loading, size, score: test_template.py)."""

import numpy as np
import pytest

from core.presets import Recipe
from core.testing import TestCase
from domains.aramaic import AramaicClassifier
from domains.aramaic.presets import RECIPES

NAME = "aramaic_letters_small"


class PresetTest(TestCase):
    def test_the_recipe_trains_the_letters_task_and_scores_on_the_test_split(self):
        recipe = RECIPES[NAME]
        self.assertIsInstance(recipe, Recipe)
        self.assertEqual(recipe.task, "aramaic.letters")
        self.assertEqual(recipe.evaluate, {"test_examples": 2300})
        self.assertEqual(recipe.options["time_minutes"], 90.0)

    def test_the_shipped_model_is_the_recipes_calibrated_one(self):
        metadata = AramaicClassifier.presets()[NAME]
        self.assertEqual((metadata["class"], metadata["task"], metadata["seed"]), ("AramaicClassifier", "aramaic.letters", 0))
        model = AramaicClassifier.from_preset(NAME)
        self.assertEqual(model.image_size, RECIPES[NAME].options["image_size"])
        self.assertEqual(list(model.backbone.get_config()["widths"]), [16, 32, 64, 128])
        test = metadata["metrics"]["synthetic_test"]  # what its training run measured
        self.assertAlmostEqual(model.temperature, test["temperature"])
        self.assertNotEqual(model.temperature, 1.0)
        self.assertAlmostEqual(model.illegible_threshold, test["illegible_threshold"])
        answers = model.answer(np.zeros((2, 64, 64, 3), "float32"))
        self.assertEqual((len(answers), len(answers[0]["top3"])), (2, 3))
        with self.assertRaisesRegex(ValueError, f"No preset 'nope' for AramaicClassifier .* Its presets: {NAME}"):
            AramaicClassifier.from_preset("nope")

    def test_the_recorded_score_is_the_one_its_training_run_measured(self):
        metadata = AramaicClassifier.presets()[NAME]
        score, trained = metadata["score"], metadata["metrics"]["synthetic_test"]
        for key in ("accuracy", "top3_accuracy", "macro_f1", "expected_calibration_error", "answered_fraction",
                    "answered_accuracy"):
            self.assertAlmostEqual(score["metrics"][key], trained[key], delta=1e-7, msg=key)  # ECE: 6e-9 apart
        self.assertAlmostEqual(score["baselines"]["chance"]["accuracy"], trained["chance_accuracy"])


class NextRecipeTest(TestCase):
    def test_the_next_preset_never_trains_on_its_held_out_or_calibration_hands(self):
        from domains.aramaic.presets import CANDIDATES
        from domains.aramaic.task import AramaicLettersTask, _hand_split

        recipe = CANDIDATES["aramaic_letters_hands"]
        from domains.aramaic.hands import missing_hands

        if missing_hands(recipe.options["held_out_hands"] + recipe.options["calibration_hands"]):
            pytest.skip("the hands of the recipe are not installed (scripts/setup.sh installs their fonts)")
        self.assertEqual(recipe.task, "aramaic.letters")
        options = AramaicLettersTask.resolve_options(recipe.options)
        train, held, calibrating = _hand_split(options)
        self.assertTrue(held and calibrating)
        self.assertFalse(set(train) & (set(held) | set(calibrating)))
        scored = AramaicLettersTask.resolve_options(recipe.evaluate)
        self.assertEqual(_hand_split(scored), (train, held, calibrating))  # scored on the same split
        self.assertEqual(scored["stroke_variation"], options["stroke_variation"])
        self.assertLessEqual(options["time_minutes"], 120)
        model = AramaicClassifier(image_size=options["image_size"], width=options["width"], depth=options["depth"])
        self.assertLess(model.count_params() * 2 / 1e6, 9.0)  # float16 storage within the 10 MB limit
