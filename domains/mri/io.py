"""NIfTI in and out through nibabel, with errors that name the file and what was expected.

Every NIfTI path of the MRI domain goes through `load_volume`, so a 2-D or 4-D file where a
volume is needed, a truncated or corrupt `.nii.gz`, NaNs or a singular affine all fail the
same clear way, before any training starts.
"""

import pathlib
import zlib

import numpy as np

NIFTI_SUFFIXES = (".nii", ".nii.gz")


class NiftiError(ValueError):
    """A NIfTI file that cannot be used; the message names the file and what was expected."""


def load_volume(path, canonical=True, allow_nan=False, dtype="float32"):
    """Read a 3-D NIfTI volume.

    Args:
        path: str or Path of a `.nii` or `.nii.gz` file.
        canonical: bool. Reorient to the closest canonical (RAS+) orientation, so that array
            axes mean the same thing for every file. Defaults to True.
        allow_nan: bool. Accept NaN/inf voxels (else an error). Defaults to False.
        dtype: str. Output dtype. Defaults to "float32".

    Returns:
        (volume: ndarray (x, y, z), affine: (4, 4) ndarray, voxel_size: tuple of 3 floats).
        A 4-D file whose 4th axis has length 1 is accepted as 3-D.

    Raises:
        FileNotFoundError: no such file.
        NiftiError: not a readable NIfTI file (truncated, corrupt), not 3-D, NaN voxels,
            or a singular affine.

    Example:
    ```python
    volume, affine, voxel_size = load_volume(samples.fetch("mri.anatomical"))
    volume.shape, voxel_size   # (33, 41, 25) (2.0, 2.0, 2.0)
    ```
    """
    import nibabel as nib

    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such NIfTI file (expected a 3-D .nii or .nii.gz volume)")
    try:
        image = nib.load(str(path))
        _check_affine(path, image.affine)
        if canonical:
            image = nib.as_closest_canonical(image)
        data = np.asarray(image.dataobj)  # reads (and decompresses) everything now
    except (EOFError, OSError, zlib.error, ValueError, nib.filebasedimages.ImageFileError) as error:
        if isinstance(error, NiftiError):
            raise
        raise NiftiError(
            f"{path}: not a readable NIfTI file ({type(error).__name__}: {error}); "
            "expected a complete .nii or .nii.gz volume (is the download truncated?)"
        ) from error
    if data.ndim == 4 and data.shape[3] == 1:
        data = data[..., 0]
    if data.ndim != 3:
        raise NiftiError(f"{path}: expected a 3-D volume. Received: a {data.ndim}-D image of shape {data.shape}")
    data = data.astype(dtype)
    if not allow_nan and not np.all(np.isfinite(data)):
        bad = int(np.size(data) - np.count_nonzero(np.isfinite(data)))
        raise NiftiError(f"{path}: {bad} voxels are NaN or infinite; expected finite intensities")
    affine = np.asarray(image.affine, dtype="float64")
    voxel_size = tuple(float(v) for v in np.sqrt((affine[:3, :3] ** 2).sum(axis=0)))
    return data, affine, voxel_size


def _check_affine(path, affine):
    affine = np.asarray(affine, dtype="float64")
    if not np.all(np.isfinite(affine)) or abs(np.linalg.det(affine[:3, :3])) < 1e-12:
        raise NiftiError(f"{path}: singular affine (voxel-to-world matrix not invertible):\n{affine}")


def save_volume(path, volume, affine):
    """Write a 3-D array as NIfTI (`.nii` or `.nii.gz`, by suffix) with the given affine.

    Args:
        path: str or Path.
        volume: ndarray (x, y, z).
        affine: (4, 4) voxel-to-world matrix.

    Example:
    ```python
    save_volume("sr.nii.gz", super_resolved, scaled_affine(affine, 0.5))
    ```
    """
    import nibabel as nib

    volume = np.asarray(volume)
    if volume.ndim != 3:
        raise ValueError(f"save_volume expects a 3-D array. Received: shape={volume.shape} for {path}")
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    image = nib.Nifti1Image(volume.astype("float32"), np.asarray(affine, dtype="float64"))
    image.header.set_xyzt_units("mm")
    nib.save(image, str(path))
    return path


def scaled_affine(affine, factor):
    """The affine of the same field of view sampled `1/factor` times more finely.

    Voxel sizes are multiplied by `factor` (0.5 for ×2 super-resolution); the origin moves so
    that voxel centres stay aligned with the original grid's field of view.

    Args:
        affine: (4, 4) ndarray.
        factor: float. New voxel size / old voxel size.
    """
    affine = np.asarray(affine, dtype="float64")
    result = affine.copy()
    result[:3, :3] = affine[:3, :3] * factor
    # The first new voxel's centre sits at -(1 - factor)/2 of an old voxel from the old centre.
    result[:3, 3] = affine[:3, 3] + affine[:3, :3] @ np.full(3, (factor - 1.0) / 2.0)
    return result


def foreground_mask(volume, fraction=0.05):
    """Head/brain foreground: voxels above `fraction` of the robust maximum, holes filled.

    Args:
        volume: ndarray (x, y, z).
        fraction: float. Threshold as a fraction of the 99.5th percentile. Defaults to 0.05.
    """
    from scipy import ndimage

    top = float(np.percentile(volume, 99.5))
    mask = volume > fraction * top
    return ndimage.binary_fill_holes(mask)


def list_volumes(folder):
    """The NIfTI files of a folder (recursively, sorted); an error if there are none.

    Args:
        folder: str or Path (an HCP-style tree or a flat folder of volumes).
    """
    folder = pathlib.Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder (expected a folder of .nii/.nii.gz volumes)")
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name.endswith(NIFTI_SUFFIXES))
    if not files:
        raise FileNotFoundError(f"{folder}: no .nii or .nii.gz files found (searched recursively)")
    return files
