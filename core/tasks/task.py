"""The Task base: a backbone plus a head that compiles itself with sensible defaults."""

import keras
import tensorflow as tf

from core.layers import factories
from core.optimizers import AdamW
from core.presets import PresetMixin


def default_jit_compile():
    """XLA only where it pays: on GPU/TPU. On CPU it compiles for tens of seconds and runs slower."""
    return bool(tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("TPU"))


def pooling_layer(rank, pooling, name="pool", dtype=None):
    if pooling == "avg":
        return factories.global_average_pool(rank, name=name, dtype=dtype)
    if pooling == "max":
        return factories.global_max_pool(rank, name=name, dtype=dtype)
    raise ValueError(f'pooling must be "avg" or "max". Received: pooling={pooling!r}')


class Task(PresetMixin, keras.Model):
    """Base for the suite's tasks: wraps a backbone, adds a head, compiles with defaults.

    Subclasses build the functional graph in `__init__`, call `super().__init__(inputs,
    outputs)`, store one attribute per argument and implement `get_config`; the backbone
    is (de)serialized with `keras.layers.serialize`/`deserialize`. Subclasses define
    `default_optimizer`, `default_loss` and `default_metrics`. The head's layers take
    `head_dtype_policy(backbone, dtype)`, which is also the task's `dtype_policy` (saved
    in its config as "dtype"). Trained presets load with `from_preset` (`core.presets.PresetMixin`).
    """

    @staticmethod
    def head_dtype_policy(backbone, dtype):
        """The policy of the head: `dtype` if given, else the backbone's policy."""
        return backbone.dtype_policy if dtype is None else keras.dtype_policies.get(dtype)

    def compile(self, optimizer="auto", loss="auto", metrics="auto", jit_compile="auto", **kwargs):
        """Configure training; "auto" picks the task's defaults.

        Args:
            optimizer: optimizer, name or "auto". Defaults to "auto".
            loss: loss, name or "auto". Defaults to "auto".
            metrics: list or "auto". Defaults to "auto".
            jit_compile: bool or "auto" (XLA only on GPU/TPU). Defaults to "auto".
        """
        if optimizer == "auto":
            optimizer = self.default_optimizer()
        if loss == "auto":
            loss = self.default_loss()
        if metrics == "auto":
            metrics = self.default_metrics()
        if jit_compile == "auto":
            jit_compile = default_jit_compile()
        super().compile(optimizer=optimizer, loss=loss, metrics=metrics, jit_compile=jit_compile, **kwargs)

    def compile_from_config(self, config):
        """Restore the compile state saved in a `.keras` file (optimizer state included)."""
        config = keras.saving.deserialize_keras_object(config)
        self.compile(**config)
        if hasattr(self, "optimizer") and self.built:
            self.optimizer.build(self.trainable_variables)

    def default_optimizer(self):
        return AdamW(learning_rate=1e-3, weight_decay=1e-4)

    def default_loss(self):
        raise NotImplementedError

    def default_metrics(self):
        return []

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("backbone"), dict):
            config["backbone"] = keras.layers.deserialize(config["backbone"])
        return cls(**config)
