"""The activity rule that picks FusionActNet's static classes from the training windows."""

import pathlib

import numpy as np

from core.testing import TestCase
from domains.har.data import load_har
from domains.har.grouping import choose_static_classes, class_activity

FIXTURES = pathlib.Path(__file__).resolve().parent / "data" / "fixtures" / "uea"


class ActivityRuleTest(TestCase):
    def test_still_classes_are_static_on_the_variable_length_fixture(self):
        data = load_har("uea", root=FIXTURES / "GaitVariable")
        static, activity = choose_static_classes(data.x_train, data.y_train, data.class_names)
        self.assertEqual(static, ["lie", "sit"])
        self.assertEqual(list(activity), ["lie", "sit", "walk", "jog", "jump"])
        # Units do not matter: each channel is normalised by its own deviation over the training split.
        scaled = data.x_train * np.array([1000.0, 1.0], np.float32)
        self.assertEqual(choose_static_classes(scaled, data.y_train, data.class_names)[0], ["lie", "sit"])

    def test_the_rule_cuts_at_the_largest_gap(self):
        t = np.arange(64.0)
        # Waves of amplitude 0.05, 0.1, 2 and 10: the largest ratio between neighbours is 0.1 -> 2.
        x = np.stack([np.sin(t) * a + 5.0 for a in (0.05, 0.1, 2.0, 10.0)])[:, :, None]
        static, activity = choose_static_classes(x, np.arange(4), ["lie", "sit", "walk", "run"])
        self.assertEqual(static, ["lie", "sit"])
        np.testing.assert_allclose([activity["sit"] / activity["lie"], activity["run"] / activity["walk"]], [2.0, 5.0])

    def test_on_basicmotions_the_rule_also_calls_walking_static(self):
        # The documented limit of the rule: BasicMotions' walking is slow enough to fall below the
        # cut, so the task uses the set's known postures (Standing) instead.
        data = load_har("basicmotions")
        static, activity = choose_static_classes(data.x_train, data.y_train, data.class_names)
        self.assertEqual(static, ["Standing", "Walking"])
        self.assertEqual(sorted(activity, key=activity.get), ["Standing", "Walking", "Running", "Badminton"])
        self.assertEqual(class_activity(data.x_train, data.y_train, data.class_names), activity)
