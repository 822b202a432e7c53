"""A TensorFlow Datasets builder of DISGAN's HR training patches, read from a manual HCP download.

The Human Connectome Project's data cannot be downloaded by resuite (ConnectomeDB needs an
account and a data-use agreement): unpack the "Structural Preprocessed" packages into a folder
and pass it as `manual_dir`. The builder cuts each volume as the official code does before
training (`mains/utils/crop_nifti_9t.py` of wqlevi/DISGAN): z-scored per volume, 64³ windows at
stride 16; it keeps the windows with at least `min_foreground` brain. The LR input is not stored:
`training_pipeline` makes it on the fly, so a degradation or noise level can change without
rebuilding. Importing this module imports `tensorflow_datasets` (slow), which is why
`domains.mri.disgan` exposes `HcpPatches` lazily.

Example:
```python
import tensorflow_datasets as tfds
from domains.mri.disgan import HcpPatches, training_pipeline

builder = HcpPatches(config="patch64", data_dir="~/tensorflow_datasets")
builder.download_and_prepare(download_config=tfds.download.DownloadConfig(manual_dir="~/data/HCP"))
patches = builder.as_dataset(split="train", shuffle_files=True).shuffle(512).repeat()
model.fit(training_pipeline(patches, batch_size=4), steps_per_epoch=500, epochs=20)
```
"""

import dataclasses

import numpy as np
import tensorflow_datasets as tfds

from domains.mri.disgan.data import find_volumes, load_training_volume, patch_corners, split_volumes

__all__ = ["HcpPatches", "HcpPatchesConfig"]

HCP_HOMEPAGE = "https://www.humanconnectome.org/study/hcp-young-adult"


@dataclasses.dataclass(eq=False)
class HcpPatchesConfig(tfds.core.BuilderConfig):
    """How `HcpPatches` cuts the volumes.

    Args:
        name: str. The config's name.
        patch_size: int. HR patch edge in voxels. Defaults to `64` (the paper's).
        stride: int. Distance between window corners (even, so each patch lies on the ×2 LR
            grid). Defaults to `16` (the paper's).
        min_foreground: float. Least fraction of brain voxels in a kept patch. Defaults to `0.2`.
        val_fraction: float. Fraction of the volumes (whole subjects) held out as `validation`.
            Defaults to `0.1`.
        pattern: str or None. Glob of the volumes below `manual_dir`; `None` finds HCP's
            skull-stripped T1w, or every NIfTI file of a plain folder (`find_volumes`).
            Defaults to `None`.
        description: str. Defaults to `None`.
    """

    patch_size: int = 64
    stride: int = 16
    min_foreground: float = 0.2
    val_fraction: float = 0.1
    pattern: str | None = None

    def __post_init__(self):
        if self.patch_size < 2 or self.patch_size % 2 or self.stride < 2 or self.stride % 2:
            raise ValueError(
                f"HcpPatchesConfig needs an even patch_size and stride >= 2 (×2 LR grid). "
                f"Received: patch_size={self.patch_size!r}, stride={self.stride!r}"
            )


class HcpPatches(tfds.core.GeneratorBasedBuilder):
    """HR patches of HCP T1w volumes (or any folder of 3-D NIfTI volumes) for DISGAN.

    Splits are by subject: `validation` holds the last `val_fraction` of the sorted volumes,
    `train` the others (as `folder_split`). Features: `hr` float32 `(p, p, p, 1)` z-scored with
    the volume's foreground statistics, `background` (the z-scored value of intensity 0, for the
    Rician noise model), `volume` (the file's path below `manual_dir`) and `corner` int32 `(3,)`
    (the patch's first voxel in the RAS+ volume). Configs: `patch64` (the paper's 64³ at stride
    16, the default) and `patch32` (32³ at stride 16, for CPU-sized models); pass an
    `HcpPatchesConfig` for others.

    Args:
        config: str or `HcpPatchesConfig`. Defaults to `"patch64"`.
        data_dir: str. Where the prepared TFRecords go (TFDS `data_dir`).
        **kwargs: other `tfds.core.GeneratorBasedBuilder` arguments.

    Example:
    ```python
    builder = HcpPatches(config="patch32", data_dir=tmp)
    builder.download_and_prepare(download_config=tfds.download.DownloadConfig(manual_dir=folder))
    patches = builder.as_dataset(split="validation")   # {"hr", "background", "volume", "corner"}
    ```
    """

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Z-scored HR patches on a regular grid, split by subject."}
    BUILDER_CONFIGS = [
        HcpPatchesConfig(name="patch64", patch_size=64, stride=16,
                         description="64³ patches at stride 16, as the official DISGAN crops."),
        HcpPatchesConfig(name="patch32", patch_size=32, stride=16,
                         description="32³ patches at stride 16, for CPU-sized generators."),
    ]
    DEFAULT_CONFIG_NAME = "patch64"
    MANUAL_DOWNLOAD_INSTRUCTIONS = f"""\
    Download the HCP Young Adult "Structural Preprocessed" packages from ConnectomeDB
    ({HCP_HOMEPAGE}; an account and the data-use terms are required), unzip them into one folder
    and pass it as `manual_dir`. Expected layout, one skull-stripped T1w per subject:
        {{subject}}/T1w/T1w_acpc_dc_restore_brain.nii.gz
    Any other folder of 3-D `.nii`/`.nii.gz` volumes works too (every file below it is used, or
    those matching the config's `pattern`).
    """

    def _info(self):
        p = self.builder_config.patch_size
        return tfds.core.DatasetInfo(
            builder=self,
            description=(
                "HR training patches for 3-D MRI super-resolution: NIfTI volumes read in canonical RAS+ "
                "orientation (nibabel), z-scored with their foreground statistics, cut on a regular grid "
                f"({p}³ windows at stride {self.builder_config.stride}, at least "
                f"{self.builder_config.min_foreground:.0%} brain), split by subject."
            ),
            features=tfds.features.FeaturesDict({
                "hr": tfds.features.Tensor(shape=(p, p, p, 1), dtype=np.float32,
                                           encoding=tfds.features.Encoding.ZLIB),
                "background": np.float32,
                "volume": tfds.features.Text(),
                "corner": tfds.features.Tensor(shape=(3,), dtype=np.int32),
            }),
            homepage=HCP_HOMEPAGE,
            citation=(
                "@inproceedings{wang2023disgan, title={DISGAN: Wavelet-informed Discriminator Guides GAN to MRI "
                "Super-resolution with Noise Cleaning}, author={Wang, Qi and Mahler, Lucas and Steiglechner, "
                "Julius and Birk, Florian and Scheffler, Klaus and Lohmann, Gabriele}, booktitle={ICCV Workshops}, "
                "year={2023}}"
            ),
        )

    def _split_generators(self, dl_manager):
        root = dl_manager.manual_dir
        train, validation = split_volumes(find_volumes(root, self.builder_config.pattern),
                                          self.builder_config.val_fraction, source=root)
        return {"train": self._generate_examples(root, train),
                "validation": self._generate_examples(root, validation)}

    def _generate_examples(self, root, paths):
        config = self.builder_config
        for path in paths:  # one volume in memory at a time
            volume = load_training_volume(path)
            name = path.relative_to(root).as_posix()
            corners = patch_corners(volume.mask, config.patch_size, config.min_foreground, stride=config.stride)
            if len(corners) == 0:
                raise ValueError(
                    f"{path}: no {config.patch_size}³ patch with at least {config.min_foreground:.0%} foreground "
                    f"fits in the volume {volume.volume.shape}"
                )
            for corner in corners:
                box = tuple(slice(c, c + config.patch_size) for c in corner)
                yield f"{name}/{'_'.join(str(int(c)) for c in corner)}", {
                    "hr": volume.volume[box][..., None],
                    "background": np.float32(volume.background),
                    "volume": name,
                    "corner": corner.astype(np.int32),
                }
