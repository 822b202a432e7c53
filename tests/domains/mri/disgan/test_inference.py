import keras
import nibabel as nib
import numpy as np
import pytest

from core.testing import TestCase
from domains.mri.disgan.generator import build_generator
from domains.mri.disgan.inference import sr_output_path, super_resolve, super_resolve_file
from domains.mri.io import NiftiError, scaled_affine


def nearest_model():
    inputs = keras.Input((None, None, None, 1))
    return keras.Model(inputs, keras.layers.UpSampling3D(2)(inputs))


def upsampled(volume):
    return volume.repeat(2, 0).repeat(2, 1).repeat(2, 2)


class CountingUpsampler(keras.Model):
    """Nearest-neighbour ×2 that counts the tiles it is run on (a variable: counted in graph mode too)."""

    def __init__(self):
        super().__init__()
        self.tiles_run = keras.Variable(0, dtype="int32", trainable=False)

    def call(self, x, training=False):
        self.tiles_run.assign_add(keras.ops.shape(x)[0])
        return keras.ops.repeat(keras.ops.repeat(keras.ops.repeat(x, 2, 1), 2, 2), 2, 3)


class TiledInferenceTest(TestCase):
    def test_blending_is_a_partition_of_unity(self):
        # With a local model every tile agrees, so any tiling must reproduce the direct result.
        model = nearest_model()
        volume = np.random.default_rng(0).normal(size=(21, 17, 26)).astype("float32")
        for tile, overlap, blend in ((8, 2, "cosine"), (8, 0, "linear"), (10, 7, "linear"), (32, 4, "cosine")):
            out = super_resolve(model, volume, tile_size=tile, overlap=overlap, blend=blend, batch_size=3)
            self.assertAllClose(out, upsampled(volume), atol=1e-5, msg=f"{tile}/{overlap}/{blend}")

    def test_generator_tiles_match_whole_volume_inference_away_from_seams(self):
        generator = build_generator(filters=8, num_rrdb=1, num_dense_blocks=1, num_convs=2)
        volume = np.random.default_rng(1).normal(size=(20, 20, 20)).astype("float32")
        whole = generator(volume[None, ..., None], training=False).numpy()[0, ..., 0]
        tiled = super_resolve(generator, volume, tile_size=12, overlap=6)
        self.assertEqual(tiled.shape, (40, 40, 40))
        # A tile's border sees zero padding instead of its neighbours: blending keeps this small.
        self.assertLess(np.abs(tiled - whole).mean(), 0.05 * np.abs(whole).mean() + 1e-3)

    def test_constant_tiles_are_not_run_and_stats_are_reported(self):
        volume = np.zeros((16, 16, 16), "float32")
        volume[:8, :8, :8] = np.random.default_rng(2).normal(size=(8, 8, 8))
        out = super_resolve(nearest_model(), volume, tile_size=8, overlap=0)
        self.assertEqual(super_resolve.last_stats["skipped_constant_tiles"], 7)
        self.assertAllClose(out, upsampled(volume), atol=1e-6)

    def test_each_tile_runs_through_the_generator_once(self):
        # The scale probe is the first tile's own run, not an extra one.
        model = CountingUpsampler()
        volume = np.random.default_rng(4).normal(size=(12, 12, 6)).astype("float32")
        out = super_resolve(model, volume, tile_size=8, overlap=4)
        self.assertAllClose(out, upsampled(volume), atol=1e-5)
        self.assertEqual(super_resolve.last_stats["computed_tiles"], 4)
        self.assertEqual(int(model.tiles_run.numpy()), 4)

    def test_bad_options(self):
        with pytest.raises(ValueError, match="overlap < tile_size"):
            super_resolve(nearest_model(), np.zeros((4, 4, 4)), tile_size=4, overlap=4)
        with pytest.raises(ValueError, match="3-D volume"):
            super_resolve(nearest_model(), np.zeros((4, 4)))


class NiftiInferenceTest(TestCase):
    def test_nifti_out_has_half_voxels_and_the_same_field_of_view(self):
        folder = self.get_temp_dir()
        affine = np.array([[-2.0, 0, 0, 90], [0, 2.0, 0, -126], [0, 0, 2.5, -72], [0, 0, 0, 1]])
        volume = np.random.default_rng(3).uniform(0, 100, (9, 10, 7)).astype("float32")
        nib.save(nib.Nifti1Image(volume, affine), f"{folder}/subject.nii.gz")
        out = sr_output_path(f"{folder}/subject.nii.gz", folder)
        self.assertEqual(out.name, "subject_sr.nii.gz")
        info = super_resolve_file(nearest_model(), f"{folder}/subject.nii.gz", out, tile_size=8, overlap=2)
        image = nib.load(str(out))
        canonical = nib.as_closest_canonical(nib.Nifti1Image(volume, affine))
        self.assertEqual(image.shape, (18, 20, 14))
        self.assertAllClose(image.affine, scaled_affine(canonical.affine, 0.5), atol=1e-6)
        self.assertAllClose(image.header.get_zooms(), (1.0, 1.0, 1.25), atol=1e-6)
        # Voxel centres of the new grid: the old centre sits between two new ones.
        old_centre = canonical.affine @ np.array([0, 0, 0, 1.0])
        new_centres = image.affine @ np.array([[0, 0, 0, 1.0], [1, 1, 1, 1.0]]).T
        self.assertAllClose(new_centres.mean(axis=1), old_centre, atol=1e-6)
        # The model runs on z-scored input; the output is back in the input's units.
        self.assertAllClose(np.asarray(image.dataobj), upsampled(np.asarray(canonical.dataobj)), atol=1e-3)
        self.assertEqual(info["output_voxel_size"], [1.0, 1.0, 1.25])

    def test_bad_file_names_the_file(self):
        folder = self.get_temp_dir()
        nib.save(nib.Nifti1Image(np.ones((8, 8, 8, 3), "float32"), np.eye(4)), f"{folder}/dwi.nii.gz")
        with pytest.raises(NiftiError, match=r"dwi.nii.gz: expected a 3-D volume. Received: a 4-D image"):
            super_resolve_file(nearest_model(), f"{folder}/dwi.nii.gz", f"{folder}/out.nii.gz")
