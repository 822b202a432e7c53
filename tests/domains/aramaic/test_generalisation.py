"""`domains.aramaic.generalisation`: hands split apart, leave-one-hand-out, abstention calibrated on unseen hands."""

import json

import numpy as np
import pytest

from core.testing import TestCase
from domains.aramaic import generalisation, hands
from domains.aramaic.letters import NUM_CLASSES
from domains.aramaic.model import AramaicClassifier

PHOENICIAN = ["phoenician:NotoSansPhoenician", "phoenician:Aegean_hint"]


def require(*names):
    missing = hands.missing_hands(list(names))
    if missing:
        pytest.skip(f"fonts not installed: {missing}")


class SplitTest(TestCase):
    def test_held_out_and_calibration_hands_are_never_trained_on(self):
        require("imperial_aramaic:NotoSansImperialAramaic", *PHOENICIAN, "samaritan:NotoSansSamaritan")
        train, held, calibrating = generalisation.split_hands(
            ["imperial_aramaic:*", "phoenician:*", "samaritan:*"], ["phoenician:Aegean_hint"],
            ["samaritan:NotoSansSamaritan"])
        self.assertEqual(train, ["imperial_aramaic:NotoSansImperialAramaic", "phoenician:NotoSansPhoenician"])
        self.assertEqual((held, calibrating), (["phoenician:Aegean_hint"], ["samaritan:NotoSansSamaritan"]))
        with self.assertRaisesRegex(ValueError, "either held out or used for calibration"):
            generalisation.split_hands("all", ["phoenician:Aegean_hint"], ["phoenician:Aegean_hint"])
        with self.assertRaisesRegex(ValueError, "no training hand left"):
            generalisation.split_hands("phoenician:*", ["phoenician:Aegean_hint"], ["phoenician:NotoSansPhoenician"])

    def test_coverage_table_reads_the_curve(self):
        probabilities = np.array([[0.9, 0.1], [0.8, 0.2], [0.6, 0.4], [0.55, 0.45]])
        rows = generalisation.coverage_table(probabilities, np.array([0, 0, 1, 0]), (1.0, 0.5))
        self.assertEqual([row["coverage"] for row in rows], [1.0, 0.5])
        self.assertEqual([row["accuracy"] for row in rows], [0.75, 1.0])
        self.assertEqual(rows[1]["threshold"], 0.8)


class LeaveOneHandOutTest(TestCase):
    def test_no_fold_trains_on_its_held_out_hand(self):
        require("imperial_aramaic:NotoSansImperialAramaic", *PHOENICIAN)
        seen = []
        original = generalisation.synthetic_splits

        def recording(**kwargs):
            seen.append(list(kwargs["fonts"]))
            return original(**kwargs)

        folder = self.get_temp_dir()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(generalisation, "synthetic_splits", recording)
            table = generalisation.leave_one_hand_out(
                ["imperial_aramaic:*", "phoenician:*"], PHOENICIAN, folder, image_size=32, width=4, depth=10,
                epochs=1, steps_per_epoch=1, batch_size=8, val_examples=23, test_examples=23, stroke_variation=0.5)
        self.assertEqual(seen, [["imperial_aramaic:NotoSansImperialAramaic", "phoenician:Aegean_hint"],
                                ["imperial_aramaic:NotoSansImperialAramaic", "phoenician:NotoSansPhoenician"]])
        for fold, held in zip(table["folds"], PHOENICIAN):
            self.assertEqual(fold["held_out"], held)
            self.assertNotIn(held, fold["train_hands"])
            self.assertBetween(fold["held_out_accuracy"], 0.0, 1.0)
            report = json.load(open(fold["held_out_report_json"]))
            self.assertEqual(report["details"]["n_test"], 23)
            self.assertLen(fold["held_out_coverage"], 5)
        self.assertEqual(json.load(open(table["loho_json"]))["held_out"], PHOENICIAN)


class CalibrationTest(TestCase):
    def test_the_threshold_meets_its_target_on_the_calibration_hands(self):
        require("phoenician:Aegean_hint")
        examples = 230
        model = AramaicClassifier(image_size=32, width=4, depth=10)
        labels = np.arange(examples) % NUM_CLASSES  # the calibration set's labels, as the stream draws them
        rng = np.random.default_rng(0)
        right = rng.random(examples) < 0.7          # a model right 70 % of the time, surer when right
        guess = np.where(right, labels, (labels + 1 + rng.integers(0, NUM_CLASSES - 1, examples)) % NUM_CLASSES)
        logits = rng.normal(0, 1, (examples, NUM_CLASSES))
        logits[np.arange(examples), guess] += np.where(right, rng.uniform(2, 8, examples), rng.uniform(0, 5, examples))
        model.logits = lambda images, batch_size=64: logits[:len(images)]
        chosen = generalisation.calibrate_on_hands(model, ["phoenician:Aegean_hint"], examples, target_accuracy=0.95)
        self.assertEqual(chosen["hands"], ["phoenician:Aegean_hint"])
        self.assertGreater(model.illegible_threshold, 0.0)
        self.assertGreater(chosen["answered_fraction"], 0.2)
        self.assertGreaterEqual(chosen["answered_accuracy"], 0.95)
        self.assertLess(chosen["answered_fraction"], 1.0)  # 70 % right overall: it must abstain on some
