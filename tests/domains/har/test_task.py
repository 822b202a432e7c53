"""The `har.*` CLI tasks: input errors, options, train/evaluate/predict on BasicMotions and on UEA fixtures."""

import contextlib
import io
import json
import pathlib
from unittest import mock

import keras
import numpy as np

from core import cli
from core.data import samples
from core.registry import RunConfig
from core.testing import TestCase
from domains.har.data import load_uea_ts
from domains.har.task import FusionActNetTask, _load, _read_windows
from tests.domains.har.data.fixtures.make_fixtures import write_watch

UEA = pathlib.Path(__file__).resolve().parent / "data" / "fixtures" / "uea"
# A small FusionActNet, fused stage only (the two-stage recipe is tested in test_training.py).
TINY = ["--option", "width=0.0625", "--option", "expert_epochs=[0,0]", "--epochs", "1", "--verbose", "0"]


def _cli(args):
    """(exit code, stderr) of `resuite ARGS`."""
    error = io.StringIO()
    with contextlib.redirect_stderr(error):
        code = cli.main(args)
    return code, error.getvalue()


class ReadWindowsTest(TestCase):
    def test_predict_input_errors_name_the_file(self):
        folder = pathlib.Path(self.get_temp_dir())
        wrong = folder / "wrong_channels.npy"
        np.save(wrong, np.zeros((2, 100, 9), "float32"))
        with self.assertRaisesRegex(ValueError, r"wrong_channels.npy.*6"):
            _read_windows(wrong, 6)
        nan = folder / "nan.npy"
        bad = np.zeros((2, 100, 6), "float32")
        bad[1, 5, 2] = np.nan
        np.save(nan, bad)
        with self.assertRaisesRegex(ValueError, r"nan.npy.*NaN"):
            _read_windows(nan, 6)
        with self.assertRaisesRegex(ValueError, r"signals.csv: expected a UEA .ts file or a .npy"):
            _read_windows(folder / "signals.csv", 6)


class BasicMotionsTest(TestCase):
    def test_cli_train_evaluate_predict_on_basicmotions(self):
        tmp_path = pathlib.Path(self.get_temp_dir())
        out = tmp_path / "run"
        self.assertEqual(cli.main(["train", "har.resnet1d", "--epochs", "2", "--output", str(out), "--verbose", "0",
                                   "--option", "depth=10"]), 0)
        results = json.loads((out / "train_results.json").read_text())
        confusion = np.array(results["details"]["confusion_matrix"])
        self.assertEqual(results["details"]["n_test"], 40)
        self.assertEqual(confusion.sum(), 40)
        self.assertEqual(confusion.sum(axis=1).tolist(), [10, 10, 10, 10])
        self.assertEqual(results["metrics"]["accuracy"], np.trace(confusion) / 40)
        # The baselines beside the model: a random forest on channel summaries (fixed seed) and chance.
        self.assertEqual(set(results["baselines"]), {"random_forest", "chance"})
        self.assertEqual(results["baselines"]["chance"], {"accuracy": 0.25, "macro_f1": 0.25})
        self.assertGreater(results["baselines"]["random_forest"]["accuracy"], 0.5)
        self.assertGreaterEqual(results["best_epoch"], 1)
        self.assertGreater((out / "confusion_matrix.png").stat().st_size, 1000)
        self.assertEqual(results["figures"], [str(out / "confusion_matrix.png")])
        self.assertTrue((out / "best.keras").exists() and (out / "log.csv").exists())

        self.assertEqual(cli.main(["evaluate", "har.resnet1d", "--model", str(out / "best.keras"), "--output",
                                   str(tmp_path / "ev"), "--verbose", "0"]), 0)
        evaluated = json.loads((tmp_path / "ev" / "evaluate_results.json").read_text())
        self.assertEqual(evaluated["metrics"], results["metrics"])
        self.assertEqual(evaluated["baselines"], results["baselines"])

        test_file = samples.fetch("har.basicmotions_test", verbose=False)
        self.assertEqual(cli.main(["predict", "har.resnet1d", "--model", str(out / "best.keras"), "--output",
                                   str(tmp_path / "pr"), str(test_file)]), 0)
        lines = (tmp_path / "pr" / "predictions.csv").read_text().splitlines()
        self.assertEqual(len(lines), 41)
        # The predictions of `predict` are those `evaluate` scored: the same accuracy on the test file's labels.
        _, labels, class_names = load_uea_ts(test_file)
        predicted = [line.split(",")[2] for line in lines[1:]]
        self.assertEqual(np.mean([p == class_names[y] for p, y in zip(predicted, labels)]),
                         results["metrics"]["accuracy"])

    def test_the_preset_is_evaluated_and_predicts_without_a_model_file(self):
        tmp_path = pathlib.Path(self.get_temp_dir())
        self.assertEqual(cli.main(["evaluate", "har.fusionactnet", "--preset", "fusionactnet_basicmotions",
                                   "--output", str(tmp_path / "ev"), "--verbose", "0"]), 0)
        evaluated = json.loads((tmp_path / "ev" / "evaluate_results.json").read_text())
        self.assertEqual(evaluated["details"]["n_test"], 40)
        self.assertEqual(evaluated["dataset"], "BasicMotions")
        test_file = samples.fetch("har.basicmotions_test", verbose=False)
        self.assertEqual(cli.main(["predict", "har.fusionactnet", "--preset", "fusionactnet_basicmotions",
                                   "--output", str(tmp_path / "pr"), str(test_file)]), 0)
        self.assertEqual(len((tmp_path / "pr" / "predictions.csv").read_text().splitlines()), 41)
        # One good file and one bad: every file is read before any is predicted; nothing is written.
        wrong = tmp_path / "wrong_channels.npy"
        np.save(wrong, np.zeros((2, 100, 9), "float32"))
        calls = []
        with mock.patch.object(keras.Model, "predict", side_effect=lambda *a, **k: calls.append("predict")):
            code, error = _cli(["predict", "har.fusionactnet", "--preset", "fusionactnet_basicmotions",
                                "--output", str(tmp_path / "pr2"), str(test_file), str(wrong)])
        self.assertEqual((code, calls), (1, []))
        self.assertRegex(error, r"wrong_channels\.npy")
        self.assertFalse((tmp_path / "pr2" / "predictions.csv").exists())
        # har.resnet1d ships no preset: --preset is refused by name, before any work.
        code, error = _cli(["evaluate", "har.resnet1d", "--preset", "fusionactnet_basicmotions",
                            "--output", str(tmp_path / "no")])
        self.assertEqual(code, 1)
        self.assertIn("Task har.resnet1d does not use --preset", error)


class UEASetsTest(TestCase):
    def test_cli_trains_fusionactnet_on_a_variable_length_set_and_chooses_its_static_classes(self):
        # 2 channels, 18-30 steps per case, 5 classes: shorter than FusionActNet's 32-step minimum.
        tmp_path = pathlib.Path(self.get_temp_dir())
        out = tmp_path / "fa"
        self.assertEqual(cli.main(["train", "har.fusionactnet", "--data", str(UEA / "GaitVariable"), "--output",
                                   str(out), *TINY]), 0)
        results = json.loads((out / "train_results.json").read_text())
        self.assertEqual((results["dataset"], results["channels"], results["window_length"]), ("GaitVariable", 2, 32))
        self.assertEqual(results["classes"], "lie, sit, walk, jog, jump")
        self.assertEqual(results["details"]["n_test"], 10)
        self.assertTrue(results["length_handling"].startswith("series of 19-30 (train) and 18-30 (test) steps resampled"))
        self.assertEqual(results["static_classes"], "lie, sit")
        self.assertTrue(results["grouping"].startswith("chosen on the training split (domains.har.grouping): activity: "
                                                       "the best separated grouping"))
        model = keras.saving.load_model(out / "best.keras")
        self.assertEqual(model.input_shape, (None, 32, 2))
        self.assertEqual(model.static_classes, ["lie", "sit"])
        self.assertEqual(np.array(results["details"]["confusion_matrix"]).sum(axis=1).tolist(), [2, 2, 2, 2, 2])

        # predict refuses the variable-length test file unless told how to fit it to the model's length.
        test_file = UEA / "GaitVariable" / "GaitVariable_TEST.ts"
        with self.assertRaisesRegex(ValueError, r"GaitVariable_TEST.ts: the model takes windows of 32 time steps. "
                                                r"Received: windows of 18-30 time steps"):
            _read_windows(test_file, 2, 32)
        self.assertEqual(cli.main(["predict", "har.fusionactnet", "--model", str(out / "best.keras"), "--output",
                                   str(tmp_path / "pr"), "--option", "resize=resample", str(test_file)]), 0)
        rows = [line.split(",") for line in (tmp_path / "pr" / "predictions.csv").read_text().splitlines()[1:]]
        self.assertEqual(len(rows), 10)
        self.assertLessEqual({row[2] for row in rows}, {"lie", "sit", "walk", "jog", "jump"})

    def test_static_classes_from_the_option_or_known_per_set(self):
        task = FusionActNetTask()
        for root, options, static, grouping in (
            (UEA / "GaitVariable" / "GaitVariable_TRAIN.ts", {"static_classes": '["lie"]'}, ["lie"],
             "--option static_classes"),
            (None, {}, ["Standing"], "the known postures of BasicMotions"),
        ):
            config = RunConfig(output_dir=pathlib.Path("unused"), data=root,
                               options=task.resolve_options({"width": "0.0625", **options}))
            model, configured = task.build_model(_load(config, min_length=task.min_length), config)
            self.assertEqual((model.static_classes, configured["grouping"]), (static, grouping))
            self.assertEqual(configured["parameters"], model.count_params())
            self.assertLess(configured["parameters"], 40_000)
        with self.assertRaisesRegex(ValueError, r"width must be positive. Received: width=0.0"):
            task.build_model(_load(config), RunConfig(output_dir=pathlib.Path("unused"),
                                                      options=task.resolve_options({"width": "0"})))

    def test_cli_trains_resnet1d_on_a_univariate_set_and_predict_names_a_wrong_length(self):
        # 1 channel, 40 steps, 3 classes: the names come from the file's @classLabel line.
        tmp_path = pathlib.Path(self.get_temp_dir())
        out = tmp_path / "rn"
        folder = UEA / "GaitUnivariate"
        self.assertEqual(cli.main(["train", "har.resnet1d", "--data", str(folder), "--output", str(out), "--epochs",
                                   "1", "--verbose", "0", "--option", "depth=10"]), 0)
        results = json.loads((out / "train_results.json").read_text())
        self.assertEqual((results["channels"], results["window_length"], results["classes"]), (1, 40, "still, walk, run"))
        self.assertNotIn("length_handling", results)
        self.assertEqual(results["details"]["n_test"], 6)

        short = tmp_path / "short.npy"
        np.save(short, np.zeros((3, 25, 1), "float32"))
        code, error = _cli(["predict", "har.resnet1d", "--model", str(out / "best.keras"), "--output",
                            str(tmp_path / "p"), str(short)])
        self.assertEqual(code, 1)
        self.assertRegex(error, r"short.npy: the model takes windows of 40 time steps. Received: windows of 25 time steps")
        self.assertEqual(cli.main(["predict", "har.resnet1d", "--model", str(out / "best.keras"), "--output",
                                   str(tmp_path / "p"), "--option", "resize=pad", str(short),
                                   str(folder / "GaitUnivariate_TEST.ts")]), 0)
        predicted = [line.split(",")[2] for line in (tmp_path / "p" / "predictions.csv").read_text().splitlines()[1:]]
        self.assertEqual(len(predicted), 9)
        self.assertLessEqual(set(predicted), {"still", "walk", "run"})

        # A model file of another task is refused by name, before TensorFlow sees it.
        code, error = _cli(["predict", "mri.disgan", "--model", str(out / "best.keras"), "--output",
                            str(tmp_path / "m"), "head.nii.gz"])
        self.assertEqual(code, 1)
        self.assertRegex(error, r"best.keras holds a Classifier, a model of har.resnet1d; mri.disgan loads a DISGAN or a "
                                r"disgan_generator")
        code, error = _cli(["evaluate", "har.fusionactnet", "--model", str(out / "best.keras"), "--data", str(folder),
                            "--output", str(tmp_path / "e")])
        self.assertEqual(code, 1)
        self.assertIn("a model of har.resnet1d; har.fusionactnet loads a FusionActNet", error)
        # evaluate on the same set with the right task scores what train scored.
        self.assertEqual(cli.main(["evaluate", "har.resnet1d", "--model", str(out / "best.keras"), "--data",
                                   str(folder), "--output", str(tmp_path / "e2"), "--verbose", "0"]), 0)
        self.assertEqual(json.loads((tmp_path / "e2" / "evaluate_results.json").read_text())["metrics"]["accuracy"],
                         results["metrics"]["accuracy"])
        code, error = _cli(["evaluate", "har.resnet1d", "--model", str(out / "best.keras"), "--data",
                            str(UEA / "GaitVariable"), "--output", str(tmp_path / "e3")])
        self.assertEqual(code, 1)
        self.assertIn("was trained on 1 channels and classes ['still', 'walk', 'run']. Received: GaitVariable with "
                      "2 channels", error)


class WindowedTaskTest(TestCase):
    def test_cli_trains_on_windows_and_evaluate_and_predict_vote_per_recording(self):
        tmp_path = pathlib.Path(self.get_temp_dir())
        write_watch(tmp_path / "watch")
        out = tmp_path / "fa"
        # One run for the windows and the training options (augmentation, smoothing, schedule, vote).
        options = ["--option", "rotation_degrees=20", "--option", "scale=0.1", "--option", "jitter=0.05",
                   "--option", "time_warp=0.1", "--option", "label_smoothing=0.1", "--option", "schedule=cosine",
                   "--option", "vote_method=log"]
        self.assertEqual(cli.main(["train", "har.fusionactnet", "--dataset", "watch", "--data", str(tmp_path / "watch"),
                                   "--option", "window_seconds=1", "--output", str(out), *options, *TINY]), 0)
        results = json.loads((out / "train_results.json").read_text())
        self.assertEqual((results["window_length"], results["recordings"]), (50, {"train": 70, "val": 28, "test": 42}))
        self.assertEqual(results["augmentation"], "rotation ±20° of 2 3-axis sensors together, scale N(1, 0.1) per "
                                                  "channel, jitter 0.05 channel std, time warp ±0.1")
        self.assertEqual((results["label_smoothing"], results["schedule"], results["vote_method"]), (0.1, "cosine", "log"))
        self.assertIn("log-probability", results["details"]["voting"])
        self.assertTrue(results["length_handling"].startswith("recordings of 60-147 steps cut into windows of 50 steps "
                                                              "(1 s) every 25 steps (0.5 s) at 50 Hz"))
        self.assertEqual(set(results["metrics"]), {"accuracy", "macro_f1", "recording_accuracy", "recording_macro_f1"})
        self.assertEqual(set(results["baselines"]["random_forest"]), set(results["metrics"]))
        self.assertEqual(results["details"]["n_test_recordings"], 42)
        self.assertEqual(results["details"]["n_test"], results["windows"]["test"])
        self.assertTrue(results["grouping"].startswith("chosen on the training split (domains.har.grouping): "))

        # evaluate takes the model's windows (50 steps at the set's 50 Hz) and, voting the same way when asked,
        # scores what train scored.
        self.assertEqual(cli.main(["evaluate", "har.fusionactnet", "--model", str(out / "best.keras"), "--dataset",
                                   "watch", "--data", str(tmp_path / "watch"), "--option", "vote_method=log",
                                   "--output", str(tmp_path / "e"), "--verbose", "0"]), 0)
        evaluated = json.loads((tmp_path / "e" / "evaluate_results.json").read_text())
        self.assertEqual(evaluated["metrics"], results["metrics"])
        code, error = _cli(["evaluate", "har.fusionactnet", "--model", str(out / "best.keras"), "--dataset", "watch",
                            "--data", str(tmp_path / "watch"), "--option", "window_seconds=2", "--output",
                            str(tmp_path / "e2")])
        self.assertEqual(code, 1)
        self.assertIn("takes windows of 50 steps. Received: windows of 100 steps", error)

        # predict --option vote=true: windows of each series every half window, and one voted row per series.
        series = tmp_path / "two.npy"
        np.save(series, np.random.default_rng(0).normal(size=(2, 120, 6)).astype("float32"))
        self.assertEqual(cli.main(["predict", "har.fusionactnet", "--model", str(out / "best.keras"), "--output",
                                   str(tmp_path / "p"), "--option", "vote=true", str(series)]), 0)
        rows = [line.split(",") for line in (tmp_path / "p" / "predictions.csv").read_text().splitlines()]
        header, rows = rows[0], rows[1:]
        self.assertEqual(header, ["file", "series", "window", "prediction", "score"])
        # 120 steps, windows of 50 every 25: starts 0, 25, 50 -> 3 windows per series.
        self.assertEqual([(row[1], row[2]) for row in rows],
                         [("0", "0"), ("0", "1"), ("0", "2"), ("1", "0"), ("1", "1"), ("1", "2"), ("0", "vote"),
                          ("1", "vote")])
        model = keras.saving.load_model(out / "best.keras")
        x = np.load(series)
        windows = np.stack([x[s, start:start + 50] for s in (0, 1) for start in (0, 25, 50)])
        mean = model.predict(windows, verbose=0).reshape(2, 3, -1).mean(axis=1)
        self.assertEqual([row[3] for row in rows[-2:]], [model.class_names[i] for i in mean.argmax(axis=1)])
        self.assertAllClose([float(row[4]) for row in rows[-2:]], mean.max(axis=1), atol=1e-4)


class TrainingOptionsTest(TestCase):
    def test_augmentation_takes_the_3_axis_sensors_and_the_channel_spread_from_the_data(self):
        # The CLI's training options are checked in WindowedTaskTest's run.
        from domains.har.task import augmentation_from

        tmp_path = pathlib.Path(self.get_temp_dir())
        write_watch(tmp_path / "watch")
        data = _load(RunConfig(output_dir=tmp_path, dataset="watch", data=str(tmp_path / "watch"),
                               options=FusionActNetTask.resolve_options({"window_seconds": 1})))
        augmentation = augmentation_from({"rotation_degrees": 20, "scale": 0, "jitter": 0.1, "time_warp": 0}, data)
        self.assertEqual(augmentation.triplets, ((0, 1, 2), (3, 4, 5)))
        self.assertAllClose(augmentation.channel_std, data.x_train.std(axis=(0, 1)))

    def test_rotation_of_a_set_without_3_axis_sensors_is_refused(self):
        out = pathlib.Path(self.get_temp_dir())
        code, error = _cli(["train", "har.resnet1d", "--data", str(UEA / "GaitUnivariate"), "--option",
                            "rotation_degrees=30", "--output", str(out), "--epochs", "1", "--verbose", "0"])
        self.assertEqual(code, 1)
        self.assertIn("rotation_degrees needs 3-axis sensors", error)
