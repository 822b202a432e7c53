"""The fundus preset's recipe: what it ships matches its Recipe, labelled SYNTHETIC, scored beside chance.

(That it loads as a DRClassifier, its size, metadata keys and stored score repeated: tests/domains/test_template.py.)
"""

import numpy as np

from core.testing import TestCase
from domains.fundus import DRClassifier
from domains.fundus.presets import RECIPES

NAME = "dr_synthetic_small"


class PresetTest(TestCase):
    def test_the_preset_is_its_recipe_and_labelled_synthetic(self):
        recipe = RECIPES[NAME]
        metadata = DRClassifier.presets()[NAME]
        self.assertEqual((recipe.task, metadata["task"], metadata["seed"]), ("fundus.dr", "fundus.dr", 0))
        self.assertIn("SYNTHETIC", metadata["description"])
        self.assertIn("SYNTHETIC", metadata["data"])
        model = DRClassifier.from_preset(NAME)
        self.assertEqual(model.image_size, recipe.options["image_size"])
        self.assertEqual(model.graham_radius, recipe.options["graham_radius"])
        self.assertEqual(list(model.backbone.get_config()["widths"]), [16, 32, 64, 128])
        p = model.referable_probability(np.full((2, 128, 128, 3), 0.5, "float32"))
        self.assertEqual(p.shape, (2,))
        self.assertTrue(np.all((p >= 0) & (p <= 1)))
        unknown = f"No preset 'nope' for DRClassifier in domains.fundus. Its presets: {NAME}"
        with self.assertRaisesRegex(ValueError, unknown):
            DRClassifier.from_preset("nope")

    def test_the_score_is_on_the_held_out_drawings_of_the_training_run(self):
        # Scored on the 200 test drawings of the training run (seed 0), beside chance; the
        # training run's own test metrics (metadata "metrics", made before the score existed) agree.
        metadata = DRClassifier.presets()[NAME]
        score, made = metadata["score"], metadata["metrics"]["synthetic_test"]
        self.assertEqual(RECIPES[NAME].evaluate["synthetic_test"], RECIPES[NAME].options["synthetic_test"])
        self.assertEqual((score["metrics"]["n"], score["metrics"]["positives"]), (made["n"], made["positives"]))
        self.assertEqual(score["metrics"]["auc"], made["auc"])
        self.assertEqual([score["metrics"]["auc_ci_low"], score["metrics"]["auc_ci_high"]], made["auc_ci"])
        self.assertAlmostEqual(score["metrics"]["ece"], made["ece"], delta=1e-6)
        self.assertGreater(score["metrics"]["auc"], 0.95)
        self.assertEqual(score["baselines"]["chance"]["auc"], 0.5)
