import pathlib
from unittest import mock

import keras
import nibabel as nib
import numpy as np

from core.testing import TestCase
from domains.mri.disgan.discriminator import build_discriminator
from domains.mri.disgan.generator import build_generator
from domains.mri.disgan.model import InstanceNoiseSchedule
from domains.mri.disgan.training import folder_split, template_split, template_test, train_disgan


def write_phantom(path, seed):
    shape = (20, 20, 20)
    grid = np.stack(np.meshgrid(*[np.linspace(-1, 1, s) for s in shape], indexing="ij"))
    texture = np.random.default_rng(seed).uniform(80, 250, shape)
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(np.where((grid**2).sum(0) < 0.6, texture, 0.0).astype("float32"), np.eye(4)), str(path))


class TrainDISGANTest(TestCase):
    def test_warm_up_then_gan_with_separate_rates_saves_every_artefact(self):
        root = pathlib.Path(self.get_temp_dir()) / "volumes"
        for seed in range(3):
            write_phantom(root / f"s{seed}.nii.gz", seed)
        split = folder_split(root, patch_size=8, min_foreground=0.2, val_fraction=0.3, val_patches=4, seed=0)
        keras.utils.set_random_seed(0)
        generator = build_generator(filters=4, num_rrdb=1, num_dense_blocks=1, num_convs=2)
        discriminator = build_discriminator(filters=4, num_levels=2)
        before = [w.numpy().copy() for w in generator.weights]
        output = pathlib.Path(self.get_temp_dir()) / "run"
        trained = train_disgan(generator, discriminator, None, split, output, epochs=1, steps_per_epoch=2,
                               pretrain_epochs=1, pretrain_steps_per_epoch=3, batch_size=2, learning_rate=1e-5,
                               discriminator_learning_rate=3e-4, verbose=0)
        summary, model = trained["summary"], trained["model"]
        self.assertEqual((summary["pretrain"]["steps"], summary["gan"]["steps"]), (3, 2))
        self.assertEqual((summary["learning_rate"], summary["discriminator_learning_rate"]), (1e-5, 3e-4))
        self.assertEqual((summary["pretrain"]["best_epoch"], summary["gan"]["best_epoch"]), (1, 1))
        self.assertGreater(summary["gan"]["best_val_l1"], 0.0)
        self.assertAllClose(model.generator_optimizer.learning_rate, 1e-5)
        self.assertAllClose(model.discriminator_optimizer.learning_rate, 3e-4)
        for name in ("pretrain/best.keras", "best.keras", "final.keras", "log.csv", "generator.keras",
                     "training_summary.json"):
            self.assertTrue((output / name).is_file(), name)
        self.assertTrue(any(np.any(a != b.numpy()) for a, b in zip(before, model.generator.weights)))
        saved = keras.saving.load_model(output / "generator.keras")
        lr = split.val_patches[:2, ::2, ::2, ::2]
        self.assertAllClose(saved.predict(lr, verbose=0), model.generator.predict(lr, verbose=0), atol=1e-6)

    def test_killed_gan_phase_resumes_without_repeating_the_warm_up(self):
        root = pathlib.Path(self.get_temp_dir()) / "volumes"
        for seed in range(3):
            write_phantom(root / f"s{seed}.nii.gz", seed)
        split = folder_split(root, patch_size=8, min_foreground=0.2, val_fraction=0.3, val_patches=4, seed=0)
        output = pathlib.Path(self.get_temp_dir()) / "run"

        def run():
            keras.utils.set_random_seed(0)
            generator = build_generator(filters=4, num_rrdb=1, num_dense_blocks=1, num_convs=2)
            discriminator = build_discriminator(filters=4, num_levels=2)
            return train_disgan(generator, discriminator, None, split, output, epochs=3, steps_per_epoch=2,
                                pretrain_epochs=1, pretrain_steps_per_epoch=3, batch_size=2, verbose=0)

        begin = InstanceNoiseSchedule.on_epoch_begin

        def killed_in_gan_epoch_2(schedule, epoch, logs=None):
            if epoch == 1:
                raise RuntimeError("killed")
            begin(schedule, epoch, logs)

        with mock.patch.object(InstanceNoiseSchedule, "on_epoch_begin", killed_in_gan_epoch_2):
            with self.assertRaisesRegex(RuntimeError, "killed"):
                run()
        self.assertTrue((output / "backup").is_dir())
        warm_up_log = (output / "pretrain" / "log.csv").read_text()
        warm_up_best = (output / "pretrain" / "best.keras").stat().st_mtime_ns

        trained = run()
        summary, model = trained["summary"], trained["model"]
        self.assertTrue(summary["pretrain"]["reused_after_resume"])
        self.assertEqual(summary["pretrain"]["steps"], 3)
        self.assertEqual((output / "pretrain" / "log.csv").read_text(), warm_up_log)
        self.assertEqual((output / "pretrain" / "best.keras").stat().st_mtime_ns, warm_up_best)
        self.assertEqual(summary["gan"]["steps"], 3 * 2)  # the whole phase: epoch 1 before the kill, 2 and 3 after
        log = np.genfromtxt(output / "log.csv", delimiter=",", names=True)
        self.assertEqual(log["epoch"].tolist(), [0, 1, 2])
        final = keras.saving.load_model(output / "final.keras")
        self.assertEqual(int(final.discriminator_optimizer.iterations.numpy()), 3 * 2)
        self.assertAllClose(final.noise_stddev, 1 / 3)  # the schedule's value for the last epoch
        self.assertFalse((output / "backup").exists())
        self.assertEqual(int(model.generator_optimizer.iterations.numpy()), 3 * 2)


class TemplateSplitTest(TestCase):
    def test_slabs_from_the_top_and_the_test_slab_alone(self):
        path = pathlib.Path(self.get_temp_dir()) / "template.nii.gz"
        grid = np.stack(np.meshgrid(*[np.linspace(-1, 1, s) for s in (20, 20, 48)], indexing="ij"))
        volume = np.where((grid**2).sum(0) < 0.8, np.random.default_rng(0).uniform(80, 250, (20, 20, 48)), 0.0)
        nib.save(nib.Nifti1Image(volume.astype("float32"), np.eye(4)), str(path))
        split = template_split(path, patch_size=8, thickness=8, min_foreground=0.2, val_patches=2, seed=0)
        start, stop = split.description["test_axial_slices"]
        self.assertEqual(stop - start, 8)
        self.assertEqual(split.description["validation_axial_slices"], [start - 8, start])
        self.assertEqual(split.description["train_axial_slices"], [0, start - 8])
        self.assertTrue(np.all(split.sampler.corners[0][:, 2] + 8 <= start - 8))
        self.assertEqual(split.test, [(str(path), (slice(None), slice(None), slice(start, stop)))])
        self.assertEqual(template_test(path, thickness=8), split.test)
        with self.assertRaisesRegex(ValueError, "too few slices below the held-out slab"):
            template_split(path, patch_size=32, thickness=8)
