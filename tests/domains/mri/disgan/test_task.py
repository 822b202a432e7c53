import contextlib
import io
import json
import pathlib

import keras
import nibabel as nib
import numpy as np

import domains.mri.disgan  # noqa: F401  (registers mri.disgan)
from core.cli import main
from core.testing import TestCase
from domains.mri.disgan.generator import build_generator


def write_volume(path, shape=(12, 10, 8), affine=None):
    grid = np.stack(np.meshgrid(*[np.linspace(-1, 1, s) for s in shape], indexing="ij"))
    volume = np.where((grid**2).sum(0) < 0.8, 150.0, 0.0).astype("float32")
    nib.save(nib.Nifti1Image(volume, np.diag([1.5, 1.5, 3.0, 1.0]) if affine is None else affine), str(path))
    return path


class DISGANTaskTest(TestCase):
    def setUp(self):
        super().setUp()
        self.folder = pathlib.Path(self.get_temp_dir())
        self.model = self.folder / "generator.keras"
        build_generator(filters=4, num_rrdb=1, num_dense_blocks=1, num_convs=2).save(self.model)

    def _nearest_model(self):
        """A saved ×2 nearest-neighbour "generator": its output is known exactly."""
        inputs = keras.Input((None, None, None, 1))
        path = self.folder / "nearest.keras"
        keras.Model(inputs, keras.layers.UpSampling3D(2)(inputs)).save(path)
        return path

    def test_cli_predict_maps_the_output_back_to_the_input_intensities(self):
        source = write_volume(self.folder / "in.nii.gz")
        volume = nib.load(str(source)).get_fdata().astype("float32")
        out = self.folder / "out"
        code = main(["predict", "mri.disgan", "--model", str(self._nearest_model()), str(source), "--output", str(out),
                     "--verbose", "0", "--option", "tile_size=8", "--option", "overlap=2"])
        self.assertEqual(code, 0)
        # z-scored in, blended tiles, mapped back: the nearest model gives the repeated input voxels.
        expected = volume.repeat(2, 0).repeat(2, 1).repeat(2, 2)
        self.assertAllClose(nib.load(str(out / "in_sr.nii.gz")).get_fdata(), expected, atol=1e-3)
        rows = json.loads((out / "predictions.json").read_text())
        self.assertEqual([(r["input_shape"], r["output_shape"]) for r in rows], [([12, 10, 8], [24, 20, 16])])
        self.assertAllClose(rows[0]["output_voxel_size"], (0.75, 0.75, 1.5))

    def test_cli_evaluate_a_folder_reports_the_model_beside_the_baselines(self):
        data = self.folder / "data"
        data.mkdir()
        write_volume(data / "a.nii.gz", shape=(16, 12, 10))
        out = self.folder / "evaluation"
        nearest = self._nearest_model()
        code = main(["evaluate", "mri.disgan", "--model", str(nearest), "--data", str(data),
                     "--output", str(out), "--verbose", "0", "--option", "tile_size=8", "--option", "overlap=2",
                     "--option", "noise_levels=[0.0]", "--option", f'compare_models={{"again": "{nearest}"}}'])
        self.assertEqual(code, 0)
        report = json.loads((out / "report.json").read_text())
        (table,) = report["details"]["tables"]
        self.assertEqual((table["volume"], table["region"], table["noise"]), (str(data / "a.nii.gz"), "whole volume", 0.0))
        rows = {row["method"]: row for row in table["rows"]}
        self.assertEqual(list(rows), ["nearest", "trilinear", "tricubic", "DISGAN"])
        # The nearest "generator" is the nearest baseline, and its gain over tricubic is reported as such.
        self.assertAllClose(rows["DISGAN"]["psnr"], rows["nearest"]["psnr"], atol=1e-3)
        self.assertAllClose(report["metrics"]["psnr_noise0"], rows["DISGAN"]["psnr"], atol=1e-6)
        self.assertAllClose(report["baselines"]["tricubic"]["psnr_noise0"], rows["tricubic"]["psnr"], atol=1e-6)
        self.assertAllClose(table["psnr_gain_over_tricubic_db"], rows["DISGAN"]["psnr"] - rows["tricubic"]["psnr"],
                            atol=1e-6)
        self.assertEqual([pathlib.Path(p).name for p in report["figures"]], ["slices_0_noise0.png"])
        self.assertTrue((out / "slices_0_noise0.png").is_file())
        # Each compared model is scored alike, in its own folder.
        results = json.loads((out / "evaluate_results.json").read_text())
        self.assertEqual(results["compared"]["again"], report["metrics"])
        self.assertTrue((out / "again" / "report.json").is_file())

    def test_load_model_takes_a_disgan_a_generator_or_a_preset(self):
        from core.registry import RunConfig
        from domains.mri.disgan import DISGAN
        from domains.mri.disgan.discriminator import build_discriminator
        from domains.mri.disgan.task import DISGANTask

        generator = keras.saving.load_model(self.model)
        whole = self.folder / "disgan.keras"
        gan = DISGAN(generator, build_discriminator(filters=4, num_levels=2), feature_extractor=None)
        gan.compile()  # an uncompiled GANModel cannot be saved (its get_compile_config needs the optimizers)
        gan.save(whole)
        task = DISGANTask()
        lr = np.random.default_rng(0).normal(size=(1, 4, 4, 4, 1)).astype("float32")
        for path, kind in ((whole, DISGAN), (self.model, keras.Model)):
            loaded = task.load_model(RunConfig(output_dir=self.folder, model_path=str(path)))
            self.assertIsInstance(loaded, kind)
            self.assertAllClose(loaded.predict(lr, verbose=0), generator.predict(lr, verbose=0), atol=1e-6)
        self.assertIsInstance(task.load_model(RunConfig(output_dir=self.folder, preset="disgan_mni_small")), DISGAN)
        with self.assertRaisesRegex(ValueError, "disgan_mni_small"):
            task.load_model(RunConfig(output_dir=self.folder))
        message = self._cli_error(["evaluate", "mri.disgan", "--preset", "disgan_mni_small", "--dataset", "hcp",
                                   "--output", str(self.folder / "out")])
        self.assertIn("does not use --dataset", message)

    def test_training_can_start_from_a_preset_and_draw_from_a_chosen_mix(self):
        from core.registry import RunConfig
        from domains.mri.disgan import DISGAN
        from domains.mri.disgan.task import DISGANTask

        task = DISGANTask()
        options = task.resolve_options({"filters": 16, "num_rrdb": 1, "d_filters": 2, "global_residual": True,
                                        "patch_size": 32, "fe_widths": [2, 2, 2, 2], "degradation": "mixed",
                                        "degradation_mix": ["nearest", "block"], "init_preset": "disgan_mni_psnr"})
        config = RunConfig(output_dir=self.folder / "run", epochs=0, batch_size=2, seed=0, options=options, verbose=0)
        trained, _ = task.train_networks(config)
        shipped = DISGAN.from_preset("disgan_mni_psnr").generator.get_weights()
        for got, expected in zip(trained["model"].generator.get_weights(), shipped):
            self.assertAllClose(got, expected, atol=0)
        self.assertEqual(trained["summary"]["degradations_drawn"], ["nearest", "block"])

    def test_cli_predict_writes_super_resolved_nifti_with_halved_voxels(self):
        source = write_volume(self.folder / "in.nii.gz")
        out = self.folder / "out"
        code = main(["predict", "mri.disgan", "--model", str(self.model), str(source), "--output", str(out),
                     "--verbose", "0", "--option", "tile_size=8", "--option", "overlap=2"])
        self.assertEqual(code, 0)
        image = nib.load(str(out / "in_sr.nii.gz"))
        self.assertEqual(image.shape, (24, 20, 16))
        self.assertAllClose(image.header.get_zooms(), (0.75, 0.75, 1.5), atol=1e-6)
        self.assertAllClose(np.diag(image.affine)[:3], (0.75, 0.75, 1.5), atol=1e-6)
        results = json.loads((out / "predict_results.json").read_text())
        self.assertEqual(results["volumes"], 1)

    def _cli_error(self, args):
        """Run the CLI; it must fail with exit code 1 and return its error message."""
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr):
            self.assertEqual(main(args), 1)
        return stderr.getvalue()

    def test_cli_predict_names_a_bad_file(self):
        good = write_volume(self.folder / "good.nii.gz")
        truncated = self.folder / "truncated.nii.gz"
        truncated.write_bytes(good.read_bytes()[:200])
        message = self._cli_error(["predict", "mri.disgan", "--model", str(self.model), str(truncated), "--output",
                                   str(self.folder / "out"), "--verbose", "0"])
        self.assertIn("truncated.nii.gz: not a readable NIfTI file", message)
        flat = self.folder / "slice.nii"
        nib.save(nib.Nifti1Image(np.ones((8, 8), "float32"), np.eye(4)), str(flat))
        message = self._cli_error(["predict", "mri.disgan", "--model", str(self.model), str(flat), "--output",
                                   str(self.folder / "out"), "--verbose", "0"])
        self.assertIn("slice.nii: expected a 3-D volume", message)

    def test_cli_predict_reads_every_volume_before_writing_any(self):
        good = write_volume(self.folder / "good.nii.gz")  # (12, 10, 8): the smallest side is the minimum, 8
        tiny = write_volume(self.folder / "tiny.nii.gz", shape=(3, 3, 3))
        zeros = self.folder / "zeros.nii.gz"
        nib.save(nib.Nifti1Image(np.zeros((12, 10, 8), "float32"), np.eye(4)), str(zeros))
        out = self.folder / "out"
        cases = {tiny: r"tiny\.nii\.gz: volume too small to super-resolve: shape \(3, 3, 3\); each side must be at "
                       r"least 8 voxels \(a quarter of the 32-voxel tile\)\. Received: shape=\(3, 3, 3\)",
                 zeros: r"zeros\.nii\.gz: the volume is constant \(every voxel 0\): nothing to super-resolve\. "
                        r"Received: shape=\(12, 10, 8\)"}
        for bad, message in cases.items():
            error = self._cli_error(["predict", "mri.disgan", "--model", str(self.model), str(good), str(bad),
                                     "--output", str(out), "--verbose", "0"])
            self.assertRegex(error, message)
            self.assertFalse((out / "good_sr.nii.gz").exists())  # the good volume, first, was not written
            self.assertFalse((out / "predictions.json").exists())
        # With 8-voxel tiles the minimum is 2: the 3×3×3 volume is then super-resolved.
        self.assertEqual(main(["predict", "mri.disgan", "--model", str(self._nearest_model()), str(tiny), "--output",
                               str(out), "--verbose", "0", "--option", "tile_size=8", "--option", "overlap=2"]), 0)
        self.assertEqual(nib.load(str(out / "tiny_sr.nii.gz")).shape, (6, 6, 6))

    def test_missing_model_is_a_clear_error(self):
        message = self._cli_error(["predict", "mri.disgan", "--model", str(self.folder / "nope.keras"),
                                   str(write_volume(self.folder / "v.nii.gz")), "--output", str(self.folder / "out")])
        self.assertIn("nope.keras: no such model file", message)