"""core.optimizers: Keras's Adam and AdamW updates through TensorFlow's fused kernel."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from core.optimizers import Adam, AdamW

# A model with no weight whose gradient is zero up to rounding (a bias before a batch norm would
# be one): Adam moves such a weight by ± its rate whatever the sign of the rounding, so two
# correct implementations would part there.
X = np.random.RandomState(0).rand(16, 8, 8, 3).astype("float32")
Y = np.random.RandomState(1).randint(0, 3, 16)


def trained_weights(optimizer, epochs=3):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3, activation="relu"),
                              keras.layers.Flatten(), keras.layers.Dense(3)])
    model.compile(optimizer, keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(X, Y, batch_size=4, epochs=epochs, verbose=0, shuffle=False)
    return model.get_weights()


@pytest.mark.parametrize("ours, keras_optimizer", [
    (lambda: Adam(1e-2, beta_1=0.8, beta_2=0.99, epsilon=1e-5), lambda: keras.optimizers.Adam(1e-2, 0.8, 0.99, 1e-5)),
    (lambda: AdamW(1e-2, weight_decay=0.1), lambda: keras.optimizers.AdamW(1e-2, weight_decay=0.1)),
    (lambda: Adam(keras.optimizers.schedules.CosineDecay(1e-2, 12)),
     lambda: keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(1e-2, 12))),
    (lambda: Adam(1e-2, amsgrad=True), lambda: keras.optimizers.Adam(1e-2, amsgrad=True)),  # Keras's own update
], ids=["adam", "adamw", "schedule", "amsgrad"])
def test_same_weights_as_keras_after_twelve_steps(ours, keras_optimizer):
    for fused, reference in zip(trained_weights(ours()), trained_weights(keras_optimizer())):
        np.testing.assert_allclose(fused, reference, rtol=0, atol=1e-5)


def update_graph(optimizer, variables):
    grads = [tf.ones_like(v) for v in variables]
    step = tf.function(lambda: optimizer.apply_gradients(zip(grads, variables)))
    return step.get_concrete_function().graph


def test_one_fused_kernel_per_weight_and_a_smaller_graph():
    variables = [keras.Variable(np.zeros((3, 3), "float32")) for _ in range(8)]
    fused = update_graph(Adam(1e-3), variables)
    reference = update_graph(keras.optimizers.Adam(1e-3), variables)
    assert [op.type for op in fused.get_operations()].count("ResourceApplyAdam") == 8
    assert "ResourceApplyAdam" not in [op.type for op in reference.get_operations()]
    assert len(fused.get_operations()) < len(reference.get_operations()) / 4


def test_saved_with_its_state_and_loaded_as_itself(tmp_path):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Flatten(), keras.layers.Dense(3)])
    model.compile(AdamW(1e-2, weight_decay=0.1), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(X, Y, batch_size=4, epochs=1, verbose=0, shuffle=False)
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    assert type(loaded.optimizer) is AdamW and loaded.optimizer.weight_decay == 0.1
    for restored, original in zip(loaded.optimizer.variables, model.optimizer.variables):
        np.testing.assert_array_equal(np.asarray(restored), np.asarray(original))
    # Training on continues from the saved moments, as the original would.
    model.fit(X, Y, batch_size=4, epochs=1, verbose=0, shuffle=False)
    loaded.fit(X, Y, batch_size=4, epochs=1, verbose=0, shuffle=False)
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
