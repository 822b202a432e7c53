"""The frozen 3-D ResNet-10 (MedicalNet layout) whose features DISGAN's perceptual term compares.

MedicalNet's ResNet-10 (Chen et al. 2019, https://arxiv.org/abs/1904.00625): a 7×7×7 stride-2
stem and a 3×3×3 stride-2 max-pool, BasicBlocks [1, 1, 1, 1] of widths 64, 128, 256, 512,
stage strides (1, 2, 1, 1) and dilations (1, 1, 2, 4), 1×1 projection shortcuts; the features
are the last stage's output (512 channels at 1/8 of the input size). It is `core`'s
`ResNetBackbone(rank=3, depth=10, ...)`.

The official DISGAN loads MedicalNet's pretrained weights. Nothing can be downloaded on the
machines this suite targets, so `build_feature_extractor` takes a weights file the user
converted or trained (`.weights.h5` or `.keras`); without one the extractor keeps its random
initialization (random frozen features still give a perceptual-style constraint, but not the
paper's) and says so with a logged warning.

`extract_features` is how DISGAN runs the extractor in training: one volume at a time, so that the
gradient with respect to the volumes stays fast on CPU (see its docstring).
"""

import logging
import pathlib

import keras
from keras import ops

from core.backbones import ResNetBackbone

logger = logging.getLogger(__name__)

MEDICALNET_RESNET10 = {
    "rank": 3,
    "depth": 10,
    "stage_strides": (1, 2, 1, 1),
    "stage_dilations": (1, 1, 2, 4),
}
NO_WEIGHTS_WARNING = (
    "DISGAN feature extractor: no weights file given, so the perceptual term uses a frozen, "
    "RANDOMLY initialised 3-D ResNet-10 (MedicalNet layout), not the pretrained MedicalNet "
    "features of the paper. Pretrained weights cannot be downloaded here: pass "
    "feature_extractor_weights=PATH (a .weights.h5 or .keras file of this ResNetBackbone)."
)


def build_feature_extractor(weights=None, channels=1, widths=(64, 128, 256, 512), name="medicalnet_resnet10"):
    """The frozen MedicalNet-layout 3-D ResNet-10 of DISGAN's perceptual loss.

    Args:
        weights: str, Path or None. A `.weights.h5` file of this backbone, or a `.keras` file of
            a `ResNetBackbone` (or of a model holding one as a layer) with the same layout.
            `None` keeps random weights and logs a warning. Defaults to `None`.
        channels: int. Input channels. Defaults to `1`.
        widths: tuple of 4 ints. Stage widths; MedicalNet's are `(64, 128, 256, 512)` (smaller
            ones only for tests and tiny demos). Defaults to MedicalNet's.
        name: str. Defaults to `"medicalnet_resnet10"`.

    Returns:
        A `ResNetBackbone` with `trainable = False`, mapping `(batch, d, h, w, channels)` to
        `(batch, d/8, h/8, w/8, widths[-1])`.

    Raises:
        FileNotFoundError: `weights` does not exist.
        ValueError: `weights` has another suffix or does not fit the layout.

    Example:
    ```python
    extractor = build_feature_extractor("medicalnet_resnet10.weights.h5")
    features = extractor(hr_patches, training=False)      # (batch, 8, 8, 8, 512) for 64³
    ```
    """
    extractor = ResNetBackbone(input_channels=channels, widths=tuple(widths), name=name, **MEDICALNET_RESNET10)
    if weights is None:
        logger.warning(NO_WEIGHTS_WARNING)
    else:
        load_feature_extractor_weights(extractor, weights)
    extractor.trainable = False
    return extractor


def extract_features(extractor, volumes):
    """`extractor(volumes, training=False)`, computed one volume at a time.

    The values are those of the batched call (the extractor is frozen and runs in inference
    mode, so examples do not interact). What changes is the gradient with respect to `volumes`,
    which DISGAN's generator step needs. For a batch of more than one, TensorFlow's CPU
    `Conv3DBackpropInput` works on shards of images sized from the L3 cache the CPU reports,
    and falls back to a slow Eigen kernel when a shard's im2col buffer would exceed 25 times its
    tensors. With a large reported L3 (256 MB on an AMD EPYC host) MedicalNet's 7×7×7 stride-2
    stem conv (1 → 64 channels) takes that fallback: its input gradient for 4 patches of 32³
    took 44 s batched, 0.035 s one patch at a time (the batch-1 path is a parallel matrix
    product); the demo's perceptual term, forward and backward, 33 s batched and 0.3 s this way
    (`bench/mri_disgan.py --batched-extractor`).

    Args:
        extractor: keras.Model. The feature extractor (see `build_feature_extractor`).
        volumes: tensor `(batch, d, h, w, channels)`; the batch size may be unknown.

    Returns:
        The features, `(batch, ...)`, as `extractor(volumes, training=False)`.

    Example:
    ```python
    extractor = build_feature_extractor(widths=(8, 16, 32, 64))
    features = extract_features(extractor, np.zeros((4, 32, 32, 32, 1), "float32"))   # (4, 4, 4, 4, 64)
    ```
    """
    return ops.map(lambda volume: extractor(volume[None], training=False)[0], volumes)


def load_feature_extractor_weights(extractor, path):
    """Load `.weights.h5` (this layout) or `.keras` (a ResNetBackbone, or a model containing one)."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such feature-extractor weights file (expected .weights.h5 or .keras)")
    if path.name.endswith(".weights.h5"):
        try:
            extractor.load_weights(str(path))
        except Exception as error:  # Keras raises ValueError/KeyError with h5py details
            raise ValueError(
                f"{path}: these weights do not fit the MedicalNet ResNet-10 layout "
                f"({type(error).__name__}: {error})"
            ) from error
        return extractor
    if path.suffix == ".keras":
        source = keras.saving.load_model(str(path), compile=False)
        candidates = [source] + [layer for layer in getattr(source, "layers", []) if isinstance(layer, keras.Model)]
        for candidate in candidates:
            if isinstance(candidate, ResNetBackbone) and _same_shapes(candidate, extractor):
                extractor.set_weights(candidate.get_weights())
                return extractor
        raise ValueError(
            f"{path}: holds no ResNetBackbone with the MedicalNet ResNet-10 layout of this extractor "
            f"(widths {tuple(extractor.widths)}, input channels {extractor.input_channels})"
        )
    raise ValueError(f"{path}: expected a .weights.h5 or .keras file. Received suffix {''.join(path.suffixes)!r}")


def _same_shapes(a, b):
    wa, wb = a.weights, b.weights
    return len(wa) == len(wb) and all(tuple(x.shape) == tuple(y.shape) for x, y in zip(wa, wb))
