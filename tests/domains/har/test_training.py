"""The two-stage FusionActNet recipe on a tiny synthetic set (seconds)."""

import keras
import numpy as np

from core.testing import TestCase
from domains.har import FusionActNet, HARData, train_fusionactnet


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
        history = train_fusionactnet(model, data, out, expert_epochs=(3, 3), fusion_epochs=8,
                                     batch_size=8, expert_learning_rate=3e-3, fusion_learning_rate=3e-3)
        self.assertFalse(all(np.array_equal(a, b.numpy())
                             for a, b in zip(dynamic_before, model.dynamic_expert.trainable_weights)))
        self.assertLess(history.history["loss"][-1], history.history["loss"][0])
        self.assertIn("val_loss", history.history)
        best = keras.saving.load_model(f"{out}/best.keras")
        accuracy = float(np.mean(np.argmax(best.predict(data.x_test, verbose=0), axis=1) == data.y_test))
        self.assertGreater(accuracy, 0.5)  # chance is 1/3
        # The recipe leaves the model with the weights of its best validation epoch.
        np.testing.assert_allclose(model.predict(data.x_test, verbose=0), best.predict(data.x_test, verbose=0),
                                   atol=1e-6)


class RecipeOptionsTest(TestCase):
    def test_label_smoothing_loss_matches_the_smoothed_target(self):
        from domains.har.training import SmoothedSparseCrossentropy

        p = np.array([[0.7, 0.2, 0.1]])
        expected = -(0.9 + 0.1 / 3) * np.log(0.7) - 0.1 / 3 * (np.log(0.2) + np.log(0.1))
        self.assertAllClose(SmoothedSparseCrossentropy(0.1)(np.array([0]), p), expected, atol=1e-5)
        logits = np.log(p)
        self.assertAllClose(SmoothedSparseCrossentropy(0.1, from_logits=True)(np.array([0]), logits), expected, atol=1e-5)
        self.assertAllClose(SmoothedSparseCrossentropy(0.0)(np.array([2]), p), -np.log(0.1), atol=1e-5)
        with self.assertRaisesRegex(ValueError, "label_smoothing=1.0"):
            SmoothedSparseCrossentropy(1.0)

    def test_cosine_schedule_decays_to_zero_over_the_stage(self):
        from domains.har.training import stage_rate

        self.assertEqual(stage_rate(1e-3, "constant", 10, 5), 1e-3)
        schedule = stage_rate(1e-3, "cosine", 10, 5)
        self.assertAllClose(float(schedule(0)), 1e-3)
        self.assertAllClose(float(schedule(25)), 5e-4, atol=1e-9)
        self.assertAllClose(float(schedule(50)), 0.0, atol=1e-9)
        with self.assertRaisesRegex(ValueError, "schedule='linear'"):
            stage_rate(1e-3, "linear", 10, 5)

    def test_recipe_with_augmentation_smoothing_and_cosine_trains_and_saves(self):
        from domains.har.augment import Augmentation

        rng = np.random.default_rng(0)
        classes = ["sit", "walk", "run"]
        y = np.arange(24) % 3
        x = rng.normal(size=(24, 32, 6)).astype("float32")
        data = HARData(x_train=x[:18], y_train=y[:18], x_val=x[18:], y_val=y[18:], x_test=x[18:], y_test=y[18:],
                       class_names=classes, sampling_rate_hz=10.0,
                       channel_names=["accel_x", "accel_y", "accel_z", "gyro_x", "gyro_y", "gyro_z"])
        model = FusionActNet(6, classes, ["sit"], window_length=32, expert_filters=(4, 4, 4, 4, 4),
                             gate_stem_filters=4, gate_stages=((4, 1),))
        out = self.get_temp_dir()
        augmentation = Augmentation(rotation_degrees=30, scale=0.1, jitter=0.05, time_warp=0.1,
                                    triplets=((0, 1, 2), (3, 4, 5)), channel_std=np.ones(6))
        history = train_fusionactnet(model, data, out, expert_epochs=(0, 1), fusion_epochs=2, batch_size=8,
                                     augmentation=augmentation, label_smoothing=0.1, schedule="cosine")
        self.assertEqual(len(history.history["loss"]), 2)
        # The smoothed loss is at least the target's entropy, far above 0 on random data.
        self.assertGreater(history.history["loss"][-1], 0.3)
        best = keras.saving.load_model(f"{out}/best.keras")  # the custom loss deserialises
        self.assertAllClose(best.predict(data.x_test, verbose=0), model.predict(data.x_test, verbose=0), atol=1e-6)
