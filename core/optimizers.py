"""Adam and AdamW whose TensorFlow update is one fused kernel per weight.

Keras 3 writes Adam's update of each weight as about 40 graph operations (casts, the bias
corrections, the two moment updates, the step). Traced for every weight of a model, they are
half of a training step's graph: for a small FusionActNet, 6,750 of 12,050 operations, and
tracing time grows with them. TensorFlow's `ResourceApplyAdam` kernel computes the same update,
by the same formula, as one operation (fused: results differ from Keras's by rounding).

`Adam` and `AdamW` here are Keras's, with that kernel used wherever it applies (TensorFlow
backend, dense gradient, float weights, no AMSGrad, no distribution strategy); everywhere
else, Keras's own update runs. The results are the same (`tests/core/test_optimizers.py`
checks them against Keras's), only the graph is smaller: a first `fit` starts sooner.

Example:
```python
import keras
from core.optimizers import Adam
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
model.compile(optimizer=Adam(1e-3), loss="mse")
```
"""

import keras
import tensorflow as tf

FUSED_DTYPES = ("float16", "float32", "float64")


class _FusedAdamUpdate:
    """The update of Keras's Adam through TensorFlow's `ResourceApplyAdam` where it applies."""

    _step_scalars = None

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        # The step's scalars (bias corrections, rate) are made once per dtype for all weights.
        self._step_scalars = {}
        try:
            super()._backend_update_step(grads, trainable_variables, learning_rate)
        finally:
            self._step_scalars = None

    def _fuses(self, gradient, variable):
        return (keras.backend.backend() == "tensorflow" and not self.amsgrad and not tf.distribute.has_strategy()
                and self._step_scalars is not None and isinstance(gradient, tf.Tensor)
                and isinstance(variable, tf.Variable) and variable.dtype.name in FUSED_DTYPES)

    def _scalars(self, dtype, learning_rate):
        if dtype not in self._step_scalars:
            step = tf.cast(self.iterations + 1, dtype)
            beta_1, beta_2 = tf.cast(self.beta_1, dtype), tf.cast(self.beta_2, dtype)
            self._step_scalars[dtype] = {
                "beta1_power": tf.pow(beta_1, step), "beta2_power": tf.pow(beta_2, step),
                "lr": tf.cast(learning_rate, dtype), "beta1": beta_1, "beta2": beta_2,
                "epsilon": tf.cast(self.epsilon, dtype)}
        return self._step_scalars[dtype]

    def update_step(self, gradient, variable, learning_rate):
        if not self._fuses(gradient, variable):
            return super().update_step(gradient, variable, learning_rate)
        index = self._get_variable_index(variable)
        tf.raw_ops.ResourceApplyAdam(
            var=variable.handle, m=self._momentums[index].value.handle, v=self._velocities[index].value.handle,
            grad=tf.cast(gradient, variable.dtype), **self._scalars(variable.dtype, learning_rate))


@keras.saving.register_keras_serializable(package="resuite")
class Adam(_FusedAdamUpdate, keras.optimizers.Adam):
    """`keras.optimizers.Adam` with TensorFlow's fused update kernel (same results, smaller graph).

    Args:
        learning_rate, beta_1, beta_2, epsilon, amsgrad, **kwargs: as `keras.optimizers.Adam`.

    Example:
    ```python
    optimizer = Adam(learning_rate=1e-4, beta_1=0.8, beta_2=0.99)
    ```
    """


@keras.saving.register_keras_serializable(package="resuite")
class AdamW(_FusedAdamUpdate, keras.optimizers.AdamW):
    """`keras.optimizers.AdamW` with TensorFlow's fused update kernel (same results, smaller graph).

    The weight decay is applied by Keras before the update, as in `keras.optimizers.AdamW`.

    Args:
        learning_rate, weight_decay, beta_1, beta_2, epsilon, amsgrad, **kwargs: as
            `keras.optimizers.AdamW`.

    Example:
    ```python
    optimizer = AdamW(learning_rate=1e-3, weight_decay=1e-4)
    ```
    """
