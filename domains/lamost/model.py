"""RRNet (Xiong, Li & Liao, ApJS 261:36, 2022; arXiv 2205.15490) and its baseline StarNet, in Keras.

RRNet, as the official PyTorch model (`Chan-0312/RRNet`, `models/RRNet.py`):

- a residual module: three stages of a residual block (conv k3 → ReLU → conv k3, plus a 1×1
  projection shortcut when the width changes, no normalisation, no activation after the sum) and
  average pooling by 2, widths 4 / 8 / 16, then one ReLU: 7,200 pixels become 900 positions × 16
  channels (`post_activation="module"`; the shipped `rrnet_synthetic` preset was trained with a
  ReLU after each block's sum instead, `post_activation="block"`);
- a recurrent module, the "cross-band belief enhancement": the 14,400 features are read as 40
  steps of 360 values by a tanh RNN of 360 units whose whole output sequence is kept (post-RNN);
  "pre-RNN" runs it on the spectrum itself (40 × 180) before the convolutions, "raw" has none;
- dense 256 → 128 (ReLU, dropout 0.3) and two heads per label: the mean and a softplus
  variance, trained with the Gaussian negative log-likelihood (`core.tasks.GaussianRegressor`).

Beyond the official model, the input has two channels, the continuum-normalised flux and a
good-pixel mask (`domains.lamost.preprocessing.Preprocessed.model_input`): `SpectrumStandardization`
standardises the flux per pixel with statistics saved in the model and sets masked pixels to 0
(the training mean), so a masked pixel cannot move the prediction. It adds no trainable weight:
the parameter counts are the official ones (3,981,634 for post-RNN [4, 8, 16] with 3 labels:
Keras's RNN has one bias vector where torch's has two, 360 more, 3,981,994).

Example:
```python
model = RRNet()                     # the paper's SP family: Teff, logg, [Fe/H]; post-RNN [4, 8, 16]
model.count_params()                # 3,981,634 trainable + 14,401 statistics
x = np.ones((2, 7200, 2), "float32")
mean, sigma = model.predict_gaussian(x)   # (2, 3) each, in K, dex, dex
```
"""

import keras
import numpy as np
from keras import ops

from core.api import export
from core.layers.residual import ResidualBlock
from core.tasks.gaussian import GaussianEnsemble, GaussianRegressor
from domains.lamost import official
from domains.lamost.preprocessing import NUM_PIXELS

MODES = ("post-RNN", "pre-RNN", "raw")
POST_ACTIVATIONS = ("module", "block")
STELLAR_LABELS = ("Teff", "logg", "[Fe/H]")
ABUNDANCE_LABELS = ("[C/H]", "[N/H]", "[O/H]", "[Mg/H]", "[Al/H]", "[Si/H]", "[S/H]", "[K/H]", "[Ca/H]",
                    "[Ti/H]", "[Cr/H]", "[Mn/H]", "[Ni/H]", "[Cu/H]")
FAMILIES = {"stellar": STELLAR_LABELS, "abundances": ABUNDANCE_LABELS}
# The official label statistics (`data/refer_set/label_config.pkl`, LAMOST DR7 × APOGEE-Payne).
PAPER_LABEL_STATISTICS = {
    "Teff": (5055.2, 570.9), "logg": (3.397, 0.920), "[Fe/H]": (-0.193, 0.268),
    "[C/H]": (-0.298, 0.247), "[N/H]": (-0.076, 0.330), "[O/H]": (-0.094, 0.217), "[Mg/H]": (-0.094, 0.220),
    "[Al/H]": (-0.094, 0.296), "[Si/H]": (-0.094, 0.224), "[S/H]": (-0.123, 0.230), "[K/H]": (-0.255, 0.285),
    "[Ca/H]": (-0.153, 0.237), "[Ti/H]": (-0.149, 0.257), "[Cr/H]": (-0.178, 0.298), "[Mn/H]": (-0.340, 0.293),
    "[Ni/H]": (-0.167, 0.294), "[Cu/H]": (-0.311, 0.362),
}
# The paper's precision at S/N >= 10 (RRNet; SPEMR, a later method, in brackets in the README).
PAPER_PRECISION = {"Teff": 88.0, "logg": 0.13}
NOISE_RATE = 0.25


def uses_noise(model):
    """Whether `model` (RRNet, StarNet, or an ensemble of them: `.members`) reads the noise channel."""
    members = getattr(model, "members", [model])
    flags = {bool(getattr(member, "noise_input", False)) for member in members}
    if len(flags) > 1:
        raise ValueError(f"An ensemble's members must all read the noise channel or none. Received: {sorted(flags)}")
    return flags.pop()


def inputs_for(model, x):
    """`x` (n, pixels, 2 or 3) as `model` reads it: the noise channel dropped for a model without it.

    Example:
    ```python
    inputs_for(StarNet(), np.ones((1, 7200, 3), "float32")).shape   # (1, 7200, 2)
    ```
    """
    if np.shape(x)[-1] == 3 and not uses_noise(model):
        return x[..., :2]
    return x


@export
class SpectrumStandardization(keras.layers.Layer):
    """Per-pixel standardisation of the flux channel, noise augmentation, and masking.

    Input (batch, pixels, 2): flux and good-pixel mask (1 good, 0 masked); with `noise_channel`
    (batch, pixels, 3), the flux's per-pixel σ third, passed on as σ / std (0 where masked) in a
    second output channel. Output (batch, pixels, 1): (flux − mean) / std, plus N(0, noise_stddev) noise on a random `noise_rate` of the
    pixels while training once `noise_active` is 1 (the paper switches it on after epoch 5), then
    0 wherever the mask is 0. The statistics are non-trainable weights (`set_statistics`).

    Args:
        num_pixels: int. Defaults to 7200.
        noise_rate: float. Fraction of pixels that get noise. Defaults to 0.25.
        noise_stddev: float. Defaults to 1.0 (in standardised units).
        seed: int or None. Seed of the noise. Defaults to None.
        noise_channel: bool. A third input channel, the flux's σ (not the paper's). Defaults to False.

    Example:
    ```python
    layer = SpectrumStandardization(num_pixels=4)
    layer.set_statistics(np.array([[1.0, 0.9, 1.0, 1.1], [1.0, 1.1, 1.0, 0.9]]))
    x = np.array([[[1.0, 1], [1.1, 1], [5.0, 0], [1.0, 1]]], "float32")
    layer(x)[0, :, 0]   # [0, 1, 0 (masked), 1]
    ```
    """

    def __init__(self, num_pixels=NUM_PIXELS, noise_rate=NOISE_RATE, noise_stddev=1.0, seed=None, noise_channel=False,
                 **kwargs):
        super().__init__(**kwargs)
        self.num_pixels = int(num_pixels)
        self.noise_rate = float(noise_rate)
        self.noise_stddev = float(noise_stddev)
        self.seed = seed
        self.noise_channel = bool(noise_channel)
        self.seed_generator = keras.random.SeedGenerator(seed)

    @property
    def channels(self):
        return 3 if self.noise_channel else 2

    def build(self, input_shape):
        if tuple(input_shape[-2:]) != (self.num_pixels, self.channels):
            what = "flux, mask and noise σ (Preprocessed.model_input(noise=True))" if self.noise_channel else "flux and mask"
            raise ValueError(f"{self.name} expects (batch, {self.num_pixels}, {self.channels}): {what}. "
                             f"Received: input_shape={input_shape}")
        self.mean = self.add_weight(shape=(self.num_pixels,), initializer="ones", trainable=False, name="mean")
        self.std = self.add_weight(shape=(self.num_pixels,), initializer="ones", trainable=False, name="std")
        self.noise_active = self.add_weight(shape=(), initializer="zeros", trainable=False, name="noise_active")

    def set_statistics(self, flux, good=None):
        """Set the per-pixel mean and std from training spectra (n, pixels), over their good pixels."""
        flux = np.asarray(flux, "float64")
        weight = np.ones_like(flux) if good is None else np.asarray(good, "float64")
        count = np.maximum(weight.sum(axis=0), 1.0)
        mean = (weight * flux).sum(axis=0) / count
        std = np.sqrt((weight * (flux - mean) ** 2).sum(axis=0) / count)
        if not self.built:
            self.build((None, self.num_pixels, self.channels))
        self.mean.assign(np.where(weight.sum(axis=0) > 0, mean, 1.0))
        self.std.assign(np.maximum(std, 1e-3))

    def call(self, inputs, training=False):
        flux, good = inputs[..., 0], inputs[..., 1]
        z = (flux - self.mean) / self.std
        if training and self.noise_rate > 0:
            noise = keras.random.normal(ops.shape(z), stddev=self.noise_stddev, seed=self.seed_generator)
            hit = ops.cast(keras.random.uniform(ops.shape(z), seed=self.seed_generator) < self.noise_rate, z.dtype)
            z = z + self.noise_active * hit * noise
        if self.noise_channel:
            # The flux's σ in the same standardised units as the flux channel.
            return ops.stack([z * good, inputs[..., 2] / self.std * good], axis=-1)
        return ops.expand_dims(z * good, -1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_pixels, self.channels - 1)

    def get_config(self):
        return {**super().get_config(), "num_pixels": self.num_pixels, "noise_rate": self.noise_rate,
                "noise_stddev": self.noise_stddev, "seed": self.seed, "noise_channel": self.noise_channel}


def _rnn(units, name):
    return keras.layers.SimpleRNN(units, activation="tanh", return_sequences=True, name=name)


def _official_block(x, width, name):
    """The official `ResBlock`: conv k3 → ReLU → conv k3, plus the input (1×1 conv if the width changes); no activation after."""
    branch = keras.layers.Conv1D(width, 3, padding="same", activation="relu", kernel_initializer="he_uniform",
                                 name=f"{name}_conv1")(x)
    branch = keras.layers.Conv1D(width, 3, padding="same", kernel_initializer="he_uniform", name=f"{name}_conv2")(branch)
    shortcut = x if x.shape[-1] == width else keras.layers.Conv1D(width, 1, kernel_initializer="he_uniform",
                                                                  name=f"{name}_shortcut")(x)
    return keras.layers.Add(name=f"{name}_add")([branch, shortcut])


def rrnet_features(mode="post-RNN", widths=(4, 8, 16), rnn_steps=40, num_pixels=NUM_PIXELS, name="rrnet_features",
                   post_activation="module", noise_input=False):
    """RRNet's feature extractor: input (pixels, 2) → the flattened features before the dense layers.

    Args:
        mode: str. "post-RNN", "pre-RNN" or "raw". Defaults to "post-RNN".
        widths: tuple of int. Channels of the residual stages. Defaults to (4, 8, 16).
        rnn_steps: int. Steps of the recurrent module. Defaults to 40.
        num_pixels: int. Defaults to 7200.
        name: str.
        post_activation: str. "module": the official model, one ReLU after the residual module
            (after the last pooling); "block": a ReLU after each block's sum, before its pooling
            (`core.layers.ResidualBlock`; how the `rrnet_synthetic` preset was trained). Defaults
            to "module".
        noise_input: bool. A third input channel, the per-pixel noise σ, standardised beside the
            flux and read by the first convolutions (not the paper's). Defaults to False.

    Returns:
        keras.Model.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}. Received: mode={mode!r}")
    if post_activation not in POST_ACTIVATIONS:
        raise ValueError(f"post_activation must be one of {POST_ACTIVATIONS}. Received: "
                         f"post_activation={post_activation!r}")
    length = num_pixels // 2 ** len(widths)
    if num_pixels % 2 ** len(widths) or (length * widths[-1]) % rnn_steps or num_pixels % rnn_steps:
        raise ValueError(f"num_pixels={num_pixels} must pool evenly {len(widths)} times and split into rnn_steps="
                         f"{rnn_steps} steps before and after the convolutions")
    if noise_input and mode == "pre-RNN":
        raise ValueError(f"noise_input needs the convolutions first: mode 'post-RNN' or 'raw'. Received: mode={mode!r}")
    inputs = keras.Input((num_pixels, 3 if noise_input else 2), name="spectrum")
    x = SpectrumStandardization(num_pixels, noise_channel=noise_input, name="standardization")(inputs)
    if mode == "pre-RNN":
        x = keras.layers.Reshape((rnn_steps, num_pixels // rnn_steps), name="to_steps")(x)
        x = _rnn(num_pixels // rnn_steps, "rnn")(x)
        x = keras.layers.Reshape((num_pixels, 1), name="to_pixels")(x)
    for i, width in enumerate(widths):
        if post_activation == "module":
            x = _official_block(x, width, f"residual_{i}")
        else:
            x = ResidualBlock(1, width, normalization=None, use_bias=True, kernel_initializer="he_uniform",
                              name=f"residual_{i}")(x)
        x = keras.layers.AveragePooling1D(2, name=f"pool_{i}")(x)
    if post_activation == "module":
        x = keras.layers.ReLU(name="residual_relu")(x)
    if mode == "post-RNN":
        # (900, 16) read row by row: step k holds positions 22.5k.. with all their channels,
        # as torch's permute(0, 2, 1).reshape(B, 40, 360).
        x = keras.layers.Reshape((rnn_steps, length * widths[-1] // rnn_steps), name="to_steps")(x)
        x = _rnn(length * widths[-1] // rnn_steps, "rnn")(x)
    outputs = keras.layers.Flatten(name="flatten")(x)
    return keras.Model(inputs, outputs, name=name)


def starnet_features(mode="post-RNN", rnn_steps=80, num_pixels=NUM_PIXELS, name="starnet_features"):
    """StarNet's feature extractor (the official `models/StarNet.py`): conv 4, conv 16 (k3, ReLU), max-pool 4.

    In the official post-RNN configuration the 16 × 1,800 features are read as 80 steps of 360
    by the same recurrent module as RRNet's (7,666,870 parameters with torch's two RNN biases).

    Args:
        mode: str. "post-RNN" or "raw". Defaults to "post-RNN".
        rnn_steps: int. Defaults to 80.
        num_pixels: int. Defaults to 7200.
        name: str.
    """
    if mode not in ("post-RNN", "raw"):
        raise ValueError(f'StarNet\'s mode must be "post-RNN" or "raw". Received: mode={mode!r}')
    inputs = keras.Input((num_pixels, 2), name="spectrum")
    x = SpectrumStandardization(num_pixels, name="standardization")(inputs)
    x = keras.layers.Conv1D(4, 3, padding="same", activation="relu", name="conv_0")(x)
    x = keras.layers.Conv1D(16, 3, padding="same", activation="relu", name="conv_1")(x)
    x = keras.layers.MaxPooling1D(4, name="pool")(x)
    if mode == "post-RNN":
        features = (num_pixels // 4) * 16
        x = keras.layers.Reshape((rnn_steps, features // rnn_steps), name="to_steps")(x)
        x = _rnn(features // rnn_steps, "rnn")(x)
    outputs = keras.layers.Flatten(name="flatten")(x)
    return keras.Model(inputs, outputs, name=name)


def _labels(labels):
    if isinstance(labels, str):
        if labels not in FAMILIES:
            raise ValueError(f"labels must be one of {list(FAMILIES)} or a list of names. Received: labels={labels!r}")
        return list(FAMILIES[labels])
    return list(labels)


def _paper_statistics(label_names, target_mean, target_std):
    if target_mean is None and all(name in PAPER_LABEL_STATISTICS for name in label_names):
        target_mean = [PAPER_LABEL_STATISTICS[name][0] for name in label_names]
        target_std = [PAPER_LABEL_STATISTICS[name][1] for name in label_names]
    return target_mean, target_std


class _SpectrumModel(GaussianRegressor):
    """What RRNet and StarNet share: the standardisation layer, the noise switch, the config."""

    noise_input = False   # RRNet(noise_input=True) reads a third channel, the per-pixel noise σ

    @property
    def standardization(self):
        return self.backbone.get_layer("standardization")

    def set_flux_statistics(self, flux, good=None):
        """Per-pixel mean/std of the training spectra's normalised flux (n, 7200), kept in the model."""
        self.standardization.set_statistics(flux, good)

    def predict_gaussian(self, x, batch_size=256):
        """(mean, σ) in the labels' units; `x` (n, pixels, 2), or 3 channels for `noise_input` models."""
        channels = 3 if self.noise_input else 2
        shape = tuple(np.shape(x))
        if len(shape) != 3 or shape[-1] != channels:
            what = ("flux, mask and noise σ: Preprocessed.model_input(noise=True)" if self.noise_input
                    else "flux and mask: Preprocessed.model_input()")
            raise ValueError(f"{type(self).__name__}(noise_input={self.noise_input}) expects (n, pixels, {channels}): "
                             f"{what}. Received: x.shape={shape}")
        return super().predict_gaussian(x, batch_size=batch_size)

    def set_noise(self, active):
        """Switch the noise augmentation on or off (the recipe switches it on after epoch 5)."""
        self.standardization.noise_active.assign(1.0 if active else 0.0)

    def torch_parameter_count(self):
        """Trainable parameters as torch counts them: its RNN has two bias vectors, Keras's one."""
        trainable = int(sum(np.prod(w.shape) for w in self.trainable_weights))
        rnn = [layer for layer in self.backbone.layers if isinstance(layer, keras.layers.SimpleRNN)]
        return trainable + sum(layer.units for layer in rnn)

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config.pop("backbone", None)
        return cls(**config)


@export
class RRNet(_SpectrumModel):
    """RRNet: residual module, recurrent module, dense 256/128, Gaussian heads (mean, variance).

    Input (batch, 7200, 2): the normalised flux and the good-pixel mask
    (`Preprocessed.model_input()`). Outputs (batch, 2 · labels): means, then variances, of the
    standardised labels; `predict_gaussian` gives (mean, σ) in the labels' units.

    Args:
        labels: "stellar" (Teff, logg, [Fe/H]: the paper's SP family), "abundances" (the 14 [X/H]:
            CA) or a list of label names. Defaults to "stellar".
        mode: str. "post-RNN", "pre-RNN" or "raw". Defaults to "post-RNN".
        widths: tuple of int. Residual stage widths. Defaults to (4, 8, 16).
        rnn_steps: int. Steps of the recurrent module. Defaults to 40.
        num_pixels: int. Defaults to 7200.
        target_mean, target_std: lists or None. Label statistics; None takes the paper's
            (LAMOST × APOGEE-Payne) for known labels. Defaults to None.
        hidden_units: tuple. Defaults to (256, 128).
        dropout: float. Defaults to 0.3.
        learning_rate: float. Defaults to 5e-4 (the paper's Adam rate).
        post_activation: "module" (the official: one ReLU after the residual module) or "block"
            (a ReLU after each residual block, as the `rrnet_synthetic` preset was trained; a saved
            config without this key is one of those). Defaults to "module".
        noise_input: bool. Feed the per-pixel noise σ (from IVAR) as a third input channel
            (`Preprocessed.model_input(noise=True)`), so σ can follow each spectrum's noise; off in
            the paper's configuration. Defaults to False.
        **kwargs: passed to `keras.Model` (name, ...).

    Example:
    ```python
    model = RRNet(mode="raw", widths=(2, 4, 8), num_pixels=720, rnn_steps=10, hidden_units=(16,))
    model.compile()
    mean, sigma = model.predict_gaussian(np.ones((2, 720, 2), "float32"))   # (2, 3) each
    RRNet.from_preset("rrnet_synthetic")   # the shipped preset (trained on SYNTHETIC spectra)
    ```
    """

    # Official `models/RRNet.py`, post-RNN [4, 8, 16], 3 labels, as Keras counts it (torch: 3,981,994,
    # two RNN bias vectors; `torch_parameter_count`).
    paper_parameters = 3_981_634

    def __init__(self, labels="stellar", mode="post-RNN", widths=(4, 8, 16), rnn_steps=40, num_pixels=NUM_PIXELS,
                 target_mean=None, target_std=None, hidden_units=(256, 128), dropout=0.3, learning_rate=5e-4,
                 post_activation="module", noise_input=False, **kwargs):
        label_names = _labels(labels if "label_names" not in kwargs else kwargs.pop("label_names"))
        target_mean, target_std = _paper_statistics(label_names, target_mean, target_std)
        backbone = rrnet_features(mode, tuple(widths), rnn_steps, num_pixels, post_activation=post_activation,
                                  noise_input=noise_input)
        super().__init__(backbone, label_names, target_mean, target_std, hidden_units, dropout, learning_rate,
                         **kwargs)
        self.mode = mode
        self.widths = tuple(int(w) for w in widths)
        self.rnn_steps = int(rnn_steps)
        self.num_pixels = int(num_pixels)
        self.post_activation = post_activation
        self.noise_input = bool(noise_input)

    def get_config(self):
        config = super().get_config()
        config.pop("backbone")
        return {**config, "mode": self.mode, "widths": list(self.widths), "rnn_steps": self.rnn_steps,
                "num_pixels": self.num_pixels, "post_activation": self.post_activation, "noise_input": self.noise_input}

    @classmethod
    def from_config(cls, config):
        # Models saved before `post_activation` existed had a ReLU after each block.
        return super().from_config({"post_activation": "block", **config})

    @classmethod
    def from_official(cls, path, label_config=None, mode=None):
        """An RRNet with the weights of an official checkpoint (`Chan-0312/RRNet`, PyTorch).

        The official repository's layout: `model_log/RRNet(Nr=[4-8-16]-Ns=40)_post-RNN_add-noise/`
        holds the members `SP0`…`SP5` (Teff, log g, [Fe/H]) and `CA0`…`CA5` (the 14 [X/H]), each a
        `weight_best.pkl` (`torch.save` of the model's `state_dict`), and `data/refer_set/label_config.pkl`
        the flux and label statistics. See `domains.lamost.official` for the layer-by-layer mapping;
        torch is not needed.

        Args:
            path: a member folder (`.../SP0`) or its `weight_best.pkl` (or an `.npz` of the state dict).
            label_config: path of `label_config.pkl`, or None: `data/refer_set/label_config.pkl` of the
                clone the member sits in. Defaults to None.
            mode: "post-RNN", "pre-RNN" or "raw", or None: read from the model folder's name
                (`..._post-RNN_...`), else "post-RNN". Defaults to None.

        Returns:
            RRNet, predicting in the labels' units (the official statistics kept in the model).

        Example:
        ```python
        member = RRNet.from_official("RRNet/model_log/RRNet(Nr=[4-8-16]-Ns=40)_post-RNN_add-noise/SP0")
        mean, sigma = member.predict_gaussian(preprocess([read_mrs(path)], rv=rv).model_input())
        ```
        """
        weights, config_path = official.find_member(path, label_config)
        state, config = official.read_state_dict(weights), official.read_label_config(config_path)
        shape = official.layout(state, mode, folder_name=weights.parent.parent.name)
        if shape["mode"] not in MODES:
            raise ValueError(f"mode must be one of {MODES}. Received: mode={shape['mode']!r}")
        target_mean, target_std = official.label_statistics(config, shape["labels"])
        model = cls(**shape, target_mean=target_mean, target_std=target_std, post_activation="module")
        official.assign(model, state, config)
        return model


@export
class StarNet(_SpectrumModel):
    """StarNet, the paper's baseline (official `models/StarNet.py`): two convs, max-pool 4, RNN, dense, Gaussian heads.

    Args:
        labels: as `RRNet`. Defaults to "stellar".
        mode: "post-RNN" (the official configuration) or "raw". Defaults to "post-RNN".
        rnn_steps: int. Defaults to 80.
        num_pixels: int. Defaults to 7200.
        target_mean, target_std, hidden_units, dropout, learning_rate: as `RRNet`.

    Example:
    ```python
    model = StarNet(num_pixels=720, rnn_steps=10, hidden_units=(16,))
    model.torch_parameter_count()
    ```
    """

    def __init__(self, labels="stellar", mode="post-RNN", rnn_steps=80, num_pixels=NUM_PIXELS, target_mean=None,
                 target_std=None, hidden_units=(256, 128), dropout=0.3, learning_rate=5e-4, **kwargs):
        label_names = _labels(labels if "label_names" not in kwargs else kwargs.pop("label_names"))
        target_mean, target_std = _paper_statistics(label_names, target_mean, target_std)
        backbone = starnet_features(mode, rnn_steps, num_pixels)
        super().__init__(backbone, label_names, target_mean, target_std, hidden_units, dropout, learning_rate,
                         **kwargs)
        self.mode = mode
        self.rnn_steps = int(rnn_steps)
        self.num_pixels = int(num_pixels)

    def get_config(self):
        config = super().get_config()
        config.pop("backbone")
        return {**config, "mode": self.mode, "rnn_steps": self.rnn_steps, "num_pixels": self.num_pixels}


def official_ensemble(folder, family="stellar", label_config=None, mode=None):
    """The paper's deep ensemble of one family from the official model folder (`RRNet.from_official` per member).

    Args:
        folder: the official model folder, e.g. `RRNet/model_log/RRNet(Nr=[4-8-16]-Ns=40)_post-RNN_add-noise`.
        family: "stellar" (members SP0…SP5) or "abundances" (CA0…CA5). Defaults to "stellar".
        label_config: as `RRNet.from_official`. Defaults to None.
        mode: as `RRNet.from_official`. Defaults to None.

    Returns:
        core.tasks.GaussianEnsemble: the official mixture, mean of μ and √(mean(μ² + σ²) − μ²).

    Example:
    ```python
    ensemble = official_ensemble("RRNet/model_log/RRNet(Nr=[4-8-16]-Ns=40)_post-RNN_add-noise")
    mean, sigma = ensemble.predict_gaussian(x)
    ```
    """
    return GaussianEnsemble([RRNet.from_official(member, label_config, mode)
                             for member in official.members(folder, family)])
