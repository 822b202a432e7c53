"""Helpers of the DISGAN tests: a textured phantom volume and NIfTI writing."""

import pathlib

import nibabel as nib
import numpy as np


def phantom(shape=(24, 20, 28), seed=0):
    """A bright ellipsoid 'brain' with texture in a zero background (uint8-like 0..255)."""
    grid = np.stack(np.meshgrid(*[np.linspace(-1, 1, s) for s in shape], indexing="ij"))
    inside = (grid**2).sum(0) < 0.6
    texture = np.random.default_rng(seed).uniform(80, 250, shape)
    return np.where(inside, texture, 0.0).astype("float32")


def write(path, volume, affine=None):
    """Save `volume` as a NIfTI file at `path` (folders created); returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(volume, np.eye(4) if affine is None else affine), str(path))
    return path


def tmp(test):
    """The `TestCase`'s temporary folder as a Path."""
    return pathlib.Path(test.get_temp_dir())
