import keras
import numpy as np

from core.testing import TestCase
from domains.mri.disgan.data import fwhm_sigma, native_offset
from domains.mri.disgan.evaluation import (
    decimate,
    degrade_volume,
    metric_key,
    evaluate_volume,
    even_crop,
    format_rows,
    interpolate,
    plot_slices,
    report,
    to_model_grid,
    volume_metrics,
)


def phantom(shape=(32, 28, 30)):
    grid = np.stack(np.meshgrid(*[np.linspace(-1, 1, s) for s in shape], indexing="ij"))
    radius = (grid**2).sum(0)
    return np.where(radius < 0.7, 100 + 80 * np.cos(6 * radius), 0.0).astype("float32")


class InterpolationTest(TestCase):
    def test_baselines_use_the_decimation_grid(self):
        # A linear ramp is reproduced by trilinear and tricubic interpolation of its every-second-
        # voxel samples on the decimation grid (LR voxel i on HR voxel 2i): exactly by trilinear
        # (but for the last, extrapolated voxel), and by tricubic away from the borders, where
        # the spline's boundary condition has died out. A half-voxel shift would fail both.
        ramp = np.add.outer(np.add.outer(np.arange(24.0), 2 * np.arange(20.0)), 0.5 * np.arange(16.0))
        ramp = ramp.astype("float32")
        lr = decimate(ramp)
        self.assertEqual(lr.shape, (12, 10, 8))
        trilinear = interpolate(lr, 1)
        self.assertEqual(trilinear.shape, (24, 20, 16))
        self.assertAllClose(trilinear[:-1, :-1, :-1], ramp[:-1, :-1, :-1], atol=1e-4)
        inner = (slice(6, -6),) * 3
        self.assertAllClose(interpolate(lr, 3)[inner], ramp[inner], atol=0.05)  # a half-voxel shift: >= 0.25

    def test_whole_volume_degradations_share_the_decimation_grid(self):
        # The baselines' grid must be the LR's for every degradation scored: a smooth volume
        # degraded by each, then interpolated back, is close to the truth; a block average read
        # on its own grid (2i + 0.5) by the baselines, and on the 2i grid once regridded.
        grid = np.stack(np.meshgrid(*[np.arange(s, dtype="float32") for s in (24, 24, 24)], indexing="ij"))
        smooth = (np.cos(2 * np.pi * grid[0] / 24) + np.sin(2 * np.pi * grid[1] / 24) + grid[2] * 0).astype("float32")
        inner = (slice(4, -4),) * 3
        frequency = 2 * np.pi / 24
        blur_gain = np.exp(-0.5 * (fwhm_sigma(2) * frequency) ** 2)  # the blur's transfer at this frequency
        block_gain = np.cos(frequency / 2)
        for method, gain in (("nearest", 1.0), ("kspace", 1.0), ("blur", blur_gain), ("block", block_gain)):
            lr = degrade_volume(smooth, method)
            self.assertEqual(lr.shape, (12, 12, 12))
            error = np.abs(interpolate(lr, 3)[inner] - gain * smooth[inner]).max()
            self.assertLess(error, 0.03, method)  # half a voxel off: errors up to 0.13
            native = degrade_volume(smooth, method, native=True)
            self.assertAllClose(to_model_grid(native, method), lr, atol=1e-5)
            error = np.abs(interpolate(native, 3, offset=native_offset(method))[inner] - gain * smooth[inner]).max()
            self.assertLess(error, 0.03, method)
        block = degrade_volume(smooth, "block", native=True)
        self.assertGreater(np.abs(interpolate(block, 3)[inner] - block_gain * smooth[inner]).max(), 0.1)
        with self.assertRaisesRegex(ValueError, "method must be one of"):
            degrade_volume(smooth, "bicubic")
        self.assertEqual(metric_key("psnr", 0.0, "kspace"), "psnr_kspace_noise0")
        self.assertEqual(metric_key("psnr", 0.0), "psnr_noise0")

    def test_block_average_is_scored_on_its_own_grid(self):
        # A "model" that knows the truth on the 2i grid scores perfectly on block-averaged input,
        # while the baselines read the block average at 2i + 0.5 (a nearest baseline repeating
        # each LR voxel over its block is then exact for a blockwise-constant volume).
        blocks = np.random.default_rng(1).uniform(50, 200, (8, 7, 6)).astype("float32")
        hr = np.repeat(np.repeat(np.repeat(blocks, 2, 0), 2, 1), 2, 2)
        result = evaluate_volume(None, hr, noise_levels=(0.0,), degradation="block")
        rows = {row["method"]: row for row in result["tables"][0.0]}
        self.assertEqual(rows["nearest"]["psnr"], 100.0)
        self.assertAllClose(result["lr"][0.0], blocks, atol=1e-4)

    def test_metrics_of_a_perfect_and_a_noisy_prediction(self):
        hr = phantom()
        perfect = volume_metrics(hr, hr)
        self.assertEqual((perfect["psnr"], perfect["nrmse"]), (100.0, 0.0))
        self.assertAllClose(perfect["ssim"], 1.0, atol=1e-5)
        noisy = volume_metrics(hr, hr + np.random.default_rng(0).normal(0, 1.8, hr.shape).astype("float32"))
        self.assertAllClose(noisy["psnr"], 20 * np.log10(180 / 1.8), atol=0.2)
        self.assertAllClose(noisy["nrmse"], 1.8 / 180, atol=5e-4)


class EvaluateVolumeTest(TestCase):
    def test_tables_for_sr_and_denoising_on_a_region(self):
        inputs = keras.Input((None, None, None, 1))
        nearest = keras.Model(inputs, keras.layers.UpSampling3D(2)(inputs))
        hr = phantom((33, 28, 30))
        region = (slice(None), slice(None), slice(10, 20))
        result = evaluate_volume(nearest, hr, region, noise_levels=(0.0, 0.05), name="model",
                                 tile_options={"tile_size": 8, "overlap": 2})
        self.assertEqual(result["hr"].shape, (32, 28, 10))  # even crop, then the region
        clean = {row["method"]: row for row in result["tables"][0.0]}
        self.assertEqual(list(clean), ["nearest", "trilinear", "tricubic", "model"])
        # The nearest-upsampling "model" is the nearest baseline: same numbers.
        self.assertAllClose(clean["model"]["psnr"], clean["nearest"]["psnr"], atol=1e-3)
        self.assertAllClose(result["gains"][0.0]["model"], clean["model"]["psnr"] - clean["tricubic"]["psnr"], atol=1e-6)
        both = evaluate_volume({"a": nearest, "b": nearest}, hr, region, noise_levels=(0.0,),
                               tile_options={"tile_size": 8, "overlap": 2})
        self.assertEqual([row["method"] for row in both["tables"][0.0]][-2:], ["a", "b"])
        self.assertEqual(set(both["gains"][0.0]), {"a", "b"})
        self.assertGreater(clean["tricubic"]["psnr"], clean["nearest"]["psnr"])
        noisy = {row["method"]: row for row in result["tables"][0.05]}
        self.assertLess(noisy["tricubic"]["psnr"], clean["tricubic"]["psnr"])
        self.assertEqual(list(format_rows(result["tables"][0.0])[0]), ["method", "PSNR (dB)", "SSIM", "NRMSE"])
        self.assertEqual(even_crop(hr).shape, (32, 28, 30))

    def test_slice_plot_has_a_column_per_method(self):
        from matplotlib.image import imread

        hr = phantom()
        predictions = {"tricubic": interpolate(decimate(hr), 3), "trilinear": interpolate(decimate(hr), 1)}
        folder = self.get_temp_dir()
        # HR plus one column per shown method, 2.6 x 5.4 inches a column at 110 dpi; 2 rows.
        both = imread(plot_slices(hr, predictions, f"{folder}/both.png", title="t"))
        self.assertEqual(both.shape, (594, 858, 4))
        one = imread(plot_slices(hr, predictions, f"{folder}/one.png", methods=["trilinear"], zoom_box=((0, 8), (0, 8))))
        self.assertEqual(one.shape, (594, 572, 4))
        # Not a blank canvas: the grey-scale slices and the error maps are drawn.
        self.assertGreater(float(both[..., :3].std()), 0.05)
        # A perfect prediction: its error panel (bottom right) is the colour map's black, the HR
        # panel (top left) shows the bright phantom at the centre.
        perfect = imread(plot_slices(hr, {"perfect": hr}, f"{folder}/perfect.png"))
        height, width = perfect.shape[:2]
        self.assertLess(float(perfect[3 * height // 4, 3 * width // 4, :3].max()), 0.05)
        self.assertGreater(float(perfect[height // 4, width // 4, :3].min()), 0.5)
        with self.assertRaises(KeyError):
            plot_slices(hr, predictions, f"{folder}/bad.png", methods=["bicubic"])


class ReportTest(TestCase):
    def test_the_model_beside_the_interpolations_per_noise_level_averaged_over_volumes(self):
        import json
        import pathlib

        import nibabel as nib

        from domains.mri.disgan.discriminator import build_discriminator
        from domains.mri.disgan.model import DISGAN

        folder = pathlib.Path(self.get_temp_dir())
        paths = []
        for index, shape in enumerate(((32, 28, 30), (28, 32, 26))):
            paths.append(folder / f"v{index}.nii.gz")
            nib.save(nib.Nifti1Image(phantom(shape), np.eye(4)), str(paths[-1]))
        inputs = keras.Input((None, None, None, 1))
        nearest = keras.Model(inputs, keras.layers.UpSampling3D(2)(inputs))
        tiles = {"tile_size": 8, "overlap": 2}
        data = [(str(paths[0]), (slice(None), slice(None), slice(10, 20))), (str(paths[1]), None)]
        result = report(nearest, data, folder / "report", "nearest", noise_levels=(0.0, 0.05), tile_options=tiles)
        keys = ["psnr_noise0", "ssim_noise0", "nrmse_noise0", "psnr_noise0.05", "ssim_noise0.05", "nrmse_noise0.05"]
        self.assertEqual(sorted(result["metrics"]), sorted(keys))
        self.assertEqual(list(result["baselines"]), ["tricubic", "trilinear", "nearest"])
        for values in result["baselines"].values():
            self.assertEqual(sorted(values), sorted(keys))
        # The nearest-upsampling "model" is the nearest baseline.
        for key in keys:
            self.assertAllClose(result["metrics"][key], result["baselines"]["nearest"][key], atol=1e-3)
        # Each metric is the mean over the volumes of the per-volume tables.
        tables = result["details"]["tables"]
        self.assertEqual([(t["volume"], t["noise"]) for t in tables],
                         [(str(paths[0]), 0.0), (str(paths[0]), 0.05), (str(paths[1]), 0.0), (str(paths[1]), 0.05)])
        clean = [next(r for r in t["rows"] if r["method"] == "tricubic")["psnr"] for t in tables if t["noise"] == 0]
        self.assertAllClose(result["baselines"]["tricubic"]["psnr_noise0"], np.mean(clean), atol=1e-6)
        self.assertEqual(tables[0]["region"], "axial slices 10-19")
        self.assertEqual(tables[2]["region"], "whole volume")
        gain = result["details"]["psnr_gain_over_tricubic_db"]["noise0"]
        self.assertAllClose(gain, result["metrics"]["psnr_noise0"] - result["baselines"]["tricubic"]["psnr_noise0"])
        self.assertEqual([pathlib.Path(f).name for f in result["figures"]],
                         ["slices_0_noise0.png", "slices_0_noise0.05.png", "slices_1_noise0.png", "slices_1_noise0.05.png"])
        self.assertTrue(all(pathlib.Path(f).is_file() for f in result["figures"]))
        self.assertEqual(json.loads((folder / "report" / "report.json").read_text())["metrics"], result["metrics"])
        # Labelled volumes and more degradations get keys of their own.
        labelled = report(nearest, [(str(paths[1]), None, "other")], folder / "labelled", "nearest",
                          noise_levels=(0.0,), tile_options=tiles, degradations=("nearest", "kspace"))
        self.assertEqual(sorted(labelled["metrics"]), sorted(f"other_{m}_{d}noise0" for m in ("psnr", "ssim", "nrmse")
                                                            for d in ("", "kspace_")))
        self.assertEqual(sorted(labelled["details"]["psnr_gain_over_tricubic_db"]),
                         ["other_kspace_noise0", "other_noise0"])
        # A DISGAN is scored through its generator: the same numbers.
        gan = DISGAN(nearest, build_discriminator(filters=4, num_levels=2), feature_extractor=None)
        again = report(gan, data[:1], folder / "gan", "DISGAN", noise_levels=(0.0,), tile_options=tiles)
        self.assertAllClose(again["metrics"]["psnr_noise0"], tables[0]["rows"][-1]["psnr"], atol=1e-6)
        with self.assertRaisesRegex(ValueError, "at least one test volume"):
            report(nearest, [], folder / "none", "nothing")
