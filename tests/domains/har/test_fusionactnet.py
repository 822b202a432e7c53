import json

import keras
import numpy as np
import pytest

from core import cli
from core.data import samples
from core.testing import TestCase
from domains.har import FusionActNet, GroupMixture, HARData, build_expert, build_gate, train_fusionactnet
from domains.har.tasks import _read_windows

UCI_CLASSES = ["WALKING", "WALKING_UPSTAIRS", "WALKING_DOWNSTAIRS", "SITTING", "STANDING", "LAYING"]


def _count(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


class FusionActNetTest(TestCase):
    def test_parameter_counts_equal_the_official_model(self):
        # PLATFORM.md: the official PyTorch FusionActNet, 9 channels × 128, 3 + 3 classes.
        self.assertEqual(_count(build_expert(9, 3)), 3_581_763)
        self.assertEqual(_count(build_gate(9)), 432_193)
        model = FusionActNet(9, UCI_CLASSES, ["SITTING", "STANDING", "LAYING"], window_length=128)
        self.assertEqual(_count(model), 7_595_719)

    def test_mixture_puts_each_group_at_its_label_indices(self):
        # UCI HAR labels: dynamic classes first (0-2), static after (3-5): the official
        # static-first concatenation would mislabel every class.
        mixture = GroupMixture(static_indices=[3, 4, 5], dynamic_indices=[0, 1, 2])
        static_logits = np.array([[10.0, 0.0, 0.0]], "float32")  # SITTING
        dynamic_logits = np.array([[0.0, 0.0, 10.0]], "float32")  # WALKING_DOWNSTAIRS
        p = mixture([static_logits, dynamic_logits, np.array([[0.75]], "float32")]).numpy()[0]
        self.assertAlmostEqual(float(p.sum()), 1.0, places=6)
        self.assertEqual(int(np.argmax(p)), 3)
        self.assertAlmostEqual(float(p[3]), 0.75, delta=1e-3)
        self.assertAlmostEqual(float(p[2]), 0.25, delta=1e-3)
        revived = GroupMixture.from_config(mixture.get_config())
        self.assertEqual(revived.static_indices, [3, 4, 5])

    def test_output_is_a_distribution_not_logits(self):
        model = FusionActNet(6, ["Standing", "Running", "Walking", "Badminton"], ["Standing"], window_length=100)
        x = np.random.default_rng(0).normal(size=(5, 100, 6)).astype("float32")
        p = model.predict(x, verbose=0)
        np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-5)
        # Standing alone in its group: its probability is the gate weight itself.
        np.testing.assert_allclose(p[:, 0], model.gate.predict(x, verbose=0)[:, 0], atol=1e-5)
        self.assertFalse(model.static_expert.trainable)
        self.assertTrue(model.dynamic_expert.trainable)

    def test_saving_round_trip(self):
        model = FusionActNet(6, ["a", "b", "c", "d"], ["a", "b"], window_length=32,
                             expert_filters=(8, 8, 8, 8, 8), gate_stem_filters=8, gate_stages=((8, 1), (8, 1)))
        model.compile()
        x = np.random.default_rng(0).normal(size=(4, 32, 6)).astype("float32")
        restored = self.run_model_saving_test(model, x, atol=1e-5)
        self.assertEqual(restored.class_names, ["a", "b", "c", "d"])
        self.assertEqual(restored.static_indices, [0, 1])
        self.assertTrue(restored.compiled)

    def test_bad_arguments(self):
        with self.assertRaisesRegex(ValueError, r"static_classes \['Sleeping'\] are not in class_names"):
            FusionActNet(6, ["Standing", "Running"], ["Sleeping"])
        with self.assertRaisesRegex(ValueError, "at least one static and one dynamic class"):
            FusionActNet(6, ["Standing", "Running"], ["Standing", "Running"])
        with self.assertRaisesRegex(ValueError, r"at least 32 time steps. Received: window_length=16"):
            FusionActNet(6, ["a", "b"], ["a"], window_length=16)
        model = FusionActNet(6, ["a", "b", "c"], ["a"], window_length=32, expert_filters=(4,) * 5,
                             gate_stem_filters=4, gate_stages=((4, 1),))
        with self.assertRaisesRegex(ValueError, r"labels \[0\] are not dynamic classes"):
            model.group_labels([0, 1], "dynamic")


class RecipeTest(TestCase):
    def test_two_stage_recipe_learns_and_selects_on_validation(self):
        rng = np.random.default_rng(0)
        classes = ["sit", "walk", "run"]
        n = 60
        y = np.arange(n) % 3
        t = np.linspace(0, 4 * np.pi, 32)
        x = rng.normal(scale=0.3, size=(n, 32, 2)).astype("float32")
        x[y == 1, :, 0] += np.sin(t)  # walking: slow oscillation
        x[y == 2, :, 0] += np.sin(3 * t)  # running: fast oscillation
        data = HARData(x_train=x[:42], y_train=y[:42], x_val=x[42:51], y_val=y[42:51], x_test=x[51:], y_test=y[51:],
                       class_names=classes, sampling_rate_hz=10.0, channel_names=["acc", "gyro"])
        model = FusionActNet(2, classes, ["sit"], window_length=32, expert_filters=(8, 8, 8, 8, 8),
                             gate_stem_filters=8, gate_stages=((8, 1), (16, 1)))
        dynamic_before = [w.numpy().copy() for w in model.dynamic_expert.trainable_weights]
        out = self.get_temp_dir()
        history = train_fusionactnet(model, data, out, expert_epochs=(5, 5), fusion_epochs=15,
                                     batch_size=8, expert_learning_rate=3e-3, fusion_learning_rate=3e-3)
        self.assertFalse(all(np.array_equal(a, b.numpy())
                             for a, b in zip(dynamic_before, model.dynamic_expert.trainable_weights)))
        self.assertLess(history.history["loss"][-1], history.history["loss"][0])
        self.assertIn("val_loss", history.history)
        best = keras.saving.load_model(f"{out}/best.keras")
        accuracy = float(np.mean(np.argmax(best.predict(data.x_test, verbose=0), axis=1) == data.y_test))
        self.assertGreater(accuracy, 0.5)  # chance is 1/3


def test_predict_input_errors_name_the_file(tmp_path):
    wrong = tmp_path / "wrong_channels.npy"
    np.save(wrong, np.zeros((2, 100, 9), "float32"))
    with pytest.raises(ValueError, match=r"wrong_channels.npy.*6"):
        _read_windows(wrong, 6)
    nan = tmp_path / "nan.npy"
    bad = np.zeros((2, 100, 6), "float32")
    bad[1, 5, 2] = np.nan
    np.save(nan, bad)
    with pytest.raises(ValueError, match=r"nan.npy.*NaN"):
        _read_windows(nan, 6)
    with pytest.raises(ValueError, match=r"signals.csv: expected a UEA .ts file or a .npy"):
        _read_windows(tmp_path / "signals.csv", 6)


def test_cli_train_evaluate_predict_on_basicmotions(tmp_path):
    out = tmp_path / "run"
    assert cli.main(["train", "har.resnet1d", "--epochs", "2", "--output", str(out), "--verbose", "0",
                     "--option", "depth=10"]) == 0
    results = json.loads((out / "train_results.json").read_text())
    assert results["n_test"] == 40 and 0.0 <= results["accuracy"] <= 1.0
    assert np.array(results["confusion_matrix"]).sum() == 40
    assert (out / "confusion_matrix.png").stat().st_size > 1000
    assert (out / "best.keras").exists() and (out / "log.csv").exists()

    assert cli.main(["evaluate", "har.resnet1d", "--model", str(out / "best.keras"), "--output", str(tmp_path / "ev"),
                     "--verbose", "0"]) == 0
    evaluated = json.loads((tmp_path / "ev" / "evaluate_results.json").read_text())
    assert evaluated["accuracy"] == results["accuracy"]

    test_file = samples.fetch("har.basicmotions_test", verbose=False)
    assert cli.main(["predict", "har.resnet1d", "--model", str(out / "best.keras"), "--output", str(tmp_path / "pr"),
                     str(test_file)]) == 0
    lines = (tmp_path / "pr" / "predictions.csv").read_text().splitlines()
    assert len(lines) == 41 and lines[1].split(",")[2] in ("Standing", "Running", "Walking", "Badminton")
