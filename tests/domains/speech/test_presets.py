"""The APNet preset's recipe against what its metadata records: the same run, scored on the same held-out files.

That the preset loads, its size, its command and its stored score (repeated, `large`) are checked for
every domain by `tests/domains/test_template.py`; loading it as an APNet by `test_model.py`.
"""

from core.testing import TestCase
from domains.speech import APNet
from domains.speech.data import asterisk_files, split_files
from domains.speech.model import MODEL_OPTIONS
from domains.speech.presets import RECIPES

NAME = "apnet_asterisk_8k_small"


class PresetRecipeTest(TestCase):
    def setUp(self):
        super().setUp()
        self.recipe, self.metadata = RECIPES[NAME], APNet.presets()[NAME]

    def test_the_metadata_records_the_recipes_run(self):
        recipe, metadata = self.recipe, self.metadata
        self.assertEqual((metadata["task"], metadata["class"], metadata["seed"]), (recipe.task, "APNet", 0))
        self.assertEqual(metadata["command"], f"make presets  ({recipe.train_command(NAME, 0)})")
        # A step budget, not the time cap: the run made every step of the recipe.
        self.assertEqual(metadata["training"]["steps"], recipe.epochs * recipe.options["steps_per_epoch"])
        self.assertEqual(sorted(metadata["options"]), sorted(MODEL_OPTIONS))
        for key in MODEL_OPTIONS:
            if key in recipe.options:
                self.assertEqual(metadata["options"][key], recipe.options[key], key)

    def test_the_score_is_on_the_held_out_files_the_training_run_scored(self):
        recipe, metadata = self.recipe, self.metadata
        count = recipe.evaluate["test_files"]
        self.assertEqual(count, recipe.options["test_files"])
        test = split_files(asterisk_files(), 0.05, 0.05, seed=metadata["seed"])["test"]
        self.assertEqual([path.name for path in test], metadata["test_files"])
        self.assertEqual(metadata["score"]["options"], recipe.evaluate)
        # The score repeats the training run's held-out numbers (the test_* "metrics" of the metadata,
        # rounded to 4 decimals there) to the old test's 2e-3 on LSD, STOI, PESQ, MCD and IP error.
        score = metadata["score"]
        for rows, key in ((score["metrics"], "apnet"), (score["baselines"]["Griffin-Lim"], "griffin_lim")):
            for metric in ("lsd_db", "stoi", "pesq", "mcd_db", "ip_error"):
                self.assertAlmostEqual(rows[metric], metadata["metrics"][f"test_{key}_{metric}"], delta=2e-3,
                                       msg=f"{key} {metric}")
