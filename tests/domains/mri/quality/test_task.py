"""domains.mri.quality.task: `mri.ssim_regression` through the CLI (predict, evaluate, train) and its demo."""

import csv
import gzip
import json
import pathlib
import re

import keras
import nibabel as nib
import numpy as np
import pytest

from core import cli
from core.data import samples
from core.registry import RunConfig
from core.testing import TestCase
from domains.mri.quality.evaluation import group_reports, ssim_report
from domains.mri.quality.model import SSIMRegressor
from domains.mri.quality.task import SSIMRegressionTask, _data

SIZE = 32


class SSIMRegressionTaskTest(TestCase):
    @pytest.fixture(autouse=True)
    def _fixtures(self, phantom_folder, capsys, monkeypatch):
        self.phantom_folder, self.capsys, self.monkeypatch = phantom_folder, capsys, monkeypatch
        self.tmp = pathlib.Path(self.get_temp_dir())

    def _saved_model(self):
        path = self.tmp / "untrained.keras"
        SSIMRegressor(slice_size=SIZE).save(path)
        return path

    def test_the_task_declares_itself(self):
        self.assertIs(SSIMRegressionTask.model_class, SSIMRegressor)
        self.assertEqual((SSIMRegressionTask.epochs, SSIMRegressionTask.batch_size), (20, 16))
        self.assertEqual(SSIMRegressionTask.inputs, ("data", "model", "preset"))
        assert "preset" not in {option.name for option in SSIMRegressionTask.options}

    def test_cli_predict_writes_per_slice_ssim(self):
        anatomical = samples.fetch("mri.anatomical", verbose=False)
        out = self.tmp / "out"
        assert cli.main(["predict", "mri.ssim_regression", "--model", str(self._saved_model()), "--output", str(out),
                         str(anatomical), str(self.phantom_folder)]) == 0
        with open(out / "predictions.csv") as handle:
            rows = list(csv.DictReader(handle))
        files = {row["file"] for row in rows}
        assert str(anatomical) in files and len(files) == 3
        assert all(0.0 < float(row["predicted_ssim"]) < 1.0 for row in rows)
        assert {row["class_10"] for row in rows} <= {str(k) for k in range(10)}
        self.assertEqual(json.loads((out / "predict_results.json").read_text())["slices"], len(rows))

    def test_cli_predict_names_a_bad_file(self):
        saved_model, tmp_path = self._saved_model(), self.tmp
        four_d = tmp_path / "four_d.nii.gz"  # a 4-D image (an EPI time series)
        nib.save(nib.Nifti1Image(np.zeros((8, 6, 4, 2), "int16"), np.eye(4)), str(four_d))
        assert cli.main(["predict", "mri.ssim_regression", "--model", str(saved_model), "--output", str(tmp_path),
                         str(samples.fetch("mri.anatomical", verbose=False)), str(four_d)]) == 1
        assert re.search(r"four_d.nii.gz: expected a 3-D volume", self.capsys.readouterr().err)
        assert not (tmp_path / "predictions.csv").exists()  # every volume is checked before writing
        corrupt = tmp_path / "scan.nii.gz"
        corrupt.write_bytes(gzip.compress(b"garbage" * 100))
        assert cli.main(["predict", "mri.ssim_regression", "--model", str(saved_model), "--output", str(tmp_path),
                         str(corrupt)]) == 1
        assert re.search(r"scan.nii.gz: not a readable NIfTI file", self.capsys.readouterr().err)
        assert cli.main(["predict", "mri.ssim_regression", "--model", str(saved_model), "--output", str(tmp_path),
                         str(tmp_path / "missing.nii")]) == 1
        assert re.search(r"missing.nii: no such NIfTI file", self.capsys.readouterr().err)
        text = tmp_path / "notes.txt"
        text.write_text("x")
        assert cli.main(["predict", "mri.ssim_regression", "--model", str(saved_model), "--output", str(tmp_path),
                         str(text)]) == 1
        assert re.search(r"notes.txt: expected a NIfTI volume", self.capsys.readouterr().err)

    def test_cli_predict_refuses_a_volume_too_small_for_the_slices_before_writing(self):
        tiny = self.tmp / "tiny.nii.gz"
        nib.save(nib.Nifti1Image(np.arange(27, dtype="float32").reshape(3, 3, 3), np.eye(4)), str(tiny))
        out = self.tmp / "out"
        assert cli.main(["predict", "mri.ssim_regression", "--model", str(self._saved_model()), "--output", str(out),
                         str(self.phantom_folder / "a.nii.gz"), str(tiny)]) == 1
        self.assertIn(f"{tiny}: volume too small for {SIZE}-pixel slices: its axial slices are 3×3 voxels; each side "
                      f"must be at least {SIZE // 8} voxels", self.capsys.readouterr().err)
        assert not (out / "predictions.csv").exists()  # the good volume before it is not written either

    def test_severity_max_out_of_its_range_is_refused_before_any_data_is_read(self):
        task = SSIMRegressionTask()
        for value in ("2", "0"):
            assert cli.main(["train", "mri.ssim_regression", "--data", str(self.phantom_folder), "--output",
                             str(self.tmp / "out"), "--epochs", "1", "--option", f"severity_max={value}"]) == 1
            assert re.search(r"severity_max must be a number in \(0, 1\] \(1: TorchIO's motion ranges, 10 degrees and 10 "
                             rf"pixels\)\. Received: severity_max={float(value)}", self.capsys.readouterr().err)
        assert not (self.tmp / "out" / "best.keras").exists()
        config = RunConfig(output_dir=self.tmp, data=str(self.phantom_folder), options=task.resolve_options(
            {"slice_size": SIZE, "severity_max": 1.0, "val_draws": 1, "test_draws": 1}))
        self.assertEqual(_data(config, SIZE).config["severity_range"], [0.0, 1.0])  # the edge of the range passes

    def test_evaluate_refuses_other_models(self):
        other = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
        other.save(self.tmp / "other.keras")
        assert cli.main(["evaluate", "mri.ssim_regression", "--model", str(self.tmp / "other.keras"),
                         "--output", str(self.tmp)]) == 1
        assert re.search(r"other.keras: expected a saved SSIMRegressor", self.capsys.readouterr().err)

    def test_cli_evaluate_heldout_scores_whole_volumes_beside_the_sample_training_mean(self):
        from domains.mri.quality.data.heldout import SYNTHETIC_SKULL, sample_training_mean

        stripped = self.phantom_folder / "a.nii.gz"
        # The constant's training volumes: a phantom here (the sample volumes at run time), for speed.
        training = [str(self.phantom_folder / "sub" / "b.nii")]
        self.monkeypatch.setattr("domains.mri.quality.data.heldout.sample_volume_paths", lambda: training)
        out = self.tmp / "heldout"
        options = ["--option", "heldout=true", "--option", "val_draws=1", "--option", "test_draws=1",
                   "--option", "slice_step=2", "--option", "skull=true", "--option", 'skull_stripped=["a.nii.gz"]']
        assert cli.main(["evaluate", "mri.ssim_regression", "--model", str(self._saved_model()), "--data", str(stripped),
                         "--output", str(out), *options]) == 0
        results = json.loads((out / "evaluate_results.json").read_text())
        self.assertEqual([(row["volume"], row["skull"], row["trained on"]) for row in results["table"]],
                         [("a.nii.gz", "skull-stripped", "unknown"), ("a.nii.gz" + SYNTHETIC_SKULL, "SYNTHETIC", "unknown")])
        # The constant is the sample volumes' training mean along the same axis, never a held-out label.
        constant = results["details"]["baseline"]["constant_train_mean"]
        self.assertAlmostEqual(constant, sample_training_mean(SIZE, 2, draws=1, seed=0, paths=training,
                                                              motion_kwargs={"num_transforms": 4}), places=6)
        key = "a.nii.gz.axial.residual_std"
        assert key in results["metrics"] and key in results["baselines"]["constant_train_mean"]
        # The untrained head answers 0.85 for every slice: its residual σ is the labels' σ, as the constant's.
        self.assertAlmostEqual(results["metrics"][key], results["baselines"]["constant_train_mean"][key], places=4)
        assert cli.main(["evaluate", "mri.ssim_regression", "--model", str(self._saved_model()), "--data", str(stripped),
                         "--output", str(self.tmp / "refused"), "--option", "heldout=true", "--option", "skull=true"]) == 1
        assert re.search(r"name them with skull_stripped=\[file names\].*Received: skull_stripped=\[\]",
                         self.capsys.readouterr().err)

    @pytest.mark.large
    def test_cli_train_ablation_and_evaluate(self):
        tmp_path, phantom_folder = self.tmp, self.phantom_folder
        out = tmp_path / "run"
        options = ["--option", f"slice_size={SIZE}", "--option", "steps_per_epoch=2", "--option", "test_draws=2",
                   "--option", "val_draws=1", "--option", "axis=0,2", "--option", "width=8"]
        # a time budget of 6 ms stops each of the two runs after its first batch, in the first of its 2 epochs
        assert cli.main(["train", "mri.ssim_regression", "--data", str(phantom_folder), "--epochs", "2",
                         "--batch-size", "4", "--output", str(out), "--verbose", "0", "--option", "ablation=true",
                         "--option", "curve_every=1", "--option", "remap_probability=0.5",
                         "--option", "time_minutes=0.0001", *options]) == 0
        for folder in ("with_contrast_aug", "without_contrast_aug"):
            for name in ("best.keras", "final.keras", "log.csv", "scatter.png", "confusion_matrix_10.png",
                         "report.json", "learning_curve.png"):
                assert (out / folder / name).exists(), (folder, name)
            assert len((out / folder / "log.csv").read_text().splitlines()) == 2, folder  # header + epoch 0
        curve = json.loads((out / "with_contrast_aug" / "learning_curve.json").read_text())
        assert [p["step"] for p in curve] == [2] and set(curve[0]["groups"]) == {
            "volume a.nii.gz", "volume b.nii", "axis sagittal", "axis axial"}
        ablation = json.loads((out / "ablation.json").read_text())
        assert [r["configuration"] for r in ablation["rows"]][::2][:2] == ["with_contrast_aug", "without_contrast_aug"]
        assert ablation["rows"][-1]["configuration"].startswith("paper")
        model = keras.saving.load_model(out / "without_contrast_aug" / "best.keras")
        assert not model.contrast_augmentation
        assert cli.main(["evaluate", "mri.ssim_regression", "--data", str(phantom_folder), "--model",
                         str(out / "with_contrast_aug" / "best.keras"), "--output", str(tmp_path / "eval"),
                         *options]) == 0
        results = json.loads((tmp_path / "eval" / "evaluate_results.json").read_text())
        for key in ("residual_mean", "residual_std", "accuracy_3", "accuracy_5", "accuracy_10",
                    "contrast_changed_accuracy_10", "remapped_residual_std"):
            assert key in results["metrics"] and key in results["baselines"]["constant_train_mean"]
        assert "residual_std" in results["details"]["test_groups"]["axis axial"]
        report = json.loads((tmp_path / "eval" / "report.json").read_text())
        assert report["details"]["model"]["contrast_augmentation"] is True
        self.assertEqual(report["details"]["test"]["n"], results["details"]["n_test"])

    def test_the_preset_of_a_run_records_its_data_time_and_learning_curve(self):
        # What `make_presets.py NAME --from-run FOLDER` ships from a finished background run.
        points = [{"step": 500, "test": {"residual_std": 0.05}}]
        (self.tmp / "learning_curve.json").write_text(json.dumps(points))
        results = {"best_model": str(self._saved_model()), "train_seconds": 12.5,
                   "details": {"data": {"sources": ["a.nii.gz"]}}}
        model, metadata = SSIMRegressionTask().preset_from_results(RunConfig(output_dir=self.tmp), results)
        self.assertIsInstance(model, SSIMRegressor)
        self.assertEqual(metadata, {"data": {"sources": ["a.nii.gz"]}, "train_seconds": 12.5, "learning_curve": points})

    def test_volume_sweep_trains_on_1_to_all_volumes_and_scores_one_test_set(self):
        tmp_path, phantom_folder = self.tmp, self.phantom_folder
        task, trained = SSIMRegressionTask(), []

        def train_one(config, data, output_dir, contrast_augmentation):  # the training is tested by the ablation test
            trained.append((sorted(set(data.train.sources)), len(data.test_set), data.config["train_volumes"]))
            predicted = data.test_set.y + 0.01 * len(trained)
            groups = group_reports(data, data.test_set, predicted, (0.5, 1.0))
            scores = ssim_report(data.test_set.y, predicted, (0.5, 1.0))
            return {"details": {"test": scores, "test_remap": scores, "test_groups": groups, "data": data.config}}

        self.monkeypatch.setattr(task, "_train_one", train_one)
        config = RunConfig(output_dir=tmp_path, data=str(phantom_folder), options=task.resolve_options(
            {"volume_sweep": True, "slice_size": SIZE, "val_draws": 1, "test_draws": 1}))
        results = task.train(config)
        sources = _data(config, SIZE).sources
        self.assertEqual(trained, [(sources[:1], trained[0][1], 1), (sources, trained[0][1], 2)])  # same test set
        sweep = json.loads((tmp_path / "volume_sweep.json").read_text())
        assert sweep["volumes"] == ["a.nii.gz", "b.nii"] and (tmp_path / "volume_sweep.png").exists()
        self.assertEqual([row["residual mean"] for row in results["table"][:2]], ["+0.0100", "+0.0200"])
        for clash in ({"ablation": True}, {"train_volumes": 1}):
            with self.assertRaisesRegex(ValueError, "cannot be combined"):
                task.train(RunConfig(output_dir=tmp_path, data=str(phantom_folder),
                                     options=task.resolve_options({"volume_sweep": True, **clash})))

    @pytest.mark.large
    def test_demo_shows_the_preset_beside_the_constant_then_trains(self):
        # The template test runs every demo in smoke mode; this checks what this demo's row says.
        task = SSIMRegressionTask()
        row = task.demo(RunConfig(output_dir=self.tmp, epochs=1, verbose=0, options=task.resolve_options()))
        assert re.fullmatch(r"preset ssim_mni_long \(the best shipped\): residual σ 0\.\d{3}, 3-class accuracy [\d.]+% on \d+ held-out "
                            r"corrupted slices", row["result"])
        assert row["baseline"].startswith("constant mean training SSIM: residual σ ")
        preset = json.loads((self.tmp / "preset" / "report.json").read_text())
        assert preset["details"]["model"]["slice_size"] == 128 and (self.tmp / "train" / "best.keras").exists()
