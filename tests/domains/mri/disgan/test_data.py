import pathlib

import numpy as np
import pytest
import tensorflow as tf

from core.testing import TestCase
from domains.mri.disgan.data import (
    DEGRADATIONS,
    HCP_T1W_PATTERN,
    PatchSampler,
    add_rician_noise,
    brain_mask,
    degrade,
    find_volumes,
    fwhm_sigma,
    holdout_slab,
    keys_weights,
    load_training_volume,
    make_pairs_fn,
    native_offset,
    patch_corners,
    read_patch_tfrecords,
    regrid,
    resolve_mix,
    training_pipeline,
    validation_pipeline,
    write_patch_tfrecords,
)
from domains.mri.disgan.inference import normalize_for_inference
from domains.mri.disgan.training import folder_split
from domains.mri.io import NiftiError
from tests.domains.mri.disgan.conftest import phantom, tmp, write


class DegradationTest(TestCase):
    def test_nearest_is_every_second_voxel_as_the_paper(self):
        hr = np.random.default_rng(0).normal(size=(8, 6, 4, 1)).astype("float32")
        self.assertAllClose(degrade(hr), hr[::2, ::2, ::2])
        self.assertEqual(tuple(degrade(hr[None]).shape), (1, 4, 3, 2, 1))

    def test_kspace_blur_and_block_preserve_intensity_and_shape(self):
        constant = np.full((2, 8, 8, 8, 1), 3.0, "float32")
        for method in ("kspace", "blur", "block"):
            self.assertAllClose(degrade(constant, method), np.full((2, 4, 4, 4, 1), 3.0), atol=1e-5)
        # k-space truncation keeps a band-limited (low-frequency) signal exactly.
        z = np.arange(16)
        wave = np.cos(2 * np.pi * z / 16)[None, None, :, None] * np.ones((16, 16, 16, 1))
        self.assertAllClose(degrade(wave.astype("float32"), "kspace"), wave[::2, ::2, ::2], atol=1e-5)
        with pytest.raises(ValueError, match="method must be one of"):
            degrade(constant, "bicubic")

    def test_every_degradation_puts_lr_voxel_i_on_hr_voxel_2i(self):
        # A smooth periodic signal of low frequency: each method keeps it (up to its blur's
        # attenuation) at the HR voxels 0, 2, 4, ...; a half-voxel shift (a block average's own
        # grid, 2i + 0.5) would move every sample by a quarter of the period's gradient.
        z = np.arange(32)
        wave = (np.cos(2 * np.pi * z / 32) * np.ones((8, 8, 1)))[..., None].astype("float32")
        frequency = 2 * np.pi / 32
        blur_gain = np.exp(-0.5 * (fwhm_sigma(2) * frequency) ** 2)  # the Gaussian's transfer here
        block_gain = np.cos(frequency / 2)  # a 2-voxel mean's transfer
        for method, gain in (("nearest", 1.0), ("kspace", 1.0), ("blur", blur_gain), ("block", block_gain)):
            lr = degrade(wave, method).numpy()
            # (the blur's symmetric padding and the block's clamped regrid bend the edge samples)
            self.assertAllClose(lr[2, 2, 2:-1, 0], gain * wave[4, 4, 4:-2:2, 0], atol=2e-3, msg=method)
        native = degrade(wave, "block", native=True).numpy()[2, 2, :, 0]
        self.assertAllClose(native, wave[4, 4, :, 0].reshape(16, 2).mean(1), atol=1e-6)  # on 2i + 0.5
        self.assertGreater(np.abs(native - block_gain * wave[4, 4, ::2, 0]).max(), 0.05)

    def test_lr_voxel_centres_land_on_the_right_world_coordinates(self):
        # Each HR voxel holds its own world x coordinate (a linear volume; for k-space
        # truncation, a band-limited wave of it). The LR voxel i of every method must then hold
        # the world x of HR voxel 2i + native_offset: the affine that maps LR voxels to world
        # coordinates is the HR one with its axes doubled and its origin moved by that offset.
        hr_affine = np.array([[-0.9, 0, 0, 30.0], [0, 1.1, 0, -20.0], [0, 0, 1.0, 5.0], [0, 0, 0, 1]])
        index = np.stack(np.meshgrid(*[np.arange(s) for s in (16, 12, 12)], indexing="ij"), -1).astype("float64")
        world_x = (index @ hr_affine[:3, :3].T + hr_affine[:3, 3])[..., 0]
        inner = (slice(2, -2), slice(2, -2), slice(2, -2))
        for method in DEGRADATIONS:
            for native in (False, True):
                offset = native_offset(method) if native else 0.0
                lr_affine = hr_affine @ np.array([[2, 0, 0, offset], [0, 2, 0, offset], [0, 0, 2, offset],
                                                  [0, 0, 0, 1]])
                lr_index = np.stack(np.meshgrid(*[np.arange(s) for s in (8, 6, 6)], indexing="ij"), -1)
                expected = (lr_index @ lr_affine[:3, :3].T + lr_affine[:3, 3])[..., 0]
                if method == "kspace":  # a linear ramp is not periodic: a wave of the world x instead
                    hr = np.cos(2 * np.pi * world_x / (16 * 0.9))
                    expected = np.cos(2 * np.pi * expected / (16 * 0.9))
                else:
                    hr = world_x
                lr = degrade(hr[..., None].astype("float32"), method, native=native).numpy()[..., 0]
                # (a Gaussian blur keeps a linear volume; the k-space wave is band-limited)
                self.assertAllClose(lr[inner], expected[inner], atol=1e-3, msg=f"{method} native={native}")

    def test_constant_and_linear_volumes_round_trip_through_each_degradation(self):
        from domains.mri.disgan.evaluation import interpolate

        constant = np.full((16, 16, 16, 1), 7.0, "float32")
        ramp = np.add.outer(np.add.outer(np.arange(16.0), 0.5 * np.arange(16.0)), -np.arange(16.0))[..., None]
        inner = (slice(4, -4),) * 3
        for method in DEGRADATIONS:
            self.assertAllClose(degrade(constant, method), np.full((8, 8, 8, 1), 7.0), atol=1e-5, msg=method)
            if method == "kspace":
                continue  # a ramp is not band-limited (its periodic copy jumps): the wave test above
            for native in (False, True):
                lr = degrade(ramp.astype("float32"), method, native=native).numpy()[..., 0]
                back = interpolate(lr, 1, offset=native_offset(method) if native else 0.0)
                self.assertAllClose(back[inner], ramp[..., 0][inner], atol=1e-3, msg=f"{method} native={native}")

    def test_regrid_is_keys_cubic_convolution(self):
        # Keys' weights sum to 1 and reproduce a quadratic; a shift of 0 is the identity.
        for fraction in (0.0, 0.25, 0.5, 0.75):
            self.assertAllClose(sum(keys_weights(fraction)), 1.0, atol=1e-9)
        t = np.arange(12, dtype="float32")
        quadratic = (0.3 * t**2 - t)[None, :, None, None, None] * np.ones((1, 12, 1, 1, 1), "float32")
        moved = regrid(quadratic, -0.25).numpy()[0, :, 0, 0, 0]
        u = t - 0.25
        self.assertAllClose(moved[2:-2], (0.3 * u**2 - u)[2:-2], atol=1e-4)
        self.assertAllClose(regrid(quadratic, 0.0), quadratic, atol=1e-6)
        self.assertAllClose(keys_weights(0.5), [-0.0625, 0.5625, 0.5625, -0.0625])

    def test_mixed_draws_one_of_the_degradations_per_patch(self):
        hr = tf.constant(np.random.default_rng(2).normal(size=(8, 8, 8, 1)).astype("float32"))
        each = [degrade(hr, method).numpy() for method in DEGRADATIONS]
        to_pair = make_pairs_fn("mixed")
        drawn = set()
        for _ in range(40):
            lr, target = to_pair({"hr": hr, "background": tf.constant(0.0)})
            matches = [i for i, candidate in enumerate(each) if np.allclose(lr.numpy(), candidate, atol=1e-5)]
            self.assertLen(matches, 1)
            drawn.add(matches[0])
        self.assertEqual(drawn, set(range(len(DEGRADATIONS))))
        # A chosen mix draws only from its members.
        to_pair = make_pairs_fn("mixed", mix=["nearest", "block"])
        drawn = set()
        for _ in range(16):
            lr, _ = to_pair({"hr": hr, "background": tf.constant(0.0)})
            drawn.update(i for i, candidate in enumerate(each) if np.allclose(lr.numpy(), candidate, atol=1e-5))
        self.assertEqual(drawn, {DEGRADATIONS.index("nearest"), DEGRADATIONS.index("block")})
        with pytest.raises(ValueError, match="degradation must be one of"):
            make_pairs_fn("bicubic")
        with pytest.raises(ValueError, match=r"a degradation mix is some of .* Received: mix=\['nearest', 'cubic'\]"):
            make_pairs_fn("mixed", mix=["nearest", "cubic"])
        self.assertEqual(resolve_mix("kspace", ["nearest"]), ("kspace",))
        # Validation stays fixed: patch i is degraded by the mix's member i % len(mix).
        patches = np.random.default_rng(3).normal(size=(5, 8, 8, 8, 1)).astype("float32")
        lr, _ = next(iter(validation_pipeline(patches, 5, degradation="mixed")))
        for i in range(5):
            self.assertAllClose(lr[i], degrade(patches[i], DEGRADATIONS[i % len(DEGRADATIONS)]), atol=1e-5)
        lr, _ = next(iter(validation_pipeline(patches, 5, degradation="mixed", mix=["block", "kspace"])))
        for i in range(5):
            self.assertAllClose(lr[i], degrade(patches[i], ("block", "kspace")[i % 2]), atol=1e-5)

    def test_rician_noise_is_positive_magnitude_noise(self):
        zeros = np.zeros((64, 64, 16), "float32")
        noisy = add_rician_noise(zeros, 2.0, seed=0).numpy()
        self.assertGreaterEqual(noisy.min(), 0.0)
        self.assertAllClose(noisy.mean(), 2.0 * np.sqrt(np.pi / 2), rtol=0.02)  # Rayleigh mean
        shifted = add_rician_noise(tf.fill((32, 32, 32), -4.0), 1.0, background=-4.0, seed=1).numpy()
        self.assertGreaterEqual(shifted.min(), -4.0)
        self.assertAllClose(shifted.mean() + 4.0, np.sqrt(np.pi / 2), rtol=0.03)
        # A strong signal m: the noisy magnitude's mean is sqrt(m² + σ²) to first order, not m.
        signal = add_rician_noise(np.full((32, 32, 32), 10.0, "float32"), 1.0, seed=2).numpy()
        self.assertAllClose(signal.mean(), np.sqrt(10.0**2 + 1.0), rtol=0.01)

    def test_rician_noise_seed_repeats_and_none_draws_anew(self):
        x = np.ones((8, 8, 8), "float32")
        self.assertAllClose(add_rician_noise(x, 0.5, seed=3), add_rician_noise(x, 0.5, seed=3))
        self.assertFalse(np.allclose(add_rician_noise(x, 0.5, seed=3), add_rician_noise(x, 0.5, seed=4)))
        draws = list(tf.data.Dataset.from_tensors(x).repeat(2).map(lambda v: add_rician_noise(v, 0.5)))
        self.assertFalse(np.allclose(draws[0], draws[1]))


class VolumeAndPatchTest(TestCase):
    def test_load_zscores_with_foreground_statistics(self):
        raw = phantom()
        volume = load_training_volume(write(tmp(self) / "phantom.nii.gz", raw))
        # The statistics are those inference computes from the LR (every second voxel) volume.
        _, mean, std = normalize_for_inference(raw[::2, ::2, ::2])
        self.assertAllClose((volume.mean, volume.std), (mean, std), rtol=1e-5)
        self.assertAllClose(volume.volume, (raw - mean) / std, atol=1e-5)
        mask = brain_mask(raw[::2, ::2, ::2])
        self.assertAllClose(volume.volume[::2, ::2, ::2][mask].mean(), 0.0, atol=1e-4)
        self.assertAllClose(volume.background, (0.0 - volume.mean) / volume.std, atol=1e-6)
        self.assertEqual(volume.volume.dtype, np.float32)

    def test_bad_files_name_the_file(self):
        folder = tmp(self)
        with pytest.raises(NiftiError, match="flat.nii.gz: expected a 3-D volume"):
            load_training_volume(write(folder / "flat.nii.gz", np.ones((8, 8), "float32")))
        with pytest.raises(NiftiError, match="empty.nii.gz: no foreground"):
            load_training_volume(write(folder / "empty.nii.gz", np.zeros((8, 8, 8), "float32")))

    def test_corners_respect_region_and_foreground(self):
        mask = np.zeros((20, 20, 40), bool)
        mask[4:16, 4:16, 4:36] = True
        corners = patch_corners(mask, 8, min_foreground=0.5, region=[(0, 20), (0, 20), (0, 20)])
        self.assertGreater(len(corners), 0)
        self.assertTrue(np.all(corners[:, 2] + 8 <= 20))
        self.assertTrue(np.all(corners % 2 == 0))
        for c in corners:
            self.assertGreaterEqual(mask[c[0]:c[0] + 8, c[1]:c[1] + 8, c[2]:c[2] + 8].mean(), 0.5)
        self.assertEqual(len(patch_corners(mask, 8, min_foreground=1.01)), 0)

    def test_holdout_slab_is_the_top_of_the_foreground(self):
        mask = np.zeros((4, 4, 50), bool)
        mask[:, :, 5:41] = True
        self.assertEqual(holdout_slab(mask, 10), (30, 40))  # top foreground slice 40 -> even start 30
        self.assertEqual(holdout_slab(mask, 8), (32, 40))

    def test_no_training_patch_overlaps_a_held_out_slab(self):
        volume = load_training_volume(write(tmp(self) / "v.nii.gz", phantom((24, 24, 40))))
        sampler = PatchSampler([volume], 8, 0.1, regions=[[(0, 24), (0, 24), (0, 16)]], seed=0)
        self.assertTrue(np.all(sampler.corners[0][:, 2] + 8 <= 16))
        with pytest.raises(ValueError, match="no \\(8, 8, 8\\) patch"):
            PatchSampler([volume], 8, 1.5, seed=0)

    def test_pipeline_makes_lr_on_the_fly(self):
        volume = load_training_volume(write(tmp(self) / "v.nii.gz", phantom()))
        sampler = PatchSampler([volume], 8, 0.2, seed=0)
        lr, hr = next(iter(training_pipeline(sampler.dataset(), batch_size=3)))
        self.assertEqual((tuple(lr.shape), tuple(hr.shape)), ((3, 4, 4, 4, 1), (3, 8, 8, 8, 1)))
        self.assertAllClose(lr, hr.numpy()[:, ::2, ::2, ::2])
        noisy_lr, _ = next(iter(training_pipeline(sampler.dataset(), batch_size=2, noise_sigma=0.5)))
        self.assertTrue(np.all(noisy_lr.numpy() >= volume.background - 1e-5))
        val_patches, _ = sampler.fixed(5)
        batches = list(validation_pipeline(val_patches, batch_size=2))
        self.assertEqual([b[0].shape[0] for b in batches], [2, 2, 1])


class FolderAndTFRecordTest(TestCase):
    def test_hcp_tree_finds_only_the_skull_stripped_t1w(self):
        root = tmp(self) / "HCP"
        for subject in ("100307", "100408"):
            write(root / subject / "T1w" / "T1w_acpc_dc_restore_brain.nii.gz", phantom(seed=int(subject)))
            write(root / subject / "T1w" / "T2w_acpc_dc_restore_brain.nii.gz", phantom(seed=1))
            write(root / subject / "T1w" / "aparc+aseg.nii.gz", np.ones((4, 4, 4), "float32"))
        files = find_volumes(root)
        self.assertEqual([f.relative_to(root).as_posix() for f in files],
                         ["100307/T1w/T1w_acpc_dc_restore_brain.nii.gz", "100408/T1w/T1w_acpc_dc_restore_brain.nii.gz"])
        self.assertEqual(HCP_T1W_PATTERN, "*/T1w/T1w_acpc_dc_restore_brain.nii.gz")
        self.assertEqual(len(find_volumes(root, "*/T1w/T2w*.nii.gz")), 2)
        flat = tmp(self) / "flat"
        write(flat / "a.nii", phantom())
        write(flat / "sub" / "b.nii.gz", phantom())
        self.assertEqual([f.name for f in find_volumes(flat)], ["a.nii", "b.nii.gz"])
        with pytest.raises(FileNotFoundError, match="no such folder"):
            find_volumes(root / "nope")

    def test_folder_split_holds_out_whole_subjects(self):
        root = tmp(self) / "HCP"
        for subject in ("100307", "100408", "101107"):
            write(root / subject / "T1w" / "T1w_acpc_dc_restore_brain.nii.gz", phantom(seed=int(subject) % 97))
        split = folder_split(root, patch_size=8, min_foreground=0.2, val_fraction=0.3, val_patches=3, seed=0)
        self.assertEqual([pathlib.Path(p).parts[-3] for p in split.description["train_volumes"]], ["100307", "100408"])
        self.assertEqual([pathlib.Path(p).parts[-3] for p, _ in split.test], ["101107"])
        self.assertEqual(split.val_patches.shape, (3, 8, 8, 8, 1))
        self.assertEqual(len(split.sampler.volumes), 2)
        with pytest.raises(ValueError, match="at least 2 volumes"):
            folder_split(root / "100307", patch_size=8)

    def test_tfrecord_of_patches_from_many_volumes(self):
        folder = tmp(self)
        paths = [write(folder / f"s{i}.nii.gz", phantom(seed=i)) for i in range(3)]
        shards = write_patch_tfrecords(paths, str(folder / "patches"), patches_per_volume=4, patch_size=8,
                                       num_shards=2)
        self.assertEqual(len(shards), 2)
        examples = list(read_patch_tfrecords(str(folder / "patches-*.tfrecord"), repeat=False))
        self.assertEqual(len(examples), 12)
        self.assertEqual(tuple(examples[0]["hr"].shape), (8, 8, 8, 1))
        lr, hr = next(iter(training_pipeline(read_patch_tfrecords(str(folder / "patches-*.tfrecord")), 4)))
        self.assertEqual(tuple(lr.shape), (4, 4, 4, 4, 1))

