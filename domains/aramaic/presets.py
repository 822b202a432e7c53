"""Aramaic presets: a narrow ResNet-18 trained on the synthetic letter stream, shipped in the package.

`make presets` (scripts/make_presets.py) trains it with `make_presets()`: 64 × 64 letters from the
Noto Sans Imperial Aramaic sample font, kept legible (`damage.MIN_LEGIBILITY`), a ResNet-18 at a
quarter width (16-32-64-128 channels, 0.7 M parameters, about 3 MB), 20 epochs × 720 steps × 64
freshly rendered letters (921,600) with a 90-minute wall-time cap as a safety only, seed 0; then
temperature and "illegible" threshold on the validation set. The scores on the held-out synthetic
test split (unseen seeds, harder damage) are stored in the preset's `metadata.json`.

Example:
```python
from domains.aramaic import AramaicClassifier
model = AramaicClassifier.from_preset("aramaic_letters_small")
```
"""

import json
import pathlib

import keras

from core import presets

PACKAGE = "domains.aramaic"
RECIPES = {
    "aramaic_letters_small": (
        "Old Aramaic letters (22 + No Letter): ResNet-18 at a quarter width (16-32-64-128), 64 x 64 RGB, trained "
        "on the synthetic carved-stone stream of AramaicSynth (Noto Sans Imperial Aramaic), calibrated on validation",
        {"image_size": 64, "width": 16, "depth": 18, "steps_per_epoch": 720, "time_minutes": 90.0},
        20,
    ),
}
REPORTED = ("accuracy", "top3_accuracy", "macro_f1", "n_test", "chance_accuracy", "temperature",
            "expected_calibration_error", "illegible_threshold", "answered_fraction", "answered_accuracy",
            "accuracy_by_severity", "accuracy_by_elevation")


def make_presets(names=None, seed=0, verbose=2):
    """Train and save the presets (the command behind `make presets`), returning their folders.

    Args:
        names: list of str or None (all of `RECIPES`).
        seed: int. Defaults to 0.
        verbose: int. Keras verbosity. Defaults to 2.
    """
    from domains.aramaic.task import AramaicLettersTask

    def describe(results, config):
        report = json.loads(pathlib.Path(results["report_json"]).read_text())
        training = {key: results[key] for key in ("train_steps", "train_seconds", "train_images_per_second",
                                                  "val_accuracy", "nll_before_calibration", "nll_after_calibration")}
        return keras.saving.load_model(results["calibrated_model"]), {
            "training": training, "metrics": {"synthetic_test": {key: report[key] for key in REPORTED}}}

    return presets.train_presets(AramaicLettersTask(), PACKAGE, RECIPES, describe, names, seed, verbose)
