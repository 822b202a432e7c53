"""The shipped RRNet presets: their recipes, and a float16 storage that keeps their numbers while they load in float32.

(Its loading, size, parameter count and stored score are checked for every domain by
tests/domains/test_template.py.)
"""

import numpy as np

from core.presets import Recipe
from core.testing import TestCase
from domains.lamost import RRNet
from domains.lamost.evaluation import FLOAT16_TOLERANCE
from domains.lamost.presets import DEFAULT_PRESET, FLOAT16_FROM, RECIPES


class PresetTest(TestCase):
    def test_the_recipe_is_scored_on_the_test_spectra_of_its_run(self):
        for name, epochs in ((DEFAULT_PRESET, 8), ("rrnet_ges", 12)):
            recipe = RECIPES[name]
            self.assertIsInstance(recipe, Recipe)
            self.assertEqual((recipe.task, recipe.float16_from, recipe.epochs, recipe.batch_size),
                             ("lamost.rrnet", FLOAT16_FROM, epochs, 64))
            self.assertEqual(recipe.evaluate["n_test"], recipe.options["n_test"])
            # the same line model as its training run: the test spectra of that run
            self.assertEqual(recipe.evaluate.get("lines"), recipe.options.get("lines"))
        self.assertEqual(RECIPES["rrnet_ges"].options["lines"], "ges")

    def test_the_ges_preset_has_the_official_layout_and_its_own_ood_score(self):
        from domains.lamost.data import synthetic_splits
        from domains.lamost.ood import OOD_FILES, OODScore

        model = RRNet.from_preset("rrnet_ges")
        self.assertEqual((model.post_activation, model.noise_input, model.mode), ("module", False, "post-RNN"))
        self.assertEqual(RRNet.from_preset("rrnet_synthetic").post_activation, "block")
        ood = OODScore.load(OOD_FILES["rrnet_ges"])
        # Its score was fitted on its own (ges) training spectra: held-out ges spectra are rarely flagged,
        # far more rarely than spectra of the line model it never saw.
        (ges,) = synthetic_splits({"val": 40}, seed=3, splits=("val",), lines="ges", snr_range=(10.0, 150.0))
        (other,) = synthetic_splits({"val": 40}, seed=3, splits=("val",), snr_range=(10.0, 150.0))
        flagged = [np.mean(ood.score(model, x[0]) > ood.threshold) for x in (ges, other)]
        self.assertLessEqual(flagged[0], 0.1)
        self.assertGreater(flagged[1], flagged[0])

    def test_the_preset_is_documented_and_keeps_its_float32_numbers(self):
        for name in RECIPES:
            with self.subTest(name):
                self._check_float16(name)

    def _check_float16(self, name):
        metadata = RRNet.presets()[name]
        self.assertEqual(metadata["seed"], 0)
        self.assertIn("SYNTHETIC", metadata["description"])
        self.assertTrue(metadata["weights_storage"].startswith("float16 for the 3 arrays of >= 65536 values"))
        check = metadata["metrics"]["float16_check"]
        for label in ("Teff", "logg", "[Fe/H]"):
            mae32, mae16 = check[label]["mae_float32"], check[label]["mae_float16"]
            self.assertLessEqual(abs(mae16 - mae32), FLOAT16_TOLERANCE * mae32)
            # The stored score (the float16 preset) repeats the float32 model's metrics of its run.
            before, score = metadata["metrics"]["synthetic_test_snr10"][label], metadata["score"]["metrics"][label]
            self.assertAlmostEqual(score["mae"] / before["mae"], 1.0, delta=FLOAT16_TOLERANCE)
        model = RRNet.from_preset(name)
        self.assertEqual(model.mode, "post-RNN")
        kernel = model.get_layer("hidden_0").kernel.numpy()   # 14,400 × 256: stored in float16, computed in float32
        self.assertEqual(kernel.dtype, np.float32)
        self.assertTrue(np.array_equal(kernel, kernel.astype(np.float16).astype(np.float32)))
        mean = model.standardization.mean.numpy()             # 7,200 values: kept in float32
        self.assertFalse(np.array_equal(mean, mean.astype(np.float16).astype(np.float32)))
