"""`DRClassifier`: the ResNet-18 baseline for referable diabetic retinopathy (or the 5 ICDR grades).

Castilla et al., "A ResNet is All You Need?" (SIPAIM 2022, arXiv 2210.03180): a standard
ResNet-18 with a 2-class softmax (non-referable / referable, ICDR grade >= 2) reaches test AUC
0.955 on 61,007 images of nine sources. The repository releases splits and predictions only
(docs/papers.md §3); input size, preprocessing and training recipe are the project's documented
choices (`preprocessing`, `training`).

- **Backbone**: `core.backbones.ResNetBackbone(rank=2, depth=18)` (torchvision's resnet18
  layout), RGB `image_size x image_size` input (512 by default) in [0, 1].
- **Head**: global average pooling, optional dropout, `Dense(num_classes)` logits
  (`core.tasks.Classifier`): 2 classes, or 5 grades whose P(referable) is P(grade >= 2).
- **Weights** from a file (`weights=PATH`): a `.weights.h5` of the backbone, or a `.keras` file
  of a `ResNetBackbone` or of a `DRClassifier` with the same backbone. ImageNet weights cannot
  be downloaded here; convert torchvision's `resnet18` weights once and pass the file.
- **Uncertainty**: test-time augmentation (the 8 flips and right-angle turns of the dihedral
  group; a fundus has no canonical orientation) or MC dropout (`dropout > 0`: the head's
  dropout resampled, the backbone in inference mode); the spread of P(referable) per image.
- **Grad-CAM** (Selvaraju et al. 2017) on the last residual stage: where the referable logit
  looks.
"""

import pathlib

import keras
import numpy as np
import tensorflow as tf

from core.api import export
from core.backbones import ResNetBackbone, image_resnet
from core.tasks import Classifier
from domains.fundus.preprocessing import DEFAULT_SIZE, GRAHAM_RADIUS
from domains.fundus.synthetic import GRADE_NAMES, REFERABLE_GRADE

BINARY_NAMES = ("non-referable", "referable")
NO_IMAGENET = (
    "ImageNet weights cannot be downloaded here (nothing is downloaded at run time). Convert "
    "torchvision's resnet18 weights once on a connected machine into a .weights.h5 file of "
    "core.backbones.ResNetBackbone(rank=2, depth=18) and pass weights=PATH."
)


@export
class DRClassifier(Classifier):
    """Referable DR (or the 5 ICDR grades) from a preprocessed fundus photograph: a 2-D ResNet-18.

    Args:
        backbone: keras.Model or None. A rank-2 RGB feature extractor with a fixed square input;
            None builds `ResNetBackbone(rank=2, depth=depth)` at `image_size` with first-stage
            `width` (64: the standard ResNet-18). Defaults to None.
        num_classes: int. 2 (non-referable / referable) or 5 (ICDR grades 0-4). Defaults to 2.
        image_size: int. Side of the square input. Defaults to 512.
        depth: int. ResNet depth when building the backbone. Defaults to 18.
        width: int. First-stage width when building the backbone (stages: 1, 2, 4, 8 x width).
            Defaults to 64.
        dropout: float. Dropout before the head (needed for MC-dropout uncertainty). Defaults to 0.
        graham_radius: int. The radius of Graham's normalisation this model expects its inputs
            preprocessed with (`preprocess(..., radius=)`); stored with the model. Defaults to 300.
        weights: str, Path or None. Backbone weights from a file (see the module docstring);
            "imagenet" raises with the reason. Defaults to None (random initialisation).
        pooling: str. "avg" or "max". Defaults to "avg".

    Example:
    ```python
    model = DRClassifier()                               # the paper's ResNet-18, 2 classes, 512 x 512
    small = DRClassifier(image_size=128, width=16)       # a narrow one for quick runs
    small.compile()                                      # AdamW, cross-entropy, accuracy
    p = small.referable_probability(images)              # (N,) from (N, 128, 128, 3) in [0, 1]
    p, spread = small.predict_with_uncertainty(images)   # TTA over the 8 flips/turns
    heat = small.grad_cam(images[0])                     # (128, 128) in [0, 1]
    shipped = DRClassifier.from_preset("dr_synthetic_small")   # trained on SYNTHETIC drawings
    ```
    """

    # torchvision's resnet18 without its fc (11,176,512 trainable) + the 2-class head (1,026).
    paper_parameters = 11_177_538

    def __init__(self, backbone=None, num_classes=2, image_size=DEFAULT_SIZE, depth=18, width=64, dropout=0.0,
                 graham_radius=GRAHAM_RADIUS, weights=None, pooling="avg", class_names=None, **kwargs):
        if num_classes not in (2, 5):
            raise ValueError(f"num_classes must be 2 (referable or not) or 5 (ICDR grades). "
                             f"Received: num_classes={num_classes!r}")
        if not isinstance(image_size, (int, np.integer)) or image_size < 32:
            raise ValueError(f"image_size must be an integer >= 32. Received: image_size={image_size!r}")
        backbone = image_resnet(image_size, depth, width, backbone=backbone, owner="DRClassifier")
        if weights is not None:
            load_backbone_weights(backbone, weights)
        names = class_names or (BINARY_NAMES if num_classes == 2 else GRADE_NAMES)
        super().__init__(backbone, num_classes, pooling=pooling, dropout=dropout, class_names=list(names), **kwargs)
        # === Config ===
        self.image_size = int(image_size)
        self.depth = getattr(backbone, "depth", depth)
        self.width = int(width)
        self.graham_radius = int(graham_radius)

    def get_config(self):
        return {**super().get_config(), "image_size": self.image_size, "depth": self.depth, "width": self.width,
                "graham_radius": self.graham_radius}

    def check_images(self, images):
        """Images as float32 `(N, S, S, 3)` in [0, 1]; a clear ValueError otherwise (S = `image_size`)."""
        x = np.asarray(images, dtype="float32")
        if x.ndim == 3:
            x = x[np.newaxis]
        size = self.image_size
        if x.ndim != 4 or x.shape[1:] != (size, size, 3):
            raise ValueError(
                f"DRClassifier expects preprocessed RGB images (N, {size}, {size}, 3) in [0, 1]. Received: "
                f"shape={np.shape(images)}. Prepare photographs with domains.fundus.preprocessing.preprocess("
                f"image, size={size}, radius={self.graham_radius}).")
        if not np.all(np.isfinite(x)) or x.min() < -1e-3 or x.max() > 1 + 1e-3:
            raise ValueError("DRClassifier: images must be finite and in [0, 1] (preprocess() output). "
                             f"Received: values from {np.nanmin(x):.3g} to {np.nanmax(x):.3g}")
        return x

    def _referable(self, logits):
        probabilities = tf.nn.softmax(tf.cast(logits, tf.float32), axis=-1)
        if self.num_classes == 2:
            return probabilities[:, 1]
        return tf.reduce_sum(probabilities[:, REFERABLE_GRADE:], axis=-1)

    def referable_probability(self, images, batch_size=16):
        """P(referable) per image, `(N,)` float32: the softmax's referable class (or P(grade >= 2))."""
        x = self.check_images(images)
        if not len(x):
            return np.zeros(0, "float32")
        return self._referable(self.predict(x, batch_size=batch_size, verbose=0)).numpy()

    def predict_with_uncertainty(self, images, method="tta", samples=8, seed=0, batch_size=16):
        """Mean P(referable) and its spread (standard deviation) over `samples` stochastic passes.

        Args:
            images: `(N, S, S, 3)` in [0, 1].
            method: "tta" (the first `samples` of the 8 flips/right-angle turns) or "mc_dropout"
                (needs `dropout > 0`). Defaults to "tta".
            samples: int. Passes per image (at most 8 for "tta"). Defaults to 8.
            seed: int. Seed of the dropout masks. Defaults to 0.
            batch_size: int. Defaults to 16.

        Returns:
            (mean, std): two `(N,)` float32 arrays.
        """
        x = self.check_images(images)
        if method == "tta":
            if not 1 <= samples <= 8:
                raise ValueError(f"tta has 8 transforms (flips and turns). Received: samples={samples}")
            stacked = np.concatenate([_dihedral(x, k) for k in range(samples)])  # one predict call
            passes = np.split(self._referable(self.predict(stacked, batch_size=batch_size, verbose=0)).numpy(), samples)
        elif method == "mc_dropout":
            if not self.dropout:
                raise ValueError("mc_dropout needs a model with dropout > 0 before its head. "
                                 f"Received: dropout={self.dropout}; use method='tta'")
            pool = self.get_layer("pool")
            features = tf.concat([pool(self.backbone(x[i:i + batch_size], training=False))
                                  for i in range(0, len(x), batch_size)], axis=0)
            head = self.get_layer("predictions")
            passes = [self._referable(head(tf.nn.experimental.stateless_dropout(features, self.dropout, [seed, k])))
                      for k in range(samples)]
        else:
            raise ValueError(f'method must be "tta" or "mc_dropout". Received: method={method!r}')
        passes = np.stack([np.asarray(p) for p in passes])
        return passes.mean(axis=0), passes.std(axis=0)

    def grad_cam(self, image, class_index=None, mask=None):
        """Grad-CAM heat map of one image: where the chosen class's logit looks, `(S, S)` in [0, 1].

        Args:
            image: `(S, S, 3)` or `(1, S, S, 3)` in [0, 1].
            class_index: int or None. The class to explain; None: the referable class (2 classes)
                or the predicted grade (5). Defaults to None.
            mask: bool `(S, S)` or None: the pixels that show the eye
                (`preprocessing.input_fov_mask`). The heat is kept there only and scaled to its
                maximum there: the grey outside Graham's disc and the padding are not explained.
                Defaults to None (the whole input).
        """
        x = tf.constant(self.check_images(image)[:1])
        # The backbone runs outside the tape: only d(logit)/d(feature map) is needed, and
        # recording it crashes TensorFlow 2.21's oneDNN kernels (AVX-512 CPUs) in tape.gradient.
        feature_map = self.backbone(x, training=False)
        with tf.GradientTape() as tape:
            tape.watch(feature_map)
            logits = self.get_layer("predictions")(self.get_layer("pool")(feature_map))
            if class_index is None:
                class_index = 1 if self.num_classes == 2 else int(tf.argmax(logits[0]))
            target = logits[0, class_index]
        gradients = tape.gradient(target, feature_map)
        weights = tf.reduce_mean(gradients, axis=(1, 2), keepdims=True)
        cam = tf.nn.relu(tf.reduce_sum(weights * feature_map, axis=-1))[..., tf.newaxis]
        cam = tf.image.resize(cam, (self.image_size, self.image_size), method="bilinear")[0, ..., 0].numpy()
        if mask is not None:
            mask = np.asarray(mask, bool)
            if mask.shape != cam.shape:
                raise ValueError(f"grad_cam's mask must be ({self.image_size}, {self.image_size}), the input's side. "
                                 f"Received: mask shape {mask.shape}")
            cam = np.where(mask, cam, 0.0)
        top = float(cam.max())
        return (cam / top).astype("float32") if top > 0 else np.zeros((self.image_size,) * 2, "float32")


def _dihedral(x, k):
    """The k-th of the 8 flips/right-angle turns of square images `(N, S, S, C)` (k = 0: identity)."""
    x = np.rot90(x, k % 4, axes=(1, 2))
    return np.ascontiguousarray(x[:, :, ::-1] if k >= 4 else x)


def load_backbone_weights(backbone, weights):
    """Load `weights` (a file) into `backbone`, with clear errors; "imagenet" explains why it cannot be.

    Args:
        backbone: the `ResNetBackbone` to fill.
        weights: str or Path: a `.weights.h5` file of this backbone, or a `.keras` file of a
            `ResNetBackbone` or of a model holding one (a `DRClassifier`).
    """
    if isinstance(weights, str) and weights.lower() == "imagenet":
        raise ValueError(f"{NO_IMAGENET} Received: weights='imagenet'")
    path = pathlib.Path(weights)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such weights file (expected a .weights.h5 of the backbone or a "
                                ".keras file of a ResNetBackbone or DRClassifier)")
    if path.name.endswith(".weights.h5"):
        backbone.load_weights(path)
        return backbone
    if path.suffix != ".keras":
        raise ValueError(f"{path}: expected a .weights.h5 or .keras file. Received: {path.name}")
    saved = keras.saving.load_model(path, compile=False)
    source = saved if isinstance(saved, ResNetBackbone) else getattr(saved, "backbone", None)
    if source is None:
        raise ValueError(f"{path}: holds a {type(saved).__name__} without a ResNet backbone")
    shapes = [tuple(w.shape) for w in source.weights]
    if shapes != [tuple(w.shape) for w in backbone.weights]:
        raise ValueError(f"{path}: its backbone's layout differs from this one (depth/width/input). "
                         f"Received: {len(shapes)} weight arrays, first {shapes[:1]}")
    backbone.set_weights(source.get_weights())
    return backbone
