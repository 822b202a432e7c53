"""Regression with uncertainties: a Gaussian (mean, variance) head, its loss, a task and a deep ensemble.

The network predicts, per label, a mean μ and a variance s > 0 (softplus) of the
*standardised* label, and is trained with the Gaussian negative log-likelihood
mean[log(s)/2 + (y − μ)²/(2s)] (`core.metrics.GaussianNLL`; Nix & Weigend 1994). The task keeps
the labels' mean and standard deviation in its config, so a saved model predicts in the labels'
own units. A deep ensemble of such models predicts the mixture's mean and variance
(`core.metrics.ensemble_gaussian`; Lakshminarayanan et al. 2017).

Example:
```python
inputs = keras.Input((16,))
backbone = keras.Model(inputs, keras.layers.Dense(8, activation="relu")(inputs))
model = GaussianRegressor(backbone, label_names=["a", "b"], hidden_units=(8,))
x, y = np.random.rand(64, 16).astype("float32"), np.random.rand(64, 2) * [100.0, 1.0]
model.set_target_statistics(y)             # kept in the saved model
model.compile()                            # Adam, Gaussian NLL, MAE of the mean
model.fit(x, model.standardize_targets(y), epochs=1, verbose=0)
mean, sigma = model.predict_gaussian(x)    # (64, 2) each, in the labels' units
```
"""

import json
import pathlib

import keras
import numpy as np
from keras import ops

from core.api import export
from core.metrics.losses import GaussianNLL, ensemble_gaussian
from core.optimizers import Adam
from core.tasks.task import Task

MIN_VARIANCE = 1e-6


@export
class GaussianHead(keras.layers.Layer):
    """Two dense heads: the mean and the softplus variance of each label, concatenated as (batch, 2 · labels).

    The layout `[μ_1..μ_n, s_1..s_n]` is the one `core.metrics.GaussianNLL` reads. The heads start
    at μ = 0 and s = 1 for every input (zero kernels, variance bias softplus⁻¹(1)): the mean and
    variance of standardised labels, which keeps the first steps of the NLL stable.

    Args:
        num_labels: int. Number of regressed labels.
        min_variance: float. Added to the softplus so that the variance stays > 0. Defaults to 1e-6.

    Example:
    ```python
    head = GaussianHead(3)
    out = head(np.zeros((4, 128), "float32"))   # (4, 6): out[:, :3] means, out[:, 3:] variances
    ```
    """

    def __init__(self, num_labels, min_variance=MIN_VARIANCE, **kwargs):
        super().__init__(**kwargs)
        self.num_labels = int(num_labels)
        self.min_variance = float(min_variance)
        # Both heads start from the constant prediction: mean 0 and variance 1 (the standardised
        # labels' mean and variance) for every input. A random start puts arbitrary means under
        # arbitrary small variances, and the first steps of the NLL then throw the means far off.
        self.mean_dense = keras.layers.Dense(self.num_labels, name="mean", kernel_initializer="zeros",
                                             dtype=self.dtype_policy)
        self.variance_dense = keras.layers.Dense(
            self.num_labels, name="variance", kernel_initializer="zeros",
            bias_initializer=keras.initializers.Constant(float(np.log(np.expm1(1.0)))), dtype=self.dtype_policy)

    def build(self, input_shape):
        self.mean_dense.build(input_shape)
        self.variance_dense.build(input_shape)

    def call(self, features):
        mean = self.mean_dense(features)
        variance = ops.softplus(self.variance_dense(features)) + self.min_variance
        return ops.concatenate([mean, variance], axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 2 * self.num_labels)

    def get_config(self):
        return {**super().get_config(), "num_labels": self.num_labels, "min_variance": self.min_variance}


@keras.saving.register_keras_serializable(package="resuite")
def mean_absolute_error_of_mean(y_true, y_pred):
    """MAE of the predicted means (the first half of `y_pred`'s last axis) against `y_true`, per example."""
    mean = y_pred[..., : y_pred.shape[-1] // 2]
    return ops.mean(ops.abs(ops.cast(y_true, y_pred.dtype) - mean), axis=-1)


@export
class GaussianRegressor(Task):
    """A backbone with dense layers and a `GaussianHead`; predicts each label's mean and σ.

    The model's outputs are in standardised units (train on `standardize_targets(y)`);
    `predict_gaussian` returns them in the labels' units with `target_mean`/`target_std`, which
    are part of the saved config.

    Args:
        backbone: keras.Model. A functional model giving features (flattened here if not a vector).
        label_names: list of str. One per label.
        target_mean: list of float or None. The labels' means (`set_target_statistics`).
            Defaults to None (0).
        target_std: list of float or None. The labels' standard deviations. Defaults to None (1).
        hidden_units: tuple of int. Dense ReLU layers before the head. Defaults to (256, 128).
        dropout: float. Dropout after each hidden layer. Defaults to 0.3.
        learning_rate: float. Adam's rate for `compile()`. Defaults to 5e-4.
        dtype: None, str or `keras.DTypePolicy`. Defaults to None (the backbone's policy).

    Example:
    ```python
    inputs = keras.Input((16,))
    backbone = keras.Model(inputs, keras.layers.Dense(8, activation="relu")(inputs))
    model = GaussianRegressor(backbone, label_names=["teff", "logg"], hidden_units=(8,))
    model.compile()
    mean, sigma = model.predict_gaussian(np.zeros((2, 16), "float32"))
    ```
    """

    def __init__(self, backbone, label_names, target_mean=None, target_std=None, hidden_units=(256, 128),
                 dropout=0.3, learning_rate=5e-4, dtype=None, **kwargs):
        label_names = [str(name) for name in label_names]
        if not label_names:
            raise ValueError("label_names needs at least one name. Received: label_names=[]")
        n = len(label_names)
        target_mean = [0.0] * n if target_mean is None else [float(v) for v in target_mean]
        target_std = [1.0] * n if target_std is None else [float(v) for v in target_std]
        if len(target_mean) != n or len(target_std) != n or min(target_std) <= 0:
            raise ValueError(f"target_mean and target_std need {n} values (std > 0). "
                             f"Received: target_mean={target_mean}, target_std={target_std}")
        policy = self.head_dtype_policy(backbone, dtype)
        # === Functional Model ===
        inputs = backbone.input
        x = backbone(inputs)
        if len(x.shape) > 2:
            x = keras.layers.Flatten(name="flatten", dtype=policy)(x)
        for i, units in enumerate(hidden_units):
            x = keras.layers.Dense(units, activation="relu", name=f"hidden_{i}", dtype=policy)(x)
            if dropout:
                x = keras.layers.Dropout(dropout, name=f"hidden_{i}_dropout", dtype=policy)(x)
        outputs = GaussianHead(n, name="gaussian", dtype=policy)(x)
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        self.dtype_policy = policy
        # === Config ===
        self.backbone = backbone
        self.label_names = label_names
        self.target_mean = target_mean
        self.target_std = target_std
        self.hidden_units = tuple(int(u) for u in hidden_units)
        self.dropout = float(dropout)
        self.learning_rate = float(learning_rate)

    def default_optimizer(self):
        return Adam(learning_rate=self.learning_rate)

    def default_loss(self):
        return GaussianNLL()  # without RRNet's constant offset of 5 (it changes no gradient)

    def default_metrics(self):
        return [keras.metrics.MeanMetricWrapper(mean_absolute_error_of_mean, name="mae")]

    def set_target_statistics(self, y):
        """Keep the mean and standard deviation of training labels `y` (n, labels) in the model."""
        y = np.asarray(y, dtype="float64")
        if y.ndim != 2 or y.shape[1] != len(self.label_names):
            raise ValueError(f"y must be (n, {len(self.label_names)}). Received: y.shape={y.shape}")
        self.target_mean = y.mean(axis=0).tolist()
        self.target_std = np.maximum(y.std(axis=0), 1e-12).tolist()

    def standardize_targets(self, y):
        """Labels in the model's standardised units, float32."""
        return ((np.asarray(y, "float64") - self.target_mean) / self.target_std).astype("float32")

    def to_label_units(self, outputs):
        """(mean, sigma) in the labels' units from raw outputs (n, 2 · labels)."""
        outputs = np.asarray(outputs, dtype="float64")
        n = len(self.label_names)
        std = np.asarray(self.target_std)
        return outputs[:, :n] * std + np.asarray(self.target_mean), np.sqrt(outputs[:, n:]) * std

    def predict_gaussian(self, x, batch_size=256):
        """(mean, sigma), each (n, labels), in the labels' units.

        The model is called on each batch directly (inference mode), not through `predict`:
        the outputs are the same, and a model's first call skips tracing a predict function,
        half of the cost when a few spectra are predicted once.

        Args:
            x: model inputs, an array (n, ...).
            batch_size: int. Defaults to 256.
        """
        outputs = [keras.ops.convert_to_numpy(self(x[start:start + batch_size], training=False))
                   for start in range(0, len(x), batch_size)]
        return self.to_label_units(np.concatenate(outputs))

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "backbone": keras.layers.serialize(self.backbone),
            "label_names": self.label_names,
            "target_mean": self.target_mean,
            "target_std": self.target_std,
            "hidden_units": list(self.hidden_units),
            "dropout": self.dropout,
            "learning_rate": self.learning_rate,
            "dtype": keras.dtype_policies.serialize(self.dtype_policy),
        }


class GaussianEnsemble:
    """A deep ensemble of models that have `predict_gaussian` (e.g. `GaussianRegressor`s).

    Args:
        members: list of models with the same `label_names`.

    Example:
    ```python
    def member():
        inputs = keras.Input((4,))
        backbone = keras.Model(inputs, keras.layers.Dense(4, activation="relu")(inputs))
        return GaussianRegressor(backbone, label_names=["a"], hidden_units=())

    ensemble = GaussianEnsemble([member(), member()])
    mean, sigma = ensemble.predict_gaussian(np.zeros((3, 4), "float32"))   # the mixture's mean and σ
    ensemble.save("runs/ensemble")               # member_0.keras, member_1.keras, ensemble.json
    ensemble = GaussianEnsemble.load("runs/ensemble")
    ```
    """

    MANIFEST = "ensemble.json"

    def __init__(self, members):
        members = list(members)
        if not members:
            raise ValueError("An ensemble needs at least one member. Received: members=[]")
        names = {tuple(m.label_names) for m in members}
        if len(names) != 1:
            raise ValueError(f"Ensemble members must predict the same labels. Received: {sorted(names)}")
        self.members = members
        self.label_names = list(members[0].label_names)

    def predict_members(self, x, batch_size=256):
        """(means, sigmas), each (members, n, labels)."""
        pairs = [member.predict_gaussian(x, batch_size=batch_size) for member in self.members]
        return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])

    def predict_gaussian(self, x, batch_size=256):
        """The mixture's (mean, sigma), each (n, labels), in the labels' units."""
        means, sigmas = self.predict_members(x, batch_size=batch_size)
        mean, variance = ensemble_gaussian(means, sigmas ** 2)
        return np.asarray(mean, "float64"), np.sqrt(np.asarray(variance, "float64"))

    def save(self, folder):
        """Write `member_<i>.keras` and `ensemble.json` into `folder`; returns its Path."""
        folder = pathlib.Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        files = []
        for i, member in enumerate(self.members):
            member.save(folder / f"member_{i}.keras")
            files.append(f"member_{i}.keras")
        (folder / self.MANIFEST).write_text(json.dumps({"members": files, "label_names": self.label_names}, indent=2))
        return folder

    @classmethod
    def load(cls, folder):
        """The ensemble saved in `folder` by `save` (or `train_ensemble`)."""
        folder = pathlib.Path(folder)
        manifest = folder / cls.MANIFEST
        if not manifest.is_file():
            raise FileNotFoundError(f"{manifest}: no such file (expected a folder written by GaussianEnsemble.save)")
        files = json.loads(manifest.read_text())["members"]
        return cls([keras.saving.load_model(folder / name, compile=False) for name in files])


def train_ensemble(build_member, train_member, size, output_dir, seed=0):
    """Train `size` members, each from its own seed in `output_dir/member_<i>/`; resumable.

    A member whose `member_<i>.keras` exists is loaded instead of trained again, so a killed
    ensemble run restarted with the same `output_dir` goes on with the next member (and
    `core.training.fit` resumes the member that was interrupted).

    Args:
        build_member: callable(index) -> a compiled model.
        train_member: callable(model, run_dir, seed) training it (e.g. with `core.training.fit`).
        size: int. Number of members (the RRNet paper: 6).
        output_dir: str or Path.
        seed: int. Member i uses seed + i. Defaults to 0.

    Returns:
        GaussianEnsemble, also saved in `output_dir` (`ensemble.json`).
    """
    from core.training.fit import set_seed

    output_dir = pathlib.Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    members = []
    for i in range(size):
        path = output_dir / f"member_{i}.keras"
        if path.is_file():
            members.append(keras.saving.load_model(path, compile=False))
            continue
        set_seed(seed + i)
        model = build_member(i)
        train_member(model, output_dir / f"member_{i}", seed + i)
        model.save(path)
        members.append(model)
    ensemble = GaussianEnsemble(members)
    (output_dir / GaussianEnsemble.MANIFEST).write_text(
        json.dumps({"members": [f"member_{i}.keras" for i in range(size)], "label_names": ensemble.label_names},
                   indent=2))
    return ensemble
