"""domains.fundus — referable diabetic retinopathy from colour fundus photographs.

The strong ResNet-18 baseline of "A ResNet is All You Need?" (Castilla et al., SIPAIM 2022,
arXiv 2210.03180): a standard 2-D ResNet-18 from `core` classifying non-referable / referable
(ICDR grade >= 2), or the five grades. Around it: the preprocessing (field-of-view crop,
Graham's normalisation exactly as TFDS's `btgraham-300`, augmentation), a gate that answers
"is this a fundus photograph?" and "is it good enough to grade at the model's input size?"
with a reason before any probability is shown (tested on every real photograph packages provide:
`gallery`, `scripts/fundus_gate_table.py`), the evaluation a screening paper reports (AUC with a bootstrap 95 %
interval, sensitivity/specificity at 85 % / 80 %, per-source and patient-level AUC, ECE, the
referral curve of TTA or MC-dropout uncertainty, Grad-CAM inside the eye drawn on the
photograph), and a fidelity check: the paper's
released predictions give its AUC 0.955 [0.953-0.956] through `evaluation`. The CLI task is
`fundus.dr`.

Modules: `preprocessing`, `gate`, `gallery` (the real photographs the gate is tested on), `synthetic` (SYNTHETIC photographs for training demos),
`data` (the pipeline), `model` (DRClassifier), `training`, `evaluation`, `task`.

Example:
```python
from domains.fundus import DRClassifier, assess_gradeability, preprocess, read_fundus
image = read_fundus("photo.jpg")
verdict = assess_gradeability(image, 512)      # a fundus photograph? gradeable? and why not
model = DRClassifier(image_size=512)           # the paper's ResNet-18 (weights=PATH to load some)
p = model.referable_probability(preprocess(image, 512)[None])
```
"""

from domains.fundus import task  # noqa: F401  (registers the CLI task fundus.dr)
from domains.fundus.data import FundusData, synthetic_data
from domains.fundus.evaluation import load_released_predictions, screening_report
from domains.fundus.gate import assess_gradeability
from domains.fundus.model import DRClassifier
from domains.fundus.preprocessing import btgraham, preprocess, read_fundus
from domains.fundus.training import train_dr_classifier

__all__ = ["DRClassifier", "FundusData", "assess_gradeability", "btgraham", "load_released_predictions", "preprocess",
           "read_fundus", "screening_report", "synthetic_data", "train_dr_classifier"]
