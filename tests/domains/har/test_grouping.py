"""The activity rule and the grouping choice that give FusionActNet its experts' groups from the training windows."""

import pathlib

import numpy as np

from core.testing import TestCase
from domains.har.data import load_har
from domains.har.grouping import (
    MIN_SEPARABILITY,
    choose_grouping,
    choose_static_classes,
    class_activity,
    group_separability,
)

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


def _windows(levels, offsets, per_class=30, steps=64, seed=0):
    """Noise windows per class: a random deviation in [0.5, 2] x level, plus a constant offset on both channels."""
    rng = np.random.default_rng(seed)
    x, y = [], []
    for label, (level, offset) in enumerate(zip(levels, offsets)):
        scale = rng.uniform(0.5, 2.0, size=(per_class, 1, 1)) * level
        x.append(rng.normal(size=(per_class, steps, 2)) * scale + offset)
        y.append(np.full(per_class, label))
    return np.concatenate(x).astype("float32"), np.concatenate(y)


class ChooseGroupingTest(TestCase):
    def test_postures_and_movements_keep_the_activity_grouping(self):
        t = np.arange(64.0)
        rng = np.random.default_rng(0)
        amplitudes = (0.01, 0.02, 1.0, 2.0)
        x = np.stack([np.sin(t * rng.uniform(0.3, 0.6)) * a + rng.normal(scale=0.005, size=64) + 1.0
                      for a in amplitudes for _ in range(12)])[:, :, None]
        y = np.repeat(np.arange(4), 12)
        grouping = choose_grouping(x, y, ["lie", "sit", "walk", "run"])
        self.assertEqual((grouping.method, grouping.static_classes), ("activity", ["lie", "sit"]))
        self.assertEqual(grouping.separability["activity"], 1.0)
        self.assertTrue(grouping.reason.startswith("activity: the best separated grouping"))

    def test_clusters_win_where_energy_does_not_separate_the_groups(self):
        # "a" and "b" move alike (same spread of deviations) but "b" is held at another level; "c" moves a
        # little more than "a": the activity rule cuts {a, b} | {c}, which no window feature separates
        # (the deviations overlap), while the classes' means cluster as {a, c} | {b}.
        x, y = _windows(levels=(1.0, 1.0, 1.2), offsets=(0.0, 10.0, 0.0))
        names = ["a", "b", "c"]
        self.assertEqual(choose_static_classes(x, y, names)[0], ["a", "b"])
        grouping = choose_grouping(x, y, names)
        self.assertEqual(grouping.method, "clusters")
        self.assertEqual(grouping.static_classes, ["b"])  # the cluster of lower activity
        self.assertEqual(grouping.separability["clusters"], 1.0)
        self.assertLess(grouping.separability["activity"], MIN_SEPARABILITY)

    def test_one_expert_when_no_grouping_separates(self):
        # Four classes of one distribution: no group can be told from the other.
        x, y = _windows(levels=(1.0, 1.0, 1.0, 1.0), offsets=(0.0, 0.0, 0.0, 0.0), per_class=20)
        grouping = choose_grouping(x, y, ["a", "b", "c", "d"])
        self.assertEqual((grouping.method, grouping.static_classes), ("one expert", []))
        self.assertTrue(all(score < MIN_SEPARABILITY for score in grouping.separability.values()))
        self.assertIn("needed 0.9", grouping.reason)

    def test_folds_keep_each_subject_whole(self):
        # Each subject holds one class at its own level (p: 0 and 9, q: 3 and 6): windows of a subject in
        # both the fitted and the scored folds make the groups look separable; unseen subjects show they
        # are not (each lies nearest a level of the other group).
        rng = np.random.default_rng(1)
        subjects = np.repeat([1, 2, 3, 4], 10)
        x = (rng.normal(scale=0.1, size=(40, 32, 1)) + np.repeat([0.0, 9.0, 3.0, 6.0], 10)[:, None, None]).astype("float32")
        y = np.repeat([0, 0, 1, 1], 10)
        self.assertEqual(group_separability(x, y, ["p", "q"], ["p"]), 1.0)
        self.assertLess(group_separability(x, y, ["p", "q"], ["p"], folds_by=subjects), 0.5)
