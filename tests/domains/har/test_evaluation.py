"""HAR evaluation: the summary features, chance, and the report beside its random forest."""

import json
import pathlib

import keras
import numpy as np

from core.testing import TestCase
from domains.har.data import HARData
from domains.har.evaluation import (
    SUMMARY_FEATURES,
    as_probabilities,
    chance_metrics,
    random_forest_predictions,
    random_forest_probabilities,
    report,
    summary_features,
)


def _data(seed=0):
    """Three classes told apart by their level and their oscillation: 30 training, 15 test windows of 40 x 2."""
    rng = np.random.default_rng(seed)
    y = np.arange(45) % 3
    t = np.linspace(0, 4 * np.pi, 40)
    x = rng.normal(scale=0.2, size=(45, 40, 2)).astype("float32")
    x[y == 1, :, 0] += 2.0
    x[y == 2, :, 1] += np.sin(3 * t).astype("float32")
    return HARData(x_train=x[:30], y_train=y[:30], x_val=x[:0], y_val=y[:0], x_test=x[30:], y_test=y[30:],
                   class_names=["still", "up", "shake"], sampling_rate_hz=None, channel_names=["a", "b"], name="toy")


class SummaryFeaturesTest(TestCase):
    def test_statistics_of_each_channel(self):
        x = np.stack([np.stack([np.arange(5.0), np.full(5, 2.0)], axis=-1)])  # 1 window, 5 steps, 2 channels
        features = summary_features(x)
        self.assertEqual(features.shape, (1, 2 * len(SUMMARY_FEATURES)))
        first, second = features[0, :len(SUMMARY_FEATURES)], features[0, len(SUMMARY_FEATURES):]
        self.assertAllClose(first, [2.0, np.sqrt(2.0), 0.0, 4.0, 0.4, 1.0, 2.0, 3.0, 3.6, 1.0], atol=1e-6)
        self.assertAllClose(second, [2.0, 0.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 0.0])
        with self.assertRaisesRegex(ValueError, r"Received: x.shape=\(5, 2\)"):
            summary_features(x[0])

    def test_chance_is_uniform_guessing(self):
        self.assertEqual(chance_metrics([0, 1, 2, 3], 4), {"accuracy": 0.25, "macro_f1": 0.25})
        # Unbalanced: F1 of a class of share p is 2p / (1 + p * classes).
        chance = chance_metrics([0, 0, 0, 1], 2)
        self.assertAlmostEqual(chance["macro_f1"], (2 * 0.75 / 2.5 + 2 * 0.25 / 1.5) / 2)

    def test_the_forest_is_fitted_on_the_training_split_with_a_fixed_seed(self):
        data = _data()
        predicted = random_forest_predictions(data, trees=50, seed=0)
        np.testing.assert_array_equal(predicted, random_forest_predictions(data, trees=50, seed=0))
        self.assertGreater(np.mean(predicted == data.y_test), 0.9)


class ReportTest(TestCase):
    def test_report_puts_the_model_beside_the_forest_and_chance(self):
        data = _data()
        inputs = keras.Input((40, 2))
        constant = keras.Model(inputs, keras.layers.Dense(3, kernel_initializer="zeros",
                                                          bias_initializer=keras.initializers.Constant([0, 0, 1]))(
            keras.layers.GlobalAveragePooling1D()(inputs)))  # always "shake"
        out = pathlib.Path(self.get_temp_dir())
        result = report(constant, data, out, "constant", forest_trees=50)
        self.assertEqual(result["metrics"], {"accuracy": 1 / 3, "macro_f1": (0 + 0 + 2 * (1 / 3) / (1 + 1 / 3)) / 3})
        self.assertEqual(set(result["baselines"]), {"random_forest", "chance"})
        self.assertGreater(result["baselines"]["random_forest"]["accuracy"], 0.9)
        self.assertAlmostEqual(result["baselines"]["chance"]["accuracy"], 1 / 3)
        self.assertEqual(result["details"]["confusion_matrix"], [[0, 0, 5], [0, 0, 5], [0, 0, 5]])
        self.assertEqual(result["details"]["n_test"], 15)
        self.assertEqual(result["figures"], [str(out / "confusion_matrix.png")])
        self.assertGreater((out / "confusion_matrix.png").stat().st_size, 1000)
        self.assertEqual(json.loads((out / "report.json").read_text())["metrics"], result["metrics"])


class _Lookup:
    """A 'model' whose window probabilities are a table, looked up by the window's first value."""

    def __init__(self, table):
        self.table = np.asarray(table, dtype="float64")

    def predict(self, x, verbose=0):
        return self.table[x[:, 0, 0].astype(int)]


def _windows_of_three_recordings():
    """8 test windows of 3 recordings (labels 0, 1, 1), interleaved; window i carries i in its first value."""
    train = _data()
    recording = np.array([0, 1, 2, 0, 1, 2, 0, 1])
    labels_of = np.array([0, 1, 1])
    x_test = train.x_test[:8].copy()
    x_test[:, 0, 0] = np.arange(8)
    data = HARData(x_train=train.x_train, y_train=train.y_train, x_val=train.x_val, y_val=train.y_val,
                   x_test=x_test, y_test=labels_of[recording], class_names=train.class_names,
                   sampling_rate_hz=10.0, channel_names=train.channel_names, name="toy",
                   recordings_test=recording)
    return data, recording, labels_of


class WindowedReportTest(TestCase):
    def test_recordings_are_scored_by_the_mean_vote_of_their_windows_for_the_model_and_the_forest(self):
        data, recording, labels_of = _windows_of_three_recordings()
        table = [[0.6, 0.4, 0], [0.9, 0.1, 0], [0.8, 0.2, 0], [0.4, 0.6, 0], [0.2, 0.8, 0], [0.6, 0.4, 0],
                 [0.7, 0.3, 0], [0.3, 0.7, 0]]
        out = pathlib.Path(self.get_temp_dir())
        result = report(_Lookup(table), data, out, "lookup", forest_trees=50)
        # Windows: recording 0 right 2 of 3, recording 1 right 2 of 3, recording 2 right 0 of 2.
        self.assertEqual(result["metrics"]["accuracy"], 4 / 8)
        # Votes: 0 -> [0.567, 0.433] right, 1 -> [0.467, 0.533] right, 2 -> [0.7, 0.3] wrong.
        self.assertEqual(result["metrics"]["recording_accuracy"], 2 / 3)
        self.assertEqual(result["details"]["recording_confusion_matrix"], [[1, 0, 0], [1, 1, 0], [0, 0, 0]])
        self.assertEqual(result["details"]["n_test_recordings"], 3)
        # The forest is voted the same way, on the same split.
        forest = random_forest_probabilities(data, trees=50, seed=0)
        voted = np.stack([forest[recording == r].mean(axis=0) for r in range(3)]).argmax(axis=1)
        self.assertEqual(result["baselines"]["random_forest"]["recording_accuracy"], np.mean(voted == labels_of))
        self.assertEqual(result["baselines"]["random_forest"]["accuracy"], np.mean(forest.argmax(axis=1) == data.y_test))
        self.assertEqual(set(result["baselines"]["chance"]), {"accuracy", "macro_f1", "recording_accuracy",
                                                                "recording_macro_f1"})
        self.assertEqual(result["figures"], [str(out / "confusion_matrix.png"), str(out / "confusion_matrix_recordings.png")])

    def test_logits_become_probabilities_before_the_vote(self):
        self.assertAllClose(as_probabilities(np.array([[0.0, np.log(3.0)]])), [[0.25, 0.75]])
        self.assertAllClose(as_probabilities(np.array([[0.2, 0.8]])), [[0.2, 0.8]])

    def test_recordings_vote_by_mean_log_probability_on_request(self):
        data, _, _ = _windows_of_three_recordings()
        # Recording 1: one confident window for class 0 against two unsure ones for class 1.
        table = [[0.6, 0.4, 0], [0.99, 0.01, 0], [0.8, 0.2, 0], [0.4, 0.6, 0], [0.2, 0.8, 0], [0.6, 0.4, 0],
                 [0.7, 0.3, 0], [0.3, 0.7, 0]]
        out = pathlib.Path(self.get_temp_dir())
        mean = report(_Lookup(table), data, out / "mean", "lookup", forest_trees=20)
        log = report(_Lookup(table), data, out / "log", "lookup", forest_trees=20, vote_method="log")
        self.assertEqual(mean["metrics"]["recording_accuracy"], 2 / 3)  # mean of recording 1: [0.497, 0.503]
        self.assertEqual(log["metrics"]["recording_accuracy"], 1 / 3)  # product: 0.0594 against 0.0056
        self.assertEqual(log["metrics"]["accuracy"], mean["metrics"]["accuracy"])  # windows are not voted
        self.assertIn("log-probability", log["details"]["voting"])
