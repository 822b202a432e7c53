"""Fundus presets: a narrow ResNet-18 trained on SYNTHETIC photographs, shipped in the package.

`make presets` (scripts/make_presets.py) trains it with `make_presets()`: the `fundus.dr` task on
320 / 80 / 200 SYNTHETIC photographs (256 px drawings, seed 0), 128 x 128 input, Graham's radius
64, a ResNet-18 at a quarter width (16-32-64-128 channels), 15 epochs; the held-out SYNTHETIC
test scores are stored in `metadata.json`. It shows the whole path (gate, preprocessing,
prediction, uncertainty, Grad-CAM) in seconds; it has never seen a real retina, and its
probability on a real photograph means nothing clinically.

Example:
```python
from domains.fundus import DRClassifier
model = DRClassifier.from_preset("dr_synthetic_small")
```
"""

import json
import pathlib

import keras

from core import presets

PACKAGE = "domains.fundus"
RECIPES = {
    "dr_synthetic_small": (
        "referable-DR classifier, ResNet-18 at a quarter width (16-32-64-128), 128 x 128 input, Graham radius 64, "
        "trained on SYNTHETIC fundus drawings (domains.fundus.synthetic; never on real retinas)",
        {"image_size": 128, "width": 16, "graham_radius": 64, "synthetic_train": 320, "synthetic_validation": 80,
         "synthetic_test": 200},
        15,
    ),
}


def make_presets(names=None, seed=0, verbose=1):
    """Train and save the presets (the command behind `make presets`), returning their folders.

    Args:
        names: list of str or None (all of `RECIPES`).
        seed: int. Defaults to 0.
        verbose: int. Keras verbosity. Defaults to 1.
    """
    from domains.fundus.task import DiabeticRetinopathyTask

    def describe(results, config):
        report = json.loads(pathlib.Path(results["report_json"]).read_text())
        metrics = {key: report[key] for key in ("n", "positives", "auc", "auc_ci", "ece", "screening", "referral")}
        return keras.saving.load_model(results["best_model"]), {"metrics": {"synthetic_test": metrics},
                                                                "data": results["data"]}

    return presets.train_presets(DiabeticRetinopathyTask(), PACKAGE, RECIPES, describe, names, seed, verbose)
