"""Regressor task: backbone → global pooling → dense outputs (optionally with variances)."""

import keras

from core.api import export
from core.tasks.task import Task, pooling_layer


@export
class Regressor(Task):
    """A backbone with a regression head, compiled with sensible defaults.

    Args:
        backbone: keras.Model. Feature extractor ending in a feature map.
        num_outputs: int. Number of regressed values.
        pooling: str. "avg" or "max". Defaults to "avg".
        dropout: float. Dropout before the head. Defaults to 0.
        output_activation: str or None. E.g. "sigmoid" for targets in [0, 1] (SSIM).
            Defaults to None (linear).
        dtype: None, str or `keras.DTypePolicy`. Policy of the head's layers. Defaults to None
            (the backbone's policy).

    Examples:
    ```python
    from core.backbones import ResNetBackbone

    backbone = ResNetBackbone(rank=2, depth=10, input_channels=1, widths=(8, 16, 32, 64), stem_filters=8)
    model = Regressor(backbone, num_outputs=1, output_activation="sigmoid")
    model.compile()   # AdamW, mean squared error, mean absolute error
    model.predict(np.random.rand(2, 32, 32, 1), verbose=0).shape   # (2, 1), in (0, 1)
    ```
    """

    def __init__(self, backbone, num_outputs, pooling="avg", dropout=0.0, output_activation=None, dtype=None,
                 **kwargs):
        rank = len(backbone.input_shape) - 2
        policy = self.head_dtype_policy(backbone, dtype)
        # === Functional Model ===
        inputs = backbone.input
        x = pooling_layer(rank, pooling, dtype=policy)(backbone(inputs))
        if dropout:
            x = keras.layers.Dropout(dropout, name="head_dropout", dtype=policy)(x)
        outputs = keras.layers.Dense(num_outputs, activation=output_activation, name="predictions", dtype=policy)(x)
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        self.dtype_policy = policy
        # === Config ===
        self.backbone = backbone
        self.num_outputs = num_outputs
        self.pooling = pooling
        self.dropout = dropout
        self.output_activation = output_activation

    def default_loss(self):
        return keras.losses.MeanSquaredError()

    def default_metrics(self):
        return [keras.metrics.MeanAbsoluteError(name="mae")]

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "backbone": keras.layers.serialize(self.backbone),
            "num_outputs": self.num_outputs,
            "pooling": self.pooling,
            "dropout": self.dropout,
            "output_activation": self.output_activation,
            "dtype": keras.dtype_policies.serialize(self.dtype_policy),
        }
