"""One decorator that publishes a class and registers it for `.keras` saving."""

import keras

PACKAGE = "resuite"


def export(cls):
    """Register `cls` for Keras serialization under the `resuite` package.

    Example:
    ```python
    @export
    class MyLayer(keras.layers.Layer):
        ...
    ```
    """
    return keras.saving.register_keras_serializable(package=PACKAGE)(cls)
