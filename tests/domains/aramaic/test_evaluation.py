"""Evaluation (`domains/aramaic/evaluation.py`): the report against its baselines, and the stage ablation."""

import json
import pathlib

import numpy as np
import pytest

from core.testing import TestCase
from domains.aramaic.data import TEST_SEVERITY, split_seed
from domains.aramaic.evaluation import ABLATION_VARIANTS, QUARTILE_CONDITIONS, baselines, report, stage_ablation
from domains.aramaic.letters import NO_LETTER_CLASS, NUM_CLASSES
from domains.aramaic.synth import AramaicSynth


class Oracle:
    """A stand-in model that knows the test split's images: right on them, "Alef" on any other image."""

    temperature, illegible_threshold = 1.0, 0.5

    def __init__(self, images, labels):
        self.image_size = images.shape[1]
        self.known = {image.tobytes(): label for image, label in zip(images, labels)}

    def probabilities(self, images):
        found = [self.known.get(np.round(image * 255).astype("uint8").tobytes(), 0) for image in images]
        return np.eye(NUM_CLASSES, dtype="float32")[found]


class BaselinesTest(TestCase):
    def test_chance_and_the_majority_class(self):
        found = baselines(np.array([0, 0, 1, 2, 2, 2, 5]))
        self.assertEqual(found["chance"], {"accuracy": 1 / 23, "top3_accuracy": 3 / 23})
        majority = found["majority class"]  # always Gimel (2), its top 3 Gimel, Alef, Bet
        self.assertAlmostEqual(majority["accuracy"], 3 / 7)
        self.assertAlmostEqual(majority["top3_accuracy"], 6 / 7)
        self.assertAlmostEqual(majority["macro_f1"], 2 * (3 / 7) / (3 / 7 + 1) / 23)  # one class's F1 over 23
        self.assertEqual(baselines(np.arange(46) % 23)["majority class"]["accuracy"], 1 / 23)  # ties: Alef
        with self.assertRaisesRegex(ValueError, "at least one label"):
            baselines(np.array([], "int64"))


@pytest.mark.usefixtures("noto_font")
class ReportTest(TestCase):
    def test_report_scores_the_model_beside_its_baselines(self):
        folder = pathlib.Path(self.get_temp_dir())
        rendered, labels, params = AramaicSynth(image_size=32, fonts=self.noto_font).arrays(46, seed=2)
        oracle, images = Oracle(rendered, labels), rendered.astype("float32") / 255.0
        result = report(oracle, (images, labels, params), folder, "oracle")
        self.assertEqual(result["metrics"]["accuracy"], 1.0)
        self.assertEqual((result["metrics"]["top3_accuracy"], result["metrics"]["answered_fraction"]), (1.0, 1.0))
        self.assertEqual(result["baselines"], baselines(labels))
        self.assertEqual(result["details"]["n_test"], 46)
        self.assertEqual(sum(row["n"] for row in result["details"]["accuracy_by_severity"]), 46)
        self.assertEqual([pathlib.Path(figure).name for figure in result["figures"]],
                         ["conditions.png", "confusion_matrix.png", "accuracy_coverage.png", "mistakes.png"])
        written = json.loads((folder / "report.json").read_text())
        self.assertEqual((written["title"], written["metrics"]["accuracy"]), ("oracle", 1.0))
        crops = report(oracle, (images[:23], np.roll(labels[:23], 1)), folder / "crops", "crops")
        self.assertEqual(crops["metrics"]["accuracy"], 0.0)
        self.assertNotIn("accuracy_by_severity", crops["details"])  # no conditions for crops
        with self.assertRaisesRegex(ValueError, "data is \\(images, labels\\) or \\(images, labels, params\\)"):
            report(oracle, images, folder, "bad")
        with self.assertRaisesRegex(ValueError, "Received: 46 images, 23 labels"):
            report(oracle, (images, labels[:23]), folder, "bad")


@pytest.mark.usefixtures("noto_font")
class StageAblationTest(TestCase):
    def test_stage_ablation_scores_every_variant_on_the_test_stream(self):
        folder = pathlib.Path(self.get_temp_dir())
        images, labels, _ = AramaicSynth(image_size=32, fonts=self.noto_font, severity=TEST_SEVERITY).arrays(
            46, seed=split_seed(3, "test"))
        table = stage_ablation(Oracle(images, labels), folder, num_examples=23, quartile_examples=46, seed=3,
                               fonts=self.noto_font)
        accuracy = {row["name"]: row["accuracy"] for row in table["variants"]}
        self.assertEqual(list(accuracy), [name for name, off in ABLATION_VARIANTS.items() if "strokes" not in off])
        self.assertTrue(all(row["n"] == 23 for row in table["variants"]))
        # Only the full pipeline renders the test split's images; every variant changes all 23 of them.
        self.assertEqual(accuracy.pop("all (the test split)"), 1.0)
        self.assertTrue(all(value == pytest.approx(1 / 23) for value in accuracy.values()))
        letters = int((labels != NO_LETTER_CLASS).sum())
        self.assertEqual((table["quartile_letters"], letters, table["quartile_accuracy"]), (44, 44, 1.0))
        self.assertEqual(set(table["quartiles"]), {*QUARTILE_CONDITIONS, "legibility before the floor"})
        self.assertLess(table["quartiles"]["legibility before the floor"][0]["range"][0], 2.0)  # below the default floor
        self.assertTrue(0 < table["raised_by_floor"]["fraction"] <= 1)
        self.assertEqual(table["raised_by_floor"]["accuracy"], 1.0)
        for rows in table["quartiles"].values():
            self.assertEqual(len(rows), 4)
            self.assertEqual(sum(row["n"] for row in rows), letters)
            self.assertTrue(all(row["accuracy"] in (None, 1.0) for row in rows))
        severity = table["quartiles"]["severity"]
        self.assertTrue(TEST_SEVERITY[0] <= severity[0]["range"][0] < severity[-1]["range"][1] <= TEST_SEVERITY[1])
        self.assertEqual(sum(value["n"] for value in table["categories"]["stone"].values()), letters)
        written = json.loads((folder / "ablation.json").read_text())
        self.assertEqual(written["variants"][0]["name"], "clean (relief and light only)")
        self.assertEqual(table["baselines"]["chance"]["accuracy"], 1 / 23)
        self.assertGreater((folder / "ablation.png").stat().st_size, 10_000)
        with self.assertRaisesRegex(ValueError, "Received: num_examples=0"):
            stage_ablation(Oracle(images, labels), folder, num_examples=0)

    def test_with_stroke_variation_the_ablation_shows_what_it_adds(self):
        folder = pathlib.Path(self.get_temp_dir())
        images, labels, _ = AramaicSynth(image_size=32, fonts=self.noto_font, severity=TEST_SEVERITY,
                                         stroke_variation=0.5).arrays(23, seed=split_seed(3, "test"))
        table = stage_ablation(Oracle(images, labels), folder, num_examples=23, quartile_examples=23, seed=3,
                               fonts=self.noto_font, stroke_variation=0.5)
        accuracy = {row["name"]: row["accuracy"] for row in table["variants"]}
        self.assertEqual(list(accuracy), list(ABLATION_VARIANTS))
        self.assertEqual(accuracy["all (the test split)"], 1.0)
        # Switching the stroke variation off redraws the letters it drew (about half) from the font's outline.
        self.assertBetween(accuracy["all but stroke variation"], 0.2, 0.9)
