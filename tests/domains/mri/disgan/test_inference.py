import keras
import nibabel as nib
import numpy as np
import pytest

from core.testing import TestCase
from domains.mri.disgan.generator import CubicUpsampling, build_generator
from domains.mri.disgan.inference import (
    background_mask,
    sr_affine,
    sr_output_path,
    super_resolve,
    super_resolve_file,
)
from domains.mri.io import NiftiError, scaled_affine


def nearest_model():
    inputs = keras.Input((None, None, None, 1))
    return keras.Model(inputs, keras.layers.UpSampling3D(2)(inputs))


def interpolating_model(offset=0.0):
    """Cubic ×2 on the training grid (LR voxel i on HR voxel 2i), plus `offset` everywhere (z units)."""
    inputs = keras.Input((None, None, None, 1))
    outputs = CubicUpsampling(rank=3)(inputs)
    if offset:
        outputs = keras.layers.Lambda(lambda x: x + offset)(outputs)
    return keras.Model(inputs, outputs)


def world_to_voxel(affine, points):
    return (np.linalg.inv(affine) @ np.vstack([points, np.ones(points.shape[1])]))[:3]


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
    def test_every_input_voxel_keeps_its_world_position_and_value(self):
        # A model trained on the degradations' grid puts input voxel i on output voxel 2i. With
        # an interpolating model, each input voxel's world position must fall on an output
        # voxel holding the same value, whatever the file's orientation (x flipped here).
        folder = self.get_temp_dir()
        affine = np.array([[-2.0, 0, 0, 90], [0, 2.0, 0, -126], [0, 0, 2.5, -72], [0, 0, 0, 1]])
        volume = np.random.default_rng(3).uniform(0, 100, (9, 10, 7)).astype("float32")
        nib.save(nib.Nifti1Image(volume, affine), f"{folder}/subject.nii.gz")
        out = sr_output_path(f"{folder}/subject.nii.gz", folder)
        self.assertEqual(out.name, "subject_sr.nii.gz")
        info = super_resolve_file(interpolating_model(), f"{folder}/subject.nii.gz", out, tile_size=8, overlap=2)
        image = nib.load(str(out))
        self.assertEqual(image.shape, (18, 20, 14))
        self.assertEqual(nib.aff2axcodes(image.affine), nib.aff2axcodes(affine))  # the input's orientation
        self.assertAllClose(image.header.get_zooms(), (1.0, 1.0, 1.25), atol=1e-6)
        self.assertEqual(info["output_voxel_size"], [1.0, 1.0, 1.25])
        index = np.stack(np.meshgrid(*[np.arange(s) for s in volume.shape], indexing="ij")).reshape(3, -1)
        world = (affine @ np.vstack([index, np.ones(index.shape[1])]))[:3]
        found = world_to_voxel(image.affine, world)
        self.assertAllClose(found, np.round(found), atol=1e-6)  # on output voxels, not between them
        data = np.asarray(image.dataobj)
        values = data[tuple(np.round(found).astype(int))]
        self.assertAllClose(values, volume[tuple(index)], atol=1e-3)  # and back in the input's units

    def test_the_old_centred_affine_is_half_an_output_voxel_off(self):
        # What issue 28 saw: scaled_affine centres the new grid (origin -90.5 for -90).
        affine = np.array([[2.0, 0, 0, -90], [0, 2.0, 0, -126], [0, 0, 2.0, -72], [0, 0, 0, 1]])
        self.assertAllClose(sr_affine(affine)[:3, 3], [-90, -126, -72])
        self.assertAllClose(scaled_affine(affine, 0.5)[:3, 3], [-90.5, -126.5, -72.5])
        self.assertAllClose(sr_affine(affine)[:3, :3], np.eye(3))

    def test_output_dtype_and_header_follow_the_input(self):
        folder = self.get_temp_dir()
        volume = np.zeros((12, 12, 12), "int16")
        volume[3:9, 3:9, 3:9] = np.random.default_rng(5).integers(100, 900, (6, 6, 6))
        image = nib.Nifti1Image(volume, np.diag([2.0, 2.0, 2.0, 1.0]))
        image.header["descrip"] = b"a T1 scan"
        image.set_qform(image.affine, code=1)
        image.set_sform(image.affine, code=4)
        nib.save(image, f"{folder}/t1.nii.gz")
        super_resolve_file(interpolating_model(), f"{folder}/t1.nii.gz", f"{folder}/sr.nii.gz", tile_size=8, overlap=2)
        out = nib.load(f"{folder}/sr.nii.gz")
        self.assertEqual(out.get_data_dtype(), np.int16)
        self.assertEqual(out.header["descrip"].tobytes().rstrip(b"\0"), b"a T1 scan")
        self.assertEqual((int(out.header["qform_code"]), int(out.header["sform_code"])), (1, 4))
        super_resolve_file(interpolating_model(), f"{folder}/t1.nii.gz", f"{folder}/sr32.nii.gz", tile_size=8,
                           overlap=2, output_dtype="float32")
        self.assertEqual(nib.load(f"{folder}/sr32.nii.gz").get_data_dtype(), np.float32)
        with pytest.raises(ValueError, match="output_dtype"):
            super_resolve_file(interpolating_model(), f"{folder}/t1.nii.gz", f"{folder}/x.nii.gz", output_dtype="int8")

    def test_background_stays_background(self):
        # A model that adds 0.5 z everywhere: inside the head it shows; outside it must not.
        folder = self.get_temp_dir()
        volume = np.zeros((16, 16, 16), "float32")
        volume[4:12, 4:12, 4:12] = np.random.default_rng(6).uniform(50, 100, (8, 8, 8))
        nib.save(nib.Nifti1Image(volume, np.eye(4)), f"{folder}/head.nii.gz")
        for masked in (True, False):
            super_resolve_file(interpolating_model(0.5), f"{folder}/head.nii.gz", f"{folder}/sr.nii.gz",
                               tile_size=8, overlap=2, mask_background=masked)
            data = np.asarray(nib.load(f"{folder}/sr.nii.gz").dataobj)
            self.assertEqual(bool((data[:4, :4, :4] == 0).all()), masked)
            self.assertGreater(data[16, 16, 16], volume[8, 8, 8])  # inside: the model's output
        mask, value = background_mask(volume)
        self.assertEqual(value, 0.0)
        # An HR voxel is background when every LR voxel interpolated into it is: 2·3 + 1 = 7 is
        # between LR 3 (background) and LR 4 (head), so it is not.
        self.assertTrue(mask[6, 6, 6])
        self.assertFalse(mask[7, 10, 10])
        noisy = volume + np.random.default_rng(7).uniform(0.1, 1, volume.shape).astype("float32")
        self.assertEqual(background_mask(noisy), (None, None))  # no exact background: nothing masked

    def test_bad_file_names_the_file(self):
        folder = self.get_temp_dir()
        nib.save(nib.Nifti1Image(np.ones((8, 8, 8, 3), "float32"), np.eye(4)), f"{folder}/dwi.nii.gz")
        with pytest.raises(NiftiError, match=r"dwi.nii.gz: expected a 3-D volume. Received: a 4-D image"):
            super_resolve_file(nearest_model(), f"{folder}/dwi.nii.gz", f"{folder}/out.nii.gz")
