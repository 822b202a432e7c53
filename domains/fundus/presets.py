"""Fundus presets: a narrow ResNet-18 trained on SYNTHETIC photographs, shipped in the package.

`dr_synthetic_small`: `make presets` (scripts/make_presets.py) trains it through the `fundus.dr`
task on 320 / 80 / 200 SYNTHETIC photographs (256 px drawings, seed 0), 128 x 128 input,
Graham's radius 64, a ResNet-18 at a quarter width (16-32-64-128 channels), 15 epochs. Its
score is measured on the 200 held-out SYNTHETIC test drawings (the test split of seed 0, which
does not depend on the training counts) with TTA uncertainty and 2,000 bootstrap replicates,
beside chance, and stored in `metadata.json`. It shows the whole path (gate, preprocessing,
prediction, uncertainty, Grad-CAM) in seconds; it has never seen a real retina, and its
probability on a real photograph means nothing clinically.

Example:
```python
from domains.fundus import DRClassifier
model = DRClassifier.from_preset("dr_synthetic_small")
```
"""

from core.presets import Recipe

RECIPES = {
    "dr_synthetic_small": Recipe(
        "fundus.dr",
        "referable-DR classifier, ResNet-18 at a quarter width (16-32-64-128), 128 x 128 input, Graham radius 64, "
        "trained on SYNTHETIC fundus drawings (domains.fundus.synthetic; never on real retinas)",
        {"image_size": 128, "width": 16, "graham_radius": 64, "synthetic_train": 320, "synthetic_validation": 80,
         "synthetic_test": 200},
        epochs=15,
        # The same 200 held-out drawings as the training run's test split (seed 0).
        evaluate={"synthetic_test": 200},
    ),
}
