"""core.layers.dilated: HiFi-GAN's residual stacks (parameter count, residual path, receptive field)."""

import keras
import numpy as np

from core.layers.dilated import apply_dilated_residual_stack, apply_multi_receptive_field, vocoder_conv1d
from core.testing import TestCase


class DilatedTest(TestCase):
    def test_resblock1_parameter_count_and_identity_at_zero_kernels(self):
        inputs = keras.Input((None, 8))
        model = keras.Model(inputs, apply_dilated_residual_stack(inputs, 8, 3, (1, 3, 5)))
        # 6 convs of 3·8·8 + 8 bias + 8 weight-norm gains.
        self.assertEqual(model.count_params(), 6 * (3 * 8 * 8 + 8 + 8))
        for layer in model.layers:
            if hasattr(layer, "g"):
                layer.g.assign(np.zeros_like(layer.g.numpy()))
        x = np.random.default_rng(0).normal(size=(2, 30, 8)).astype("float32")
        self.assertAllClose(model(x), x, atol=1e-6)  # zero convolutions leave the residual path

    def test_mrf_receptive_field_and_average(self):
        inputs = keras.Input((None, 4))
        model = keras.Model(inputs, apply_multi_receptive_field(inputs, 4, (3, 5), ((1, 2), (1, 2))))
        impulse = np.zeros((1, 41, 4), "float32")
        impulse[0, 20] = 1.0
        changed = np.any(np.abs(model(impulse).numpy()[0] - impulse[0]) > 0, axis=1)
        # The widest stack (k5, d1 and d2): each dilation d reaches 2·(d·2 + 2) samples away.
        self.assertEqual(int(np.argmax(changed)), 20 - (2 * 1 + 2) - (2 * 2 + 2))
        with self.assertRaisesRegex(ValueError, "One dilation tuple per kernel"):
            apply_multi_receptive_field(inputs, 4, (3, 5), ((1,),))

    def test_conv_without_weight_norm_and_saving(self):
        conv = vocoder_conv1d(5, 3, weight_norm=False, name="plain")
        self.assertIsInstance(conv, keras.layers.Conv1D)
        inputs = keras.Input((None, 4))
        model = keras.Model(inputs, apply_multi_receptive_field(inputs, 4, (3,), ((1,),)))
        self.run_model_saving_test(model, np.random.default_rng(1).normal(size=(2, 9, 4)).astype("float32"))
