"""The TFDS builder of HCP patches (`domains.mri.disgan.tfds.HcpPatches`) on a tiny HCP-layout tree."""

import numpy as np
import pytest

from core.testing import TestCase
from domains.mri.disgan.data import load_training_volume, patch_corners, training_pipeline
from tests.domains.mri.disgan.conftest import phantom, tmp, write

SUBJECTS = ("100307", "100408", "101107")


def hcp_tree(root):
    for i, subject in enumerate(SUBJECTS):
        write(root / subject / "T1w" / "T1w_acpc_dc_restore_brain.nii.gz", phantom(seed=i))
        write(root / subject / "T1w" / "T2w_acpc_dc_restore_brain.nii.gz", phantom(seed=9))  # not a T1w: ignored
    return root


def prepare(builder_root, manual_dir, **config):
    import tensorflow_datasets as tfds

    from domains.mri.disgan.tfds import HcpPatches, HcpPatchesConfig

    tfds.disable_progress_bar()
    options = {"name": "tiny", "patch_size": 8, "stride": 4, "min_foreground": 0.2, "val_fraction": 0.3, **config}
    builder = HcpPatches(config=HcpPatchesConfig(**options), data_dir=str(builder_root))
    builder.download_and_prepare(
        download_config=tfds.download.DownloadConfig(manual_dir=str(manual_dir), try_download_gcs=False)
    )
    return builder


class HcpPatchesTest(TestCase):
    def test_patches_are_the_z_scored_grid_split_by_subject(self):
        import tensorflow_datasets as tfds

        folder = tmp(self)
        root = hcp_tree(folder / "HCP")
        builder = prepare(folder / "tfds", root)
        expected = {}
        for subject in SUBJECTS:
            path = root / subject / "T1w" / "T1w_acpc_dc_restore_brain.nii.gz"
            volume = load_training_volume(path)
            expected[path.relative_to(root).as_posix()] = (volume, patch_corners(volume.mask, 8, 0.2, stride=4))
        names = sorted(expected)
        for split, volumes in (("train", names[:2]), ("validation", names[2:])):
            examples = list(tfds.as_numpy(builder.as_dataset(split=split)))
            self.assertEqual(builder.info.splits[split].num_examples, sum(len(expected[v][1]) for v in volumes))
            self.assertEqual(sorted({e["volume"].decode() for e in examples}), volumes)
            for example in examples:
                volume, corners = expected[example["volume"].decode()]
                corner = example["corner"]
                self.assertTrue((corners == corner).all(axis=1).any())
                box = tuple(slice(c, c + 8) for c in corner)
                np.testing.assert_array_equal(example["hr"][..., 0], volume.volume[box])
                self.assertAllClose(example["background"], volume.background)
        self.assertTrue(all(len(expected[v][1]) > 1 for v in names))

        patches = builder.as_dataset(split="train").repeat()
        lr, hr = next(iter(training_pipeline(patches, batch_size=2)))
        self.assertEqual((tuple(lr.shape), tuple(hr.shape)), ((2, 4, 4, 4, 1), (2, 8, 8, 8, 1)))
        np.testing.assert_array_equal(lr.numpy(), hr.numpy()[:, ::2, ::2, ::2])

    def test_bad_configs_and_folders_are_named(self):
        from domains.mri.disgan.tfds import HcpPatchesConfig

        with pytest.raises(ValueError, match="even patch_size and stride"):
            HcpPatchesConfig(name="odd", patch_size=7)
        folder = tmp(self)
        (folder / "empty").mkdir()
        with pytest.raises(AssertionError, match="empty.* does not exist or is empty"):  # TFDS's own check
            prepare(folder / "tfds", folder / "empty")
        (folder / "no_nifti").mkdir()
        (folder / "no_nifti" / "README.txt").write_text("not a volume")
        with pytest.raises(FileNotFoundError, match="no_nifti"):
            prepare(folder / "tfds", folder / "no_nifti")
        one = folder / "one"
        write(one / "a.nii.gz", phantom())
        with pytest.raises(ValueError, match="at least 2 volumes"):
            prepare(folder / "tfds1", one)
        write(one / "b.nii.gz", phantom(seed=1))
        with pytest.raises(ValueError, match=r"one/[ab]\.nii\.gz: no 64³ patch"):
            prepare(folder / "tfds2", one, patch_size=64, val_fraction=0.5)
