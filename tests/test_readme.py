"""The README's headline table is what `scripts/readme_table.py` builds from the presets' metadata."""

import copy
import importlib.util
import json
import pathlib

import pytest

from core.testing import TestCase

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _script():
    spec = importlib.util.spec_from_file_location("readme_table", ROOT / "scripts" / "readme_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


readme_table = _script()


class ReadmeTableTest(TestCase):
    def test_the_readme_holds_the_table_built_from_the_presets(self):
        in_readme = readme_table.current((ROOT / "README.md").read_text())
        # On a failure: `python scripts/readme_table.py --write` after a preset changed (and commit README.md).
        self.assertEqual(in_readme, readme_table.render())

    def test_every_shipped_preset_has_its_figures_in_the_table(self):
        shipped = {str(path.parent.relative_to(ROOT)) for path in ROOT.glob("domains/**/presets/*/metadata.json")}
        in_table = {folder for row in readme_table.ROWS for folder, _, _ in row.presets}
        self.assertEqual(in_table, shipped)
        commands = [c for row in readme_table.ROWS for c in row.commands()]
        for folder in shipped:  # the command that repeats each figure is listed
            self.assertIn(json.loads((ROOT / folder / "metadata.json").read_text())["score"]["command"], commands)

    def test_the_figures_follow_the_metadata(self):
        score = copy.deepcopy(readme_table.metadata("domains/mri/disgan/presets/disgan_mni_small")["score"])
        score["options"]["noise_levels"] = [0.0]
        score["metrics"]["psnr_noise0"], score["baselines"]["tricubic"]["psnr_noise0"] = 31.004, 30.5
        text = readme_table.disgan(score)
        self.assertIn("PSNR 31.00 dB from a clean input, +0.50 dB against tricubic (30.50)", text)
        score["metrics"]["psnr_noise0"] = 29.996
        self.assertIn("PSNR 30.00 dB from a clean input, −0.50 dB against tricubic", readme_table.disgan(score))
        self.assertEqual([readme_table.signed(v) for v in (0.004, -0.004, 1.5)], ["±0.00", "±0.00", "+1.50"])

    def test_the_released_auc_is_the_fundus_evaluations(self):
        from domains.fundus.evaluation import auc_with_ci, load_released_predictions

        auc, images = readme_table.released_auc()
        released = load_released_predictions("test")
        self.assertEqual(images, len(released.labels))
        self.assertAllClose(auc, auc_with_ci(released.labels, released.probabilities, n_bootstrap=1)[0], atol=1e-12)

    def test_write_replaces_the_block_between_the_markers_only(self):
        readme = pathlib.Path(self.get_temp_dir()) / "README.md"
        readme.write_text(f"# title\n\n{readme_table.BEGIN}\n| old | table |\n{readme_table.END}\n\n## rest\n")
        self.assertTrue(readme_table.write(readme, table="| new |"))
        self.assertEqual(readme.read_text(), f"# title\n\n{readme_table.BEGIN}\n| new |\n{readme_table.END}\n\n## rest\n")
        self.assertFalse(readme_table.write(readme, table="| new |"))  # already up to date: untouched
        readme.write_text("# a README without the markers\n")
        with pytest.raises(ValueError, match=r"README.md: expected one line `<!-- readme-table: .*Received: 0 and 0"):
            readme_table.write(readme, table="| new |")
