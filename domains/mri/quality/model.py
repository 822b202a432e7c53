"""`SSIMRegressor`: a 2-D ResNet-18 that predicts the SSIM of a slice without its reference.

Sciarra, Chatterjee et al., "Automated SSIM Regression for Detection and Quantification of
Motion Artefacts in Brain MR Images" (arXiv 2206.06725; MIDL 2022 short paper "Reference-less
SSIM Regression..."): a ResNet-18 regresses the SSIM between a motion-corrupted image and its
motion-free original, from the corrupted image alone; classes are SSIM ranges. ResNet-18 with
contrast augmentation was best (residuals mu = -0.0009, sigma = 0.0139; 3/5/10-class accuracy
97/95/89 %). No official code is public; the choices below are the project's (docs/papers.md §2).

- **Backbone**: `core.backbones.ResNetBackbone(rank=2, depth=18, input_channels=1)` with a fixed
  `slice_size x slice_size` input (128 by default; the data pipeline crops each volume to its
  foreground box, pads to a square and resizes, see `domains.mri.quality.data`).
- **Regression head**: global average pooling → `Dense(1, sigmoid)` (`core.tasks.Regressor`), so
  predictions stay in (0, 1), initialised to predict 0.85 (zero kernel, bias logit(0.85)) so the
  sigmoid starts in its responsive range; mean squared error, AdamW.
- **Classes**: equal-width SSIM ranges over `ssim_range` (default `DEFAULT_SSIM_RANGE` =
  (0.5, 1.0): from about the 1st percentile of the labels the default simulation gives on the
  sample volumes, up to a perfect 1; widths 0.167 / 0.1 / 0.05 for 3 / 5 / 10 classes). Class 0 is the lowest-SSIM (worst) range; values below the range
  fall into class 0, the top class ends at 1. The class of a slice is the bin of its regressed
  SSIM (`SSIMClasses`, a fixed head on the regressor, `SSIMRegressor.classifier(k)`): one trained
  model grades into 3, 5 and 10 classes, and its classes never contradict its SSIM. The edges
  are fixed constants rather than learned from each data set so that grades mean the same thing
  for every model and data set; they are stored in each saved model.
- **Contrast augmentation** (training only, switch `contrast_augmentation`, recorded with the
  model) and **other contrasts** (training option `remap_probability`) change the motion-free
  slice before the motion: `domains.mri.quality.data.augment` (`contrast_augment`,
  `intensity_remap`).
- **Size**: `SSIMRegressor()` (width 64, 1 input channel, 1 output) has 11,170,753 trainable
  parameters (`paper_parameters`): torchvision's `resnet18` (11,689,512) with a 1-channel stem
  (-6,272) and one output instead of 1,000 (-512,487).
"""

import keras
import numpy as np
import tensorflow as tf

from core.api import export
from core.backbones import ResNetBackbone
from core.tasks import Regressor

DEFAULT_SLICE_SIZE = 128
DEFAULT_SSIM_RANGE = (0.5, 1.0)
BIN_COUNTS = (3, 5, 10)
INITIAL_SSIM_LOGIT = float(np.log(0.85 / 0.15))  # the head starts at SSIM 0.85
PAPER = {"residual_mean": -0.0009, "residual_std": 0.0139, "accuracy_3": 0.97, "accuracy_5": 0.95,
         "accuracy_10": 0.89}


def best_preset(presets):
    """The name of the best shipped preset, from the presets' metadata: what `from_preset()` loads by default.

    Each preset's stored score (`metadata["score"]`, measured by `make presets` on the held-out
    test set of its own run's data) gives its residual σ and the constant predictor's on the same
    examples; the best preset has the lowest ratio of the two (its σ as a share of the spread it
    must explain), so that presets scored on different test sets (axial, or three axes) compare
    fairly. No held-out volume of `evaluate --option heldout=true` is read for this choice.

    Args:
        presets: dict {name: metadata} (`SSIMRegressor.presets()`).

    Returns:
        str.

    Raises:
        ValueError: no preset has a score with the constant baseline.

    Example:
    ```python
    best_preset(SSIMRegressor.presets())   # 'ssim_mni_long'
    ```
    """
    ratios = {}
    for name, metadata in presets.items():
        score = metadata.get("score") or {}
        model = (score.get("metrics") or {}).get("residual_std")
        constant = ((score.get("baselines") or {}).get("constant_train_mean") or {}).get("residual_std")
        if model is not None and constant:
            ratios[name] = model / constant
    if not ratios:
        raise ValueError("No preset has a stored score with its constant baseline (metadata score.metrics.residual_std "
                         f"and score.baselines.constant_train_mean.residual_std). Received: presets={sorted(presets)}")
    return min(sorted(ratios), key=ratios.get)


def ssim_bins(num_classes, ssim_range=DEFAULT_SSIM_RANGE):
    """Edges of `num_classes` equal-width SSIM ranges over `ssim_range` (num_classes + 1 values).

    Args:
        num_classes: int >= 2 (the paper uses 3, 5 and 10).
        ssim_range: (low, high) with 0 <= low < high <= 1. Defaults to (0.5, 1.0).

    Example:
    ```python
    ssim_bins(5)   # [0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
    ```
    """
    if not isinstance(num_classes, (int, np.integer)) or num_classes < 2:
        raise ValueError(f"num_classes must be an integer >= 2. Received: num_classes={num_classes!r}")
    low, high = (float(v) for v in ssim_range)
    if not 0.0 <= low < high <= 1.0:
        raise ValueError(f"ssim_range must satisfy 0 <= low < high <= 1. Received: ssim_range={ssim_range}")
    return np.linspace(low, high, int(num_classes) + 1)


def ssim_to_class(ssim, num_classes, ssim_range=DEFAULT_SSIM_RANGE):
    """The SSIM-range class of each value: 0 = lowest range; out-of-range values go to the end classes.

    Args:
        ssim: array-like of SSIM values.
        num_classes: int.
        ssim_range: (low, high). Defaults to (0.5, 1.0).

    Returns:
        int ndarray of the same shape.
    """
    inner = ssim_bins(num_classes, ssim_range)[1:-1]
    return np.digitize(np.asarray(ssim, dtype="float64"), inner).astype(int)


@export
class SSIMClasses(keras.layers.Layer):
    """Fixed classification head: the SSIM-range class of a regressed SSIM, as one-hot scores.

    Args:
        edges: list of float. Class edges (`ssim_bins`), num_classes + 1 values.

    Example:
    ```python
    SSIMClasses(ssim_bins(3))(np.array([[0.65], [0.99]], "float32"))  # [[1, 0, 0], [0, 0, 1]]
    ```
    """

    def __init__(self, edges, **kwargs):
        super().__init__(**kwargs)
        self.edges = [float(e) for e in edges]
        if len(self.edges) < 3 or any(b <= a for a, b in zip(self.edges, self.edges[1:])):
            raise ValueError(f"edges must be >= 3 increasing values. Received: edges={edges}")

    def call(self, ssim):
        inner = tf.constant(self.edges[1:-1], dtype=ssim.dtype)
        index = tf.reduce_sum(tf.cast(ssim >= inner, tf.int32), axis=-1)
        return tf.one_hot(index, len(self.edges) - 1, dtype=ssim.dtype)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], len(self.edges) - 1)

    def get_config(self):
        return {**super().get_config(), "edges": self.edges}


@export
class SSIMRegressor(Regressor):
    """Reference-free SSIM of a motion-corrupted MR slice: a 2-D ResNet-18 with a sigmoid output.

    Args:
        backbone: keras.Model or None. A rank-2, 1-channel feature extractor with a fixed square
            input; None builds `ResNetBackbone(rank=2, depth=depth, input_channels=1,
            input_spatial_shape=(slice_size, slice_size))`. Defaults to None.
        slice_size: int. Side of the square input slices. Defaults to 128.
        depth: int. ResNet depth when building the backbone. Defaults to 18.
        width: int. Width of the built backbone's first stage (the stages have width, 2, 4 and
            8 times width channels; 64 is the standard ResNet). Defaults to 64.
        ssim_range: (low, high). Range split into the SSIM classes. Defaults to (0.5, 1.0).
        contrast_augmentation: bool. Whether training uses `contrast_augment` (recorded with the
            model; read by `train_ssim_regressor`). Defaults to True.
        pooling: str. "avg" or "max". Defaults to "avg".
        dropout: float. Dropout before the head. Defaults to 0.

    Example:
    ```python
    model = SSIMRegressor(slice_size=128)
    model = SSIMRegressor.from_preset()          # the best shipped preset (`best_preset`)
    model.compile()                              # AdamW, MSE, MAE
    ssim = model.predict_ssim(slices)            # (N,) from (N, 128, 128, 1) slices
    grades = model.classify(ssim, num_classes=5) # 0 (worst) ... 4 (best)
    ```
    """

    # torchvision's resnet18 with a 1-channel stem and one output: the paper's ResNet-18 (no official code).
    paper_parameters = 11_170_753

    def __init__(self, backbone=None, slice_size=DEFAULT_SLICE_SIZE, depth=18, ssim_range=DEFAULT_SSIM_RANGE,
                 contrast_augmentation=True, pooling="avg", dropout=0.0, width=64, **kwargs):
        if not isinstance(slice_size, (int, np.integer)) or slice_size < 32:
            raise ValueError(f"slice_size must be an integer >= 32. Received: slice_size={slice_size!r}")
        ssim_bins(2, ssim_range)  # validates the range
        if backbone is None:
            backbone = ResNetBackbone(rank=2, depth=depth, input_channels=1,
                                      input_spatial_shape=(int(slice_size), int(slice_size)), stem_filters=width,
                                      widths=(width, 2 * width, 4 * width, 8 * width), name="resnet_backbone")
        expected = (None, int(slice_size), int(slice_size), 1)
        if tuple(backbone.input_shape) != expected:
            raise ValueError(
                f"SSIMRegressor needs a backbone with input shape {expected}. "
                f"Received: backbone.input_shape={backbone.input_shape}"
            )
        super().__init__(backbone, num_outputs=1, pooling=pooling, dropout=dropout, output_activation="sigmoid",
                         **kwargs)
        # Start at a typical SSIM with a zero kernel: a random head can start deep in the sigmoid's
        # flat tails, where the gradient vanishes and training stalls (seen at 64 x 64).
        head = self.get_layer("predictions")
        head.kernel.assign(np.zeros(head.kernel.shape, "float32"))
        head.bias.assign(np.full(head.bias.shape, INITIAL_SSIM_LOGIT, "float32"))
        # === Config ===
        self.slice_size = int(slice_size)
        self.depth = getattr(backbone, "depth", depth)
        self.ssim_range = tuple(float(v) for v in ssim_range)
        self.contrast_augmentation = bool(contrast_augmentation)

    @classmethod
    def from_preset(cls, name=None):
        """The model of a shipped preset; without a name, the best one (`best_preset` of its metadata).

        Args:
            name: str or None. The preset's name (`presets()` lists them); None: `best_preset`.
                Defaults to None.

        Example:
        ```python
        model = SSIMRegressor.from_preset()   # ssim_mni_long: the lowest residual σ for its test set
        ```
        """
        return super().from_preset(best_preset(cls.presets()) if name is None else name)

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "backbone": keras.layers.serialize(self.backbone),
            "slice_size": self.slice_size,
            "depth": self.depth,
            "ssim_range": list(self.ssim_range),
            "contrast_augmentation": self.contrast_augmentation,
            "pooling": self.pooling,
            "dropout": self.dropout,
        }

    def check_slices(self, slices):
        """Slices as float32 `(N, S, S, 1)`; a clear ValueError for any other shape.

        Accepts `(S, S)`, `(S, S, 1)`, `(N, S, S)` and `(N, S, S, 1)` with S = `slice_size`.
        """
        x = np.asarray(slices, dtype="float32")
        size = self.slice_size
        if x.ndim == 2:
            x = x[np.newaxis, ..., np.newaxis]
        elif x.ndim == 3:
            x = x[..., np.newaxis] if x.shape[-1] != 1 or x.shape[:2] != (size, size) else x[np.newaxis]
        if x.ndim != 4 or x.shape[1:] != (size, size, 1):
            raise ValueError(
                f"SSIMRegressor expects 2-D single-channel slices of {size} x {size}: (N, {size}, {size}, 1), "
                f"(N, {size}, {size}) or ({size}, {size}). Received: shape={np.shape(slices)}. "
                "Prepare volumes with domains.mri.quality.volume_slices(path, slice_size="
                f"{size}) (crop to the foreground, pad to a square, resize)."
            )
        if not np.all(np.isfinite(x)):
            raise ValueError("SSIMRegressor: the slices contain NaN or infinite values")
        return x

    def predict_ssim(self, slices, batch_size=32):
        """Predicted SSIM, `(N,)` float32, of motion-corrupted slices (shape-checked first)."""
        x = self.check_slices(slices)
        if len(x) == 0:
            return np.zeros(0, "float32")
        return self.predict(x, batch_size=batch_size, verbose=0)[:, 0]

    def classify(self, ssim, num_classes):
        """SSIM-range classes (0 = lowest range) of SSIM values, with this model's `ssim_range`."""
        return ssim_to_class(ssim, num_classes, self.ssim_range)

    def classifier(self, num_classes):
        """A `keras.Model` slices → one-hot SSIM-range class: this regressor + `SSIMClasses`."""
        edges = ssim_bins(num_classes, self.ssim_range)
        outputs = SSIMClasses(edges, name=f"ssim_classes_{num_classes}")(self.output)
        return keras.Model(self.input, outputs, name=f"{self.name}_classes_{num_classes}")
