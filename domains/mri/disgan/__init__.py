"""DISGAN: 3-D MRI ×2 super-resolution that also denoises (Wang et al., ICCV Workshops 2023).

A 3-D RRDB generator (16,042,881 parameters in the paper's configuration), a UNet
discriminator with a Haar-DWT + 1×1×1 conv unit at each encoder level, a frozen MedicalNet
ResNet-10 for the perceptual term, relativistic-average GAN training with decaying instance
noise, NIfTI data loading with LR made on the fly, a TFDS builder of HCP patches
(`HcpPatches`, from a manual download), tiled whole-volume inference, and the evaluation
against trilinear/tricubic interpolation. The CLI task is `mri.disgan`.

Example:
```python
from domains.mri.disgan import DISGAN, build_discriminator, build_feature_extractor, build_generator
model = DISGAN(build_generator(), build_discriminator(), build_feature_extractor())
model.compile()
```
"""

from domains.mri.disgan import task  # noqa: F401  (registers the CLI task mri.disgan)
from domains.mri.disgan.data import (
    PatchSampler,
    TrainingVolume,
    add_rician_noise,
    degrade,
    find_volumes,
    holdout_slab,
    load_training_volume,
    read_patch_tfrecords,
    split_volumes,
    training_pipeline,
    validation_pipeline,
    write_patch_tfrecords,
)
from domains.mri.disgan.discriminator import LinearUpsampling, build_discriminator, discriminator_widths
from domains.mri.disgan.evaluation import evaluate_volume, interpolate, plot_slices, volume_metrics
from domains.mri.disgan.feature_extractor import build_feature_extractor
from domains.mri.disgan.generator import OFFICIAL_GENERATOR_PARAMETERS, build_generator, generator_parameter_count
from domains.mri.disgan.inference import super_resolve, super_resolve_array, super_resolve_file
from domains.mri.disgan.model import DISGAN, InstanceNoiseSchedule
from domains.mri.disgan.task import DISGANTask, load_generator
from domains.mri.disgan.training import DataSplit, folder_split, template_split, train_disgan

_LAZY = ("HcpPatches", "HcpPatchesConfig")  # importing tensorflow_datasets is slow

__all__ = [
    "DISGAN",
    "DISGANTask",
    "DataSplit",
    "HcpPatches",
    "HcpPatchesConfig",
    "InstanceNoiseSchedule",
    "LinearUpsampling",
    "OFFICIAL_GENERATOR_PARAMETERS",
    "PatchSampler",
    "TrainingVolume",
    "add_rician_noise",
    "build_discriminator",
    "build_feature_extractor",
    "build_generator",
    "degrade",
    "discriminator_widths",
    "evaluate_volume",
    "find_volumes",
    "folder_split",
    "generator_parameter_count",
    "holdout_slab",
    "interpolate",
    "load_generator",
    "load_training_volume",
    "plot_slices",
    "read_patch_tfrecords",
    "split_volumes",
    "super_resolve",
    "super_resolve_array",
    "super_resolve_file",
    "template_split",
    "train_disgan",
    "training_pipeline",
    "validation_pipeline",
    "volume_metrics",
    "write_patch_tfrecords",
]


def __getattr__(name):
    # PEP 562: the TFDS builder imports tensorflow_datasets only when first asked for.
    if name in _LAZY:
        from domains.mri.disgan import tfds_builder

        return getattr(tfds_builder, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
