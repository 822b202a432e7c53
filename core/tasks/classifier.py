"""Classifier task: backbone → global pooling → dropout → dense logits."""

import keras

from core.api import export
from core.tasks.task import Task, pooling_layer


@export
class Classifier(Task):
    """A backbone with a classification head, compiled with sensible defaults.

    Outputs logits (no softmax), so that the default loss is
    `SparseCategoricalCrossentropy(from_logits=True)`; with `num_classes=1` the head is a
    single logit for binary tasks and the loss is `BinaryCrossentropy(from_logits=True)`
    with an AUC metric.

    Args:
        backbone: keras.Model. Feature extractor ending in a feature map, e.g.
            `core.backbones.ResNetBackbone`.
        num_classes: int. Number of classes (1 for binary logit output).
        pooling: str. "avg" or "max" global pooling. Defaults to "avg".
        dropout: float. Dropout before the head. Defaults to 0.
        class_names: list of str or None. Stored with the model for reports. Defaults to None.
        dtype: None, str or `keras.DTypePolicy`. Policy of the head's layers. Defaults to None
            (the backbone's policy).

    Examples:
    ```python
    from core.backbones import ResNetBackbone

    backbone = ResNetBackbone(rank=2, depth=10, widths=(8, 16, 32, 64), stem_filters=8)  # a tiny ResNet-10
    model = Classifier(backbone, num_classes=10)
    model.compile()   # AdamW, sparse categorical cross-entropy from logits, accuracy
    images = np.random.rand(8, 32, 32, 3).astype("float32")
    labels = np.random.randint(0, 10, size=8)
    model.fit(images, labels, epochs=1, verbose=0)
    model.predict(images, verbose=0).shape   # (8, 10): logits
    ```
    """

    def __init__(self, backbone, num_classes, pooling="avg", dropout=0.0, class_names=None, dtype=None, **kwargs):
        if num_classes < 1:
            raise ValueError(f"num_classes must be >= 1. Received: num_classes={num_classes}")
        if class_names is not None and len(class_names) != max(num_classes, 2):
            raise ValueError(
                f"class_names needs {max(num_classes, 2)} names. Received: {len(class_names)} names"
            )
        rank = len(backbone.input_shape) - 2
        policy = self.head_dtype_policy(backbone, dtype)
        # === Functional Model ===
        inputs = backbone.input
        x = backbone(inputs)
        x = pooling_layer(rank, pooling, dtype=policy)(x)
        if dropout:
            x = keras.layers.Dropout(dropout, name="head_dropout", dtype=policy)(x)
        outputs = keras.layers.Dense(num_classes, name="predictions", dtype=policy)(x)
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        self.dtype_policy = policy
        # === Config ===
        self.backbone = backbone
        self.num_classes = num_classes
        self.pooling = pooling
        self.dropout = dropout
        self.class_names = list(class_names) if class_names is not None else None

    def default_loss(self):
        if self.num_classes == 1:
            return keras.losses.BinaryCrossentropy(from_logits=True)
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def default_metrics(self):
        if self.num_classes == 1:
            return [keras.metrics.BinaryAccuracy(threshold=0.0), keras.metrics.AUC(from_logits=True, name="auc")]
        return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "backbone": keras.layers.serialize(self.backbone),
            "num_classes": self.num_classes,
            "pooling": self.pooling,
            "dropout": self.dropout,
            "class_names": self.class_names,
            "dtype": keras.dtype_policies.serialize(self.dtype_policy),
        }
