"""Evaluation (`domains/aramaic/evaluation.py`): the report against its baselines, and the stage ablation."""

import json
import pathlib

import numpy as np
import pytest

from core.testing import TestCase
from domains.aramaic.data import TEST_SEVERITY, split_seed
from domains.aramaic.evaluation import ABLATION_VARIANTS, QUARTILE_CONDITIONS, stage_ablation
from domains.aramaic.letters import NO_LETTER_CLASS, NUM_CLASSES
from domains.aramaic.synth import AramaicSynth


class Oracle:
    """A stand-in model that knows the test split's images: right on them, "Alef" on any other image."""

    def __init__(self, images, labels):
        self.image_size = images.shape[1]
        self.known = {image.tobytes(): label for image, label in zip(images, labels)}

    def probabilities(self, images):
        found = [self.known.get(np.round(image * 255).astype("uint8").tobytes(), 0) for image in images]
        return np.eye(NUM_CLASSES, dtype="float32")[found]


@pytest.mark.usefixtures("noto_font")
class StageAblationTest(TestCase):
    def test_stage_ablation_scores_every_variant_on_the_test_stream(self):
        folder = pathlib.Path(self.get_temp_dir())
        images, labels, _ = AramaicSynth(image_size=32, fonts=self.noto_font, severity=TEST_SEVERITY).arrays(
            46, seed=split_seed(3, "test"))
        table = stage_ablation(Oracle(images, labels), folder, num_examples=23, quartile_examples=46, seed=3,
                               fonts=self.noto_font)
        accuracy = {row["name"]: row["accuracy"] for row in table["variants"]}
        self.assertEqual(list(accuracy), list(ABLATION_VARIANTS))
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
        self.assertGreater((folder / "ablation.png").stat().st_size, 10_000)
        with self.assertRaisesRegex(ValueError, "Received: num_examples=0"):
            stage_ablation(Oracle(images, labels), folder, num_examples=0)
