"""The shared TestCase's own checks must fail when a layer's weight does not train."""

import keras
import numpy as np
import pytest

from core.testing import TestCase


@keras.saving.register_keras_serializable(package="tests")
class HalfUsedDense(keras.layers.Layer):
    """A Dense whose second kernel is created but never used (the bug the check must catch)."""

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], 2), name="kernel")
        self.unused = self.add_weight(shape=(input_shape[-1], 2), name="unused")

    def call(self, inputs):
        return inputs @ self.kernel


@pytest.mark.filterwarnings("ignore:Gradients do not exist")  # the simulated bug
class LayerTestTest(TestCase):
    def _run(self, **kwargs):
        self.run_layer_test(HalfUsedDense, {}, np.ones((4, 3), "float32"), (4, 2), run_saving_test=False, **kwargs)

    def test_a_weight_that_does_not_train_fails(self):
        with pytest.raises(AssertionError, match="unchanged by one training step"):
            self._run()

    def test_named_static_weights_pass_and_must_be_static(self):
        self._run(static_weights=("/unused",))
        with pytest.raises(AssertionError, match="static_weights that moved"):
            self._run(static_weights=("/unused", "/kernel"))
        with pytest.raises(AssertionError, match="must name one weight"):
            self._run(static_weights=("/missing",))
