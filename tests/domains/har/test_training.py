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
