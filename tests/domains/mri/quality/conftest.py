"""Small synthetic NIfTI head phantoms for the quality tests (real samples are used where cheap)."""

import nibabel as nib
import numpy as np
import pytest


def _phantom_volume(shape=(40, 44, 36), seed=0):
    """An ellipsoidal 'head' with a few inner structures and mild noise, values 0-~300."""
    rng = np.random.default_rng(seed)
    grid = np.stack(np.meshgrid(*[np.linspace(-1, 1, n) for n in shape], indexing="ij"))
    volume = np.zeros(shape, "float32")
    volume[((grid ** 2).sum(0)) < 0.8] = 200.0
    for _ in range(6):
        centre = rng.uniform(-0.4, 0.4, 3)[:, None, None, None]
        radius = rng.uniform(0.1, 0.3)
        volume[(((grid - centre) ** 2).sum(0)) < radius ** 2] = rng.uniform(60, 300)
    volume[volume > 0] += rng.normal(0, 5, int((volume > 0).sum()))
    return np.clip(volume, 0, None).astype("float32")


def _write_volume(path, volume, voxel_mm=2.0):
    nib.save(nib.Nifti1Image(np.asarray(volume), np.diag([voxel_mm, voxel_mm, voxel_mm, 1.0])), str(path))
    return path


@pytest.fixture
def phantom_folder(tmp_path):
    """A folder with two phantom volumes (`a.nii.gz`, `sub/b.nii`)."""
    folder = tmp_path / "volumes"
    (folder / "sub").mkdir(parents=True)
    _write_volume(folder / "a.nii.gz", _phantom_volume(seed=0))
    _write_volume(folder / "sub" / "b.nii", _phantom_volume(shape=(36, 40, 40), seed=1))
    return folder


@pytest.fixture
def phantom_volume():
    """The phantom factory: `phantom_volume(shape=(40, 44, 36), seed=0)`."""
    return _phantom_volume


@pytest.fixture
def write_volume():
    """`write_volume(path, volume, voxel_mm=2.0)` writes a NIfTI file and returns its path."""
    return _write_volume
