"""DISGAN: 3-D MRI ×2 super-resolution that also denoises (Wang et al., ICCV Workshops 2023).

A 3-D RRDB generator (16,042,881 parameters in the paper's configuration), a UNet
discriminator with a Haar-DWT + 1×1×1 conv unit at each encoder level, a frozen MedicalNet
ResNet-10 for the perceptual term, relativistic-average GAN training with decaying instance
noise, NIfTI data loading with LR made on the fly, a TFDS builder of HCP patches
(`domains.mri.disgan.tfds.HcpPatches`, from a manual download), tiled whole-volume inference,
and the evaluation against trilinear/tricubic interpolation. The CLI task is `mri.disgan`.

Modules: `data` (patches, LR degradation, splits), `tfds`, `generator`, `discriminator`,
`feature_extractor`, `model` (DISGAN), `training` (the recipe), `inference` (tiled NIfTI to
NIfTI), `evaluation`, `presets`, `task`.

Speed on CPU: one 32³ patch through the paper's generator takes 5.1 s with TensorFlow's oneDNN
kernels, 8.9 s without (the official PyTorch code: 9.2-11.9 s; `python -m bench mri_disgan`).
TensorFlow turns oneDNN on by itself only on CPUs with AVX-512: `resuite` turns it on for this
task; in a script, call `core.cli.use_cpu_kernels("mri.disgan")` before importing TensorFlow.

Example:
```python
from domains.mri.disgan import DISGAN
model = DISGAN()                             # the paper's networks (random perceptual features: see the warning)
model.compile()
small = DISGAN.from_preset("disgan_mni_small")   # a trained small generator, shipped
```
"""

from domains.mri.disgan import task  # noqa: F401  (registers the CLI task mri.disgan)
from domains.mri.disgan.discriminator import build_discriminator
from domains.mri.disgan.evaluation import evaluate_volume
from domains.mri.disgan.feature_extractor import build_feature_extractor
from domains.mri.disgan.generator import build_generator
from domains.mri.disgan.inference import super_resolve_file
from domains.mri.disgan.model import DISGAN, InstanceNoiseSchedule
from domains.mri.disgan.training import train_disgan

__all__ = [
    "DISGAN",
    "InstanceNoiseSchedule",
    "build_discriminator",
    "build_feature_extractor",
    "build_generator",
    "evaluate_volume",
    "super_resolve_file",
    "train_disgan",
]
