"""Aramaic presets: a narrow ResNet-18 trained on the synthetic letter stream, shipped in the package.

`aramaic_letters_small`: `make presets` (`scripts/make_presets.py aramaic_letters_small`) trained
it through `AramaicLettersTask.make_preset`: 64 × 64 letters from the Noto Sans Imperial Aramaic
sample font, kept legible (`damage.MIN_LEGIBILITY`), a ResNet-18 at a quarter width (16-32-64-128
channels, 0.7 M parameters, about 3 MB), 20 epochs × 720 steps × 64 freshly rendered letters
(921,600) with a 90-minute wall-time cap as a safety only, seed 0; then temperature and
"illegible" threshold on the validation set: the calibrated model is the one shipped, with its
training figures. It is scored (`Recipe.evaluate`, `resuite evaluate aramaic.letters --preset
aramaic_letters_small`) on the held-out synthetic test split of seed 0 (2,300 letters of unseen
seeds, damage severity 0.3–1.0), the split its training run reported on: the score and its
baselines (chance, majority class) are stored in the preset's `metadata.json`.

Example:
```python
from domains.aramaic import AramaicClassifier
model = AramaicClassifier.from_preset("aramaic_letters_small")
```
"""

from core.presets import Recipe

RECIPES = {
    "aramaic_letters_small": Recipe(
        "aramaic.letters",
        "Old Aramaic letters (22 + No Letter): ResNet-18 at a quarter width (16-32-64-128), 64 x 64 RGB, trained "
        "on the synthetic carved-stone stream of AramaicSynth (Noto Sans Imperial Aramaic), calibrated on validation",
        {"image_size": 64, "width": 16, "depth": 18, "steps_per_epoch": 720, "time_minutes": 90.0},
        epochs=20,
        evaluate={"test_examples": 2300},
    ),
}
