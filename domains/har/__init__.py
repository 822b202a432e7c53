"""domains.har — human activity recognition from accelerometer and gyroscope windows.

FusionActNet (static and dynamic experts fused by a residual MobileNet gate; Saha et al., IEEE
Sensors Letters 2024) and a plain ResNet-1D baseline from `core`, with loaders for UCI HAR,
MotionSense, any UEA/UCR `.ts` set (the real BasicMotions sample; any channels, lengths and
classes) and the real smartwatch shoulder-exercise recordings (`load_har("watch")`: long
recordings cut into windows, voted per recording, split by subject), TFDS builders, and the recipe
of the paper. CLI tasks: `har.fusionactnet`, `har.resnet1d`.

Modules: `data` (readers, `load_har`, `load_uea`, `fit_length`), `tfds` (builders), `model`
(FusionActNet, its experts and gate), `grouping` (the experts' groups of a set that names none,
chosen on the training split, or one expert), `training` (the two-stage recipe; label smoothing,
cosine schedule), `augment` (rotation of the 3-axis sensors together, scaling, jitter, time warp),
`crossval` (leave-subjects-out folds of the training subjects, for choosing a recipe), `evaluation`
(report: windows and voted recordings, beside a random forest and chance),
`presets` (the shipped `fusionactnet_basicmotions`), `task` (CLI). `har.resnet1d` trains core's
`Classifier`.

Example:
```python
from domains.har import FusionActNet, load_har, train_fusionactnet
model = FusionActNet.from_preset("fusionactnet_basicmotions")   # trained on the real BasicMotions sample
data = load_har("basicmotions")
model.predict(data.x_test).argmax(axis=1)                       # one class per held-out window
model = FusionActNet(data.num_channels, data.class_names, static_classes=["Standing"],
                     window_length=data.window_length)
train_fusionactnet(model, data, "runs/har", expert_epochs=(0, 1), fusion_epochs=1)
```
"""

from domains.har import task  # noqa: F401  (registers the CLI tasks)
from domains.har.data import HARData, load_har
from domains.har.model import FusionActNet
from domains.har.training import train_fusionactnet

__all__ = ["FusionActNet", "HARData", "load_har", "train_fusionactnet"]
