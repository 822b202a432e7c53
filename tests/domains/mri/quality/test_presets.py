"""domains.mri.quality.presets: what each shipped preset is (loading, size, metadata and the repeated score
are checked for every domain by tests/domains/test_template.py)."""

import numpy as np

from core.presets import Recipe
from core.testing import TestCase
from domains.mri.quality import SSIMRegressor
from domains.mri.quality.model import best_preset
from domains.mri.quality.presets import RECIPES


class PresetsTest(TestCase):
    def test_recipes_are_the_tasks(self):
        self.assertEqual(set(RECIPES), {"ssim_mni_small", "ssim_mni_wide", "ssim_mni_long"})
        assert all(isinstance(recipe, Recipe) and recipe.task == "mri.ssim_regression" for recipe in RECIPES.values())
        # Each is scored on the test set of its own run's data: axial for the small one, three axes for the others.
        self.assertEqual(RECIPES["ssim_mni_small"].evaluate, {})
        self.assertEqual(RECIPES["ssim_mni_wide"].evaluate, {"axis": "all"})
        self.assertEqual(RECIPES["ssim_mni_long"].evaluate, {"axis": "all"})

    def test_the_small_preset_is_a_quarter_width_resnet18_at_128(self):
        model = SSIMRegressor.from_preset("ssim_mni_small")
        self.assertEqual(model.slice_size, 128)
        self.assertEqual(list(model.backbone.get_config()["widths"]), [16, 32, 64, 128])
        ssim = model.predict_ssim(np.zeros((2, 128, 128, 1), "float32"))
        assert ssim.shape == (2,) and np.all((ssim > 0) & (ssim < 1))
        with self.assertRaisesRegex(ValueError, "No preset 'nope' for SSIMRegressor in domains.mri.quality. "
                                                "Its presets: ssim_mni_long, ssim_mni_small, ssim_mni_wide"):
            SSIMRegressor.from_preset("nope")

    def test_the_wide_preset_fits_in_float16_and_carries_its_learning_curve(self):
        metadata = SSIMRegressor.presets()["ssim_mni_wide"]
        assert metadata["weights_storage"].startswith("float16")
        assert metadata["data"]["axis"] == [0, 1, 2] and "--option remap_probability=0.5" in metadata["command"]
        steps = [point["step"] for point in metadata["learning_curve"]]
        assert steps == sorted(steps) and steps[-1] == 3000
        model = SSIMRegressor.from_preset("ssim_mni_wide")
        self.assertEqual(list(model.backbone.get_config()["widths"]), [32, 64, 128, 256])
        self.assertEqual(metadata["score"]["options"], {"axis": "all"})

    def test_the_long_preset_is_the_default_by_its_metadata(self):
        # Its σ is 34 % of its constant predictor's, the wide one's 52 %, the small one's 88 % (each on its own
        # test set).
        self.assertEqual(best_preset(SSIMRegressor.presets()), "ssim_mni_long")
        shares = {name: m["score"]["metrics"]["residual_std"] / m["score"]["baselines"]["constant_train_mean"]["residual_std"]
                  for name, m in SSIMRegressor.presets().items()}
        self.assertEqual(min(shares, key=shares.get), "ssim_mni_long")

    def test_the_long_preset_is_a_run_of_the_task_beyond_the_wide_one_with_its_curve(self):
        from domains.mri.quality.task import SSIMRegressionTask

        long, wide = RECIPES["ssim_mni_long"], RECIPES["ssim_mni_wide"]
        options = SSIMRegressionTask().resolve_options(long.options)  # every option is the task's, well typed
        steps = lambda recipe: recipe.epochs * recipe.options["steps_per_epoch"]
        self.assertGreater(steps(long), 2 * steps(wide))
        self.assertEqual((options["axis"], options["skull_probability"], options["width"]), ("all", 0.5, 32))
        self.assertEqual(long.evaluate, wide.evaluate)
        self.assertLessEqual(options["time_minutes"], 120)  # a background run of at most 2 hours
        assert long.train_command("ssim_mni_long").startswith("resuite train mri.ssim_regression --epochs 160 --seed 0")
        metadata = SSIMRegressor.presets()["ssim_mni_long"]
        self.assertEqual([point["step"] for point in metadata["learning_curve"]], list(range(500, 8001, 500)))
        assert metadata["weights_storage"].startswith("float16") and metadata["size_mb"] < 10
