"""The Aramaic preset's recipe (`domains/aramaic/presets.py`) and what it shipped (loading, size, score: test_template.py)."""

import numpy as np

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
