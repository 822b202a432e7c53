"""domains.har — human activity recognition from accelerometer and gyroscope windows.

FusionActNet (static and dynamic experts fused by a residual MobileNet gate) and a plain
ResNet-1D baseline from `core`, with loaders for UCI HAR, MotionSense and UEA `.ts` files
(the real BasicMotions sample), and the recipe of the paper.

Example:
```python
from domains.har import FusionActNet, load_har, train_fusionactnet
data = load_har("basicmotions")
model = FusionActNet(data.num_channels, data.class_names, static_classes=["Standing"],
                     window_length=data.window_length)
train_fusionactnet(model, data, "runs/har")
```
"""

from domains.har import tasks  # noqa: F401  (registers the CLI tasks)
from domains.har.data import HARData, load_har, load_uea_ts, validate_windows
from domains.har.models.fusionactnet import FusionActNet, GroupMixture, build_expert, build_gate
from domains.har.training import train_fusionactnet

__all__ = [
    "FusionActNet",
    "GroupMixture",
    "HARData",
    "build_expert",
    "build_gate",
    "load_har",
    "load_uea_ts",
    "train_fusionactnet",
    "validate_windows",
]
