"""`AramaicClassifier`: a 2-D ResNet over the 22 Old Aramaic letters + "No Letter", that can say "illegible".

Deep Aramaic (docs/papers.md §6) classifies letter crops with a ResNet in tf.keras; its app loads a
model with a 224 × 224 × 3 input. The paper does not give the depth, optimiser or epochs
(UNVERIFIED in docs/papers.md): `AramaicClassifier()` builds the project's choice, a ResNet-18 from
`core.backbones` (torchvision's layout) at 224 × 224 × 3, 23 classes. Training on this CPU uses
smaller images and a narrower ResNet (`domains.aramaic.task`).

Beyond the paper:

- **calibrated probabilities**: one temperature T dividing the logits, fitted on validation data
  (`core.calibration.fit_temperature`), stored with the model;
- **top-3 answers**: the three most probable letters with their probabilities;
- **"illegible"**: when the top calibrated probability is below `illegible_threshold`, chosen on
  validation as the lowest threshold whose answered letters reach a target accuracy
  (`core.calibration.choose_threshold` on the accuracy–coverage curve).

Inputs are float32 RGB in [0, 1], `(N, image_size, image_size, 3)` (`domains.aramaic.data`).
"""

import numpy as np

from core import calibration
from core.api import export
from core.backbones import image_resnet
from core.tasks import Classifier
from domains.aramaic.letters import CLASS_NAMES, NUM_CLASSES

PAPER_IMAGE_SIZE = 224
PAPER_ACCURACY = 0.95  # on the real Hadad-statue letters (KAI 214)
ILLEGIBLE = "illegible"


@export
class AramaicClassifier(Classifier):
    """Old Aramaic letter classifier: ResNet backbone, 23 logits, temperature and an illegible threshold.

    Args:
        backbone: keras.Model or None. A rank-2, 3-channel feature extractor with a square input;
            None builds `ResNetBackbone(rank=2, depth=depth, input_spatial_shape=(image_size,
            image_size))` with stage widths (width, 2·width, 4·width, 8·width). Defaults to None.
        image_size: int >= 32. Side of the input images. Defaults to 224 (the paper's).
        depth: int. ResNet depth when building the backbone. Defaults to 18.
        width: int. First-stage width of the built backbone (64: the standard ResNet). Defaults to 64.
        temperature: float > 0. Divides the logits for calibrated probabilities. Defaults to 1.
        illegible_threshold: float in [0, 1]. Below this top probability the answer is
            "illegible". Defaults to 0 (always answer).
        dropout: float. Dropout before the head. Defaults to 0.
        class_names: list of 23 str. Defaults to `letters.CLASS_NAMES`.

    Example:
    ```python
    model = AramaicClassifier()                              # the paper's input: ResNet-18, 224 x 224 x 3
    small = AramaicClassifier(image_size=64, width=16)       # what trains on a CPU
    small.compile()
    answers = small.answer(images)   # [{"answer": "Bet" or "illegible", "top3": [("Bet", 0.91), ...]}, ...]
    preset = AramaicClassifier.from_preset("aramaic_letters_small")   # a trained one (`presets.py`)
    ```
    """

    # torchvision's resnet18 (11,689,512 parameters with 1000 classes): the same trunk, 23 classes.
    paper_parameters = 11_689_512 - 512 * 1000 - 1000 + 512 * 23 + 23

    def __init__(self, backbone=None, image_size=PAPER_IMAGE_SIZE, depth=18, width=64, temperature=1.0,
                 illegible_threshold=0.0, dropout=0.0, class_names=CLASS_NAMES, **kwargs):
        if not isinstance(image_size, (int, np.integer)) or image_size < 32:
            raise ValueError(f"image_size must be an integer >= 32. Received: image_size={image_size!r}")
        if not temperature > 0:
            raise ValueError(f"temperature must be > 0. Received: temperature={temperature}")
        if not 0.0 <= illegible_threshold <= 1.0:
            raise ValueError(f"illegible_threshold must be in [0, 1]. Received: illegible_threshold={illegible_threshold}")
        if len(class_names) != NUM_CLASSES:
            raise ValueError(f"class_names needs {NUM_CLASSES} names (22 letters + No Letter). "
                             f"Received: {len(class_names)} names")
        backbone = image_resnet(image_size, depth, width, backbone=backbone, owner="AramaicClassifier")
        super().__init__(backbone, num_classes=NUM_CLASSES, dropout=dropout, class_names=list(class_names), **kwargs)
        # === Config ===
        self.image_size = int(image_size)
        self.depth = getattr(backbone, "depth", depth)
        self.width = int(width)
        self.temperature = float(temperature)
        self.illegible_threshold = float(illegible_threshold)

    def get_config(self):
        config = super().get_config()
        config.pop("num_classes")
        config.update({"image_size": self.image_size, "depth": self.depth, "width": self.width,
                       "temperature": self.temperature, "illegible_threshold": self.illegible_threshold})
        return config

    def check_images(self, images):
        """Images as float32 `(N, S, S, 3)` in [0, 1]; a clear ValueError for any other shape or range."""
        x = np.asarray(images)
        if x.dtype == np.uint8:
            x = x.astype("float32") / 255.0
        x = x.astype("float32")
        if x.ndim == 3:
            x = x[np.newaxis]
        size = self.image_size
        if x.ndim != 4 or x.shape[1:] != (size, size, 3):
            raise ValueError(f"AramaicClassifier expects RGB images (N, {size}, {size}, 3). Received: shape="
                             f"{np.shape(images)}. Read files with domains.aramaic.data.load_images(paths, {size}).")
        if not np.all(np.isfinite(x)) or (x.size and (x.min() < 0 or x.max() > 1)):
            raise ValueError("AramaicClassifier expects values in [0, 1] (or uint8 images)")
        return x

    def logits(self, images, batch_size=64):
        """Raw logits `(N, 23)`."""
        x = self.check_images(images)
        if len(x) == 0:
            return np.zeros((0, NUM_CLASSES), "float32")
        return self.predict(x, batch_size=batch_size, verbose=0)

    def probabilities(self, images, batch_size=64):
        """Calibrated probabilities `softmax(logits / temperature)`, `(N, 23)`."""
        return calibration.softmax(self.logits(images, batch_size) / self.temperature)

    def answer(self, images, k=3, batch_size=64):
        """For each image: {"answer": letter or "illegible", "class": index or -1, "confidence", "top3"}.

        "top3" lists the `k` most probable classes as (name, calibrated probability).
        """
        probabilities = self.probabilities(images, batch_size)
        answers = []
        for p in probabilities:
            top = np.argsort(-p)[:k]
            legible = p[top[0]] >= self.illegible_threshold
            answers.append({"answer": self.class_names[top[0]] if legible else ILLEGIBLE,
                            "class": int(top[0]) if legible else -1, "confidence": float(p[top[0]]),
                            f"top{k}": [(self.class_names[i], float(p[i])) for i in top]})
        return answers

    def calibrate(self, images, labels, target_accuracy=0.99, batch_size=64):
        """Fit the temperature and the illegible threshold on validation data; returns what was chosen.

        Args:
            images: validation images (N, S, S, 3).
            labels: (N,) integer labels.
            target_accuracy: float. Accuracy the answered letters must reach on validation.
                Defaults to 0.99.

        Returns:
            dict: "temperature", "illegible_threshold", "nll_before"/"nll_after", "ece_before"/
            "ece_after" and "curve" (the validation accuracy–coverage curve, lists).
        """
        labels = np.asarray(labels).astype(int)
        logits = self.logits(images, batch_size)
        temperature = calibration.fit_temperature(logits, labels)
        probabilities = calibration.softmax(logits / temperature)
        curve = calibration.accuracy_coverage(probabilities, labels)
        threshold = calibration.choose_threshold(curve, target_accuracy)
        self.temperature, self.illegible_threshold = temperature, threshold
        return {
            "temperature": temperature, "illegible_threshold": threshold, "target_accuracy": target_accuracy,
            "nll_before": calibration.negative_log_likelihood(logits, labels),
            "nll_after": calibration.negative_log_likelihood(logits, labels, temperature),
            "ece_before": calibration.expected_calibration_error(calibration.softmax(logits), labels),
            "ece_after": calibration.expected_calibration_error(probabilities, labels),
            "curve": {key: value.tolist() for key, value in curve.items()},
        }

