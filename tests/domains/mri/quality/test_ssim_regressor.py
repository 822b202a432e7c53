import csv
import gzip
import json
import re

import keras
import numpy as np
import pytest

from core import cli
from core.backbones import ResNetBackbone
from core.data import samples
from core.testing import TestCase
from domains.mri.quality.evaluation import paper_rows, ssim_report
from domains.mri.quality.model import PAPER, SSIMClasses, SSIMRegressor, ssim_bins, ssim_to_class

SIZE = 32


def _model(**kwargs):
    return SSIMRegressor(slice_size=SIZE, **kwargs)


class SSIMRegressorTest(TestCase):
    def test_resnet18_backbone_and_sigmoid_output(self):
        model = _model()
        self.assertEqual(model.backbone.depth, 18)
        blocks = [layer.name for layer in model.backbone.layers if "_block" in layer.name]
        self.assertEqual(blocks, [f"stage{s}_block{b}" for s in range(1, 5) for b in (1, 2)])
        self.assertEqual(model.input_shape, (None, SIZE, SIZE, 1))
        x = np.random.default_rng(0).uniform(0, 1, (3, SIZE, SIZE, 1)).astype("float32")
        ssim = model.predict_ssim(x)
        self.assertEqual(ssim.shape, (3,))
        np.testing.assert_allclose(ssim, 0.85, atol=1e-5)  # the head starts at SSIM 0.85

    def test_saving_round_trip(self):
        model = _model(ssim_range=(0.4, 1.0), contrast_augmentation=False)
        model.compile()
        model.optimizer.build(model.trainable_variables)  # as after training: the saved state is complete
        x = np.random.default_rng(1).uniform(0, 1, (2, SIZE, SIZE, 1)).astype("float32")
        head = model.get_layer("predictions")  # move the head off its constant initial value
        head.kernel.assign(np.random.default_rng(3).normal(0, 0.05, head.kernel.shape).astype("float32"))
        restored = self.run_model_saving_test(model, x, atol=1e-5)
        self.assertIsInstance(restored, SSIMRegressor)
        self.assertEqual(restored.slice_size, SIZE)
        self.assertEqual(restored.ssim_range, (0.4, 1.0))
        self.assertFalse(restored.contrast_augmentation)
        self.assertTrue(restored.compiled)

    def test_classification_head_saves_and_matches_bins(self):
        model = _model()
        classifier = model.classifier(5)
        x = np.random.default_rng(2).uniform(0, 1, (4, SIZE, SIZE, 1)).astype("float32")
        scores = classifier.predict(x, verbose=0)
        self.assertEqual(scores.shape, (4, 5))
        np.testing.assert_array_equal(np.argmax(scores, axis=1), model.classify(model.predict_ssim(x), 5))
        self.run_model_saving_test(classifier, x)
        layer = SSIMClasses(ssim_bins(3))
        out = layer(np.array([[0.1], [0.5], [0.7], [0.9], [1.0]], "float32")).numpy()
        np.testing.assert_array_equal(np.argmax(out, axis=1), [0, 0, 1, 2, 2])
        with self.assertRaisesRegex(ValueError, "edges must be"):
            SSIMClasses([0.5, 0.4, 1.0])

    def test_wrong_slices_raise_clear_errors(self):
        model = _model()
        for bad in (np.zeros((2, 64, 64, 1)), np.zeros((2, SIZE, SIZE, 3)), np.zeros((1, 2, SIZE, SIZE, 1)),
                    np.zeros(SIZE)):
            with self.assertRaisesRegex(ValueError, rf"expects 2-D single-channel slices of {SIZE} x {SIZE}.*"
                                                    rf"Received: shape=\({bad.shape[0]},"):
                model.predict_ssim(bad)
        with self.assertRaisesRegex(ValueError, "NaN"):
            model.predict_ssim(np.full((SIZE, SIZE), np.nan))
        self.assertEqual(model.check_slices(np.zeros((SIZE, SIZE))).shape, (1, SIZE, SIZE, 1))
        self.assertEqual(model.check_slices(np.zeros((5, SIZE, SIZE))).shape, (5, SIZE, SIZE, 1))
        with self.assertRaisesRegex(ValueError, "slice_size must be an integer >= 32"):
            SSIMRegressor(slice_size=16)
        with self.assertRaisesRegex(ValueError, r"input shape \(None, 32, 32, 1\)"):
            SSIMRegressor(ResNetBackbone(rank=2, depth=10, input_channels=3), slice_size=SIZE)


def test_bins_and_classes():
    np.testing.assert_allclose(ssim_bins(5), [0.5, 0.6, 0.7, 0.8, 0.9, 1.0])
    np.testing.assert_allclose(ssim_bins(10, (0.0, 1.0)), np.linspace(0, 1, 11))
    np.testing.assert_array_equal(ssim_to_class([0.2, 0.5, 0.66, 0.67, 0.99, 1.0, 1.2], 3), [0, 0, 0, 1, 2, 2, 2])
    with pytest.raises(ValueError, match="num_classes"):
        ssim_bins(1)
    with pytest.raises(ValueError, match="ssim_range"):
        ssim_bins(3, (0.9, 0.8))


def test_ssim_report():
    y = np.linspace(0.5, 1.0, 50)
    perfect = ssim_report(y, y, (0.5, 1.0))
    assert perfect["residual_mean"] == 0 and perfect["residual_std"] == 0
    assert perfect["accuracy_3"] == perfect["accuracy_5"] == perfect["accuracy_10"] == 1.0
    constant = ssim_report(y, np.full_like(y, y.mean()), (0.5, 1.0))
    assert constant["residual_std"] == pytest.approx(perfect["label_std"]) == pytest.approx(np.std(y))
    shifted = ssim_report(y, y - 0.01, (0.5, 1.0))
    assert shifted["residual_mean"] == pytest.approx(-0.01) and shifted["residual_std"] == pytest.approx(0, abs=1e-12)
    assert shifted["accuracy_10"] < shifted["accuracy_5"] < 1.0
    assert np.sum(shifted["confusion_10"]) == 50 and shifted["edges_3"] == [0.5, 0.6667, 0.8333, 1.0]
    rows = paper_rows({"ours": shifted})
    assert rows[-1]["residual mean"] == "-0.0009" and rows[-1]["acc 10 cls"] == "89.0 %"
    assert PAPER["accuracy_3"] == 0.97


@pytest.fixture
def saved_model(tmp_path):
    path = tmp_path / "untrained.keras"
    _model().save(path)
    return path


def test_cli_predict_writes_per_slice_ssim(saved_model, tmp_path, phantom_folder):
    import domains.mri.quality  # noqa: F401  (registers the task)

    anatomical = samples.fetch("mri.anatomical", verbose=False)
    out = tmp_path / "out"
    assert cli.main(["predict", "mri.ssim_regression", "--model", str(saved_model), "--output", str(out),
                     str(anatomical), str(phantom_folder)]) == 0
    with open(out / "predictions.csv") as handle:
        rows = list(csv.DictReader(handle))
    files = {row["file"] for row in rows}
    assert str(anatomical) in files and len(files) == 3
    assert all(0.0 < float(row["predicted_ssim"]) < 1.0 for row in rows)
    assert {row["class_10"] for row in rows} <= {str(k) for k in range(10)}
    assert json.loads((out / "predict_results.json").read_text())["slices"] == len(rows)


def test_cli_predict_names_a_bad_file(saved_model, tmp_path, capsys):
    import domains.mri.quality  # noqa: F401

    four_d = samples.fetch("mri.example4d", verbose=False)
    assert cli.main(["predict", "mri.ssim_regression", "--model", str(saved_model), "--output", str(tmp_path),
                  str(samples.fetch("mri.anatomical", verbose=False)), str(four_d)]) == 1
    assert re.search(r"example4d.nii.gz: expected a 3-D volume", capsys.readouterr().err)
    assert not (tmp_path / "predictions.csv").exists()  # every volume is checked before writing
    corrupt = tmp_path / "scan.nii.gz"
    corrupt.write_bytes(gzip.compress(b"garbage" * 100))
    assert cli.main(["predict", "mri.ssim_regression", "--model", str(saved_model), "--output", str(tmp_path),
                  str(corrupt)]) == 1
    assert re.search(r"scan.nii.gz: not a readable NIfTI file", capsys.readouterr().err)
    assert cli.main(["predict", "mri.ssim_regression", "--model", str(saved_model), "--output", str(tmp_path),
                  str(tmp_path / "missing.nii")]) == 1
    assert re.search(r"missing.nii: no such NIfTI file", capsys.readouterr().err)
    text = tmp_path / "notes.txt"
    text.write_text("x")
    assert cli.main(["predict", "mri.ssim_regression", "--model", str(saved_model), "--output", str(tmp_path),
                  str(text)]) == 1
    assert re.search(r"notes.txt: expected a NIfTI volume", capsys.readouterr().err)


def test_evaluate_refuses_other_models(tmp_path, capsys):
    import domains.mri.quality  # noqa: F401

    other = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    other.save(tmp_path / "other.keras")
    assert cli.main(["evaluate", "mri.ssim_regression", "--model", str(tmp_path / "other.keras"),
                  "--output", str(tmp_path)]) == 1
    assert re.search(r"other.keras: expected a saved SSIMRegressor", capsys.readouterr().err)


@pytest.mark.large
def test_cli_train_ablation_and_evaluate(tmp_path, phantom_folder):
    import domains.mri.quality  # noqa: F401

    out = tmp_path / "run"
    options = ["--option", f"slice_size={SIZE}", "--option", "steps_per_epoch=2", "--option", "test_draws=2",
               "--option", "val_draws=1", "--option", "axis=0,2", "--option", "width=8"]
    assert cli.main(["train", "mri.ssim_regression", "--data", str(phantom_folder), "--epochs", "1",
                     "--batch-size", "4", "--output", str(out), "--verbose", "0", "--option", "ablation=true",
                     "--option", "curve_every=1", "--option", "remap_probability=0.5", *options]) == 0
    for folder in ("with_contrast_aug", "without_contrast_aug"):
        for name in ("best.keras", "final.keras", "log.csv", "scatter.png", "confusion_matrix_10.png",
                     "test_report.json", "learning_curve.png"):
            assert (out / folder / name).exists(), (folder, name)
    curve = json.loads((out / "with_contrast_aug" / "learning_curve.json").read_text())["points"]
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
                "contrast_changed_accuracy_10", "remapped_residual_std", "residual_std, axis axial"):
        assert key in results
    report = json.loads((tmp_path / "eval" / "test_report.json").read_text())
    assert report["model"]["contrast_augmentation"] is True and report["test"]["n"] == results["n_test"]


def test_volume_sweep_trains_on_1_to_all_volumes_and_scores_one_test_set(tmp_path, phantom_folder, monkeypatch):
    from core.registry import RunConfig
    from domains.mri.quality.evaluation import group_reports
    from domains.mri.quality.task import SSIMRegressionTask, _data

    task, trained = SSIMRegressionTask(), []

    def train_one(config, data, output_dir, contrast_augmentation):  # the training is tested by the ablation test
        trained.append((sorted(set(data.train.sources)), len(data.test_set), data.config["train_volumes"]))
        predicted = data.test_set.y + 0.01 * len(trained)
        groups = group_reports(data, data.test_set, predicted, (0.5, 1.0))
        scores = ssim_report(data.test_set.y, predicted, (0.5, 1.0))
        output_dir.mkdir(parents=True)
        (output_dir / "test_report.json").write_text(json.dumps(
            {"test": scores, "test_remap": scores, "test_groups": groups, "data": data.config}))
        return {"report_json": str(output_dir / "test_report.json")}

    monkeypatch.setattr(task, "_train_one", train_one)
    config = RunConfig(output_dir=tmp_path, data=str(phantom_folder), options=task.resolve_options(
        {"volume_sweep": True, "slice_size": SIZE, "val_draws": 1, "test_draws": 1}))
    results = task.train(config)
    sources = _data(config, SIZE).sources
    assert trained == [(sources[:1], trained[0][1], 1), (sources, trained[0][1], 2)]  # same test set
    sweep = json.loads((tmp_path / "volume_sweep.json").read_text())
    assert sweep["volumes"] == ["a.nii.gz", "b.nii"] and (tmp_path / "volume_sweep.png").exists()
    assert [row["residual mean"] for row in results["table"][:2]] == ["+0.0100", "+0.0200"]
    for clash in ({"ablation": True}, {"train_volumes": 1}):
        with pytest.raises(ValueError, match="cannot be combined"):
            task.train(RunConfig(output_dir=tmp_path, data=str(phantom_folder),
                                 options=task.resolve_options({"volume_sweep": True, **clash})))


@pytest.mark.large
def test_demo_runs_on_the_real_samples(tmp_path):
    from core.registry import RunConfig
    from domains.mri.quality.task import SSIMRegressionTask

    task = SSIMRegressionTask()
    row = task.demo(RunConfig(output_dir=tmp_path, epochs=1, verbose=0, options=task.resolve_options()))
    assert re.fullmatch(r"preset ssim_mni_small: residual σ 0\.\d{3}, 3-class accuracy [\d.]+% on \d+ held-out "
                        r"corrupted slices", row["result"])
    assert row["baseline"].startswith("constant mean SSIM: residual σ ")
    preset = json.loads((tmp_path / "preset" / "test_report.json").read_text())
    assert preset["model"]["slice_size"] == 128 and (tmp_path / "train" / "best.keras").exists()


def test_training_augmentation_without_remapping_is_the_presets_stream():
    # ssim_mni_small and the README's axial rows were trained on contrast_augment(images, seed):
    # without remapping the augmentation must draw exactly that, or their commands stop repeating.
    from domains.mri.quality.model import contrast_augment
    from domains.mri.quality.training import training_augmentation

    images = np.random.default_rng(0).random((2, 16, 16, 1)).astype("float32")
    seed = np.array([3, 4], "int64")
    np.testing.assert_array_equal(training_augmentation(True, 0.0)(images, seed), contrast_augment(images, seed))
    remapped = training_augmentation(True, 1.0)(images, seed)
    assert not np.allclose(remapped, contrast_augment(images, seed))
    assert training_augmentation(False, 0.0) is None
