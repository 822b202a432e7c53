"""The presets mechanism: save, list, load, and its size limit."""

import json
import pathlib
import sys
from unittest import mock

import keras
import numpy as np
import pytest

from core import presets


@pytest.fixture
def package(tmp_path, monkeypatch):
    """A throw-away package `resuite_test_presets` on sys.path."""
    (tmp_path / "resuite_test_presets").mkdir()
    (tmp_path / "resuite_test_presets" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "resuite_test_presets", raising=False)  # this test's folder, not an earlier one's
    return "resuite_test_presets"


def _model():
    inputs = keras.Input((64,))
    model = keras.Model(inputs, keras.layers.Dense(64, name="dense")(inputs))
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((4, 64)), np.ones((4, 64)), verbose=0)  # optimizer state that must not be shipped
    return model


def test_round_trip_without_optimizer_state(package, tmp_path):
    model = _model()
    folder = presets.save_preset(model, package, "tiny", {"metrics": {"mse": 0.5}, "command": "make presets"})
    metadata = json.loads((folder / "metadata.json").read_text())
    assert metadata["class"] == "Functional" and metadata["parameters"] == 64 * 64 + 64 and metadata["metrics"] == {"mse": 0.5}
    assert presets.list_presets(package) == {"tiny": metadata}
    loaded = presets.load_preset(package, "tiny")
    x = np.random.default_rng(0).normal(size=(5, 64)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    assert getattr(loaded, "optimizer", None) is None
    model.save(tmp_path / "with_optimizer.keras")
    # Adam's two moments would triple the weights' bytes.
    assert (folder / "model.keras").stat().st_size < 0.5 * (tmp_path / "with_optimizer.keras").stat().st_size


def test_an_unknown_preset_is_a_clear_error(package):
    # (A preset of another class: test_from_preset_lists_the_class_presets_and_refuses_another_class.)
    presets.save_preset(_model(), package, "tiny", {})
    with pytest.raises(ValueError, match=r"No preset 'huge' in resuite_test_presets. Its presets: tiny."):
        presets.load_preset(package, "huge")


def test_a_preset_over_the_size_limit_is_refused(package, monkeypatch):
    monkeypatch.setattr(presets, "MAX_PRESET_MB", 1e-4)
    with pytest.raises(ValueError, match=r"A preset must stay under 0.0001 MB. Received: tiny of"):
        presets.save_preset(_model(), package, "tiny", {})
    assert presets.list_presets(package) == {}


def _tiny_class(package):
    @keras.saving.register_keras_serializable(package="resuite_test_presets")
    class Tiny(presets.PresetMixin, keras.Sequential):
        paper_parameters = 64 * 64 + 64

        @classmethod
        def preset_package(cls):
            return package

    return Tiny


def _scaling_task(tiny, name, trained, results):
    """A task training `tiny` as the identity times option `scale`; `results(config)`: what `train` adds."""
    from core.registry import Option, TaskRunner

    class _Scaling(TaskRunner):
        model_class = tiny
        epochs, batch_size = 1, 8
        inputs = ("preset",)
        options = (Option("scale", float, 1.0, "weight of the one unit"),)

        def train(self, config):
            trained.append(config.output_dir)
            model = tiny([keras.Input((64,)), keras.layers.Dense(64, name="dense")])
            model.get_layer("dense").kernel.assign(np.eye(64, dtype="float32") * config.options["scale"])
            model.save(config.output_dir / "best.keras")
            return {"best_model": str(config.output_dir / "best.keras"), **results(config)}

        def evaluate(self, config):
            model = self.load_model(config)
            gain = float(model.predict(np.ones((1, 64)), verbose=0).mean())
            return {"metrics": {"gain": gain, "scale": config.options["scale"]}, "baselines": {"identity": {"gain": 1.0}},
                    "details": {"n": 1},  # not a report of another set
                    "halved": {"metrics": {"gain": gain / 2}, "baselines": {"identity": {"gain": 0.5}}, "details": {}}}

    _Scaling.name = name
    return _Scaling()


def test_make_preset_trains_in_a_throw_away_folder_saves_and_records_the_score(package):
    tiny = _tiny_class(package)
    folders = []
    task = _scaling_task(tiny, "test.scaling", folders, lambda config: {
        "epochs": config.epochs, "batch_size": config.batch_size, "title": "a report's title",  # not recorded
        "report_json": str(config.output_dir / "report.json")})

    recipe = presets.Recipe("test.scaling", "scales by 2", {"scale": 2.0}, epochs=4, batch_size=32,
                            evaluate={"scale": 3.0})
    folder = presets.make_preset("double", recipe, task, seed=7)
    assert not folders[0].exists()
    metadata = json.loads((folder / "metadata.json").read_text())
    assert (metadata["class"], metadata["task"], metadata["description"], metadata["seed"]) == (
        "Tiny", "test.scaling", "scales by 2", 7)
    assert metadata["training"] == {"epochs": 4, "batch_size": 32}
    assert metadata["command"] == ("make presets  (resuite train test.scaling --epochs 4 --batch-size 32 --seed 7 "
                                   "--option scale=2.0)")
    # The score is the task's evaluate on the preset with the recipe's evaluate options, and says how to repeat it.
    bias = tiny.from_preset("double").get_layer("dense").bias.numpy()
    assert metadata["score"]["metrics"] == {"gain": pytest.approx(2.0 + bias.mean(), abs=1e-5), "scale": 3.0}
    assert metadata["score"]["baselines"] == {"identity": {"gain": 1.0}} and metadata["score"]["tolerance"] == 1e-4
    assert metadata["score"]["command"] == "resuite evaluate test.scaling --preset double --seed 7 --option scale=3.0"
    # a further held-out set's report is kept beside the main one
    assert metadata["score"]["other_sets"] == {"halved": {"metrics": {"gain": pytest.approx((2.0 + bias.mean()) / 2, abs=1e-5)},
                                                          "baselines": {"identity": {"gain": 0.5}}}}
    assert tiny.presets() == {"double": metadata}
    assert tiny.from_preset("double").trainable_parameter_count() == tiny.paper_parameters


def test_from_preset_lists_the_class_presets_and_refuses_another_class(package):
    tiny = _tiny_class(package)
    presets.save_preset(_model(), package, "functional", {})
    assert tiny.presets() == {}
    with pytest.raises(ValueError, match=r"No preset 'functional' for Tiny in resuite_test_presets. Its presets: none"):
        tiny.from_preset("functional")
    presets.save_preset(_model(), package, "claimed", {}, model_class="Tiny")  # a Functional recorded as Tiny
    with pytest.raises(ValueError, match="Preset 'claimed' holds a Functional, not a Tiny"):
        tiny.from_preset("claimed")


def test_float16_storage_halves_the_large_arrays_and_loads_into_float32(package):
    inputs = keras.Input((512,))
    model = keras.Model(inputs, keras.layers.Dense(256, name="dense", bias_initializer="random_normal")(inputs))
    full = presets.save_preset(model, package, "full", {})
    half = presets.save_preset(model, package, "half", {}, float16_from=65536)
    assert (half / "model.keras").stat().st_size < 0.55 * (full / "model.keras").stat().st_size
    assert presets.list_presets(package)["half"]["weights_storage"].startswith("float16 for the 1 arrays of >= 65536")
    loaded = presets.load_preset(package, "half").get_layer("dense")
    assert loaded.kernel.dtype == "float32"
    kernel, bias = model.get_layer("dense").get_weights()
    # The kernel (131,072 values) comes back rounded to float16; the bias (256) exactly.
    np.testing.assert_array_equal(loaded.kernel.numpy(), kernel.astype("float16").astype("float32"))
    np.testing.assert_array_equal(loaded.bias.numpy(), bias)
    assert not np.array_equal(loaded.kernel.numpy(), kernel)


def test_recorded_commands_survive_a_shell():
    import shlex

    recipe = presets.Recipe("t.task", "d", options={"sizes": [1, 2], "flag": True},
                            epochs=1, evaluate={"names": ["a b", "c"], "n": 3})
    words = shlex.split(recipe.evaluate_command("p", seed=1))
    assert words[words.index("--preset") + 1] == "p"
    assert 'names=["a b","c"]' in words and "n=3" in words  # one word each, quotes intact
    assert "--option sizes=[1,2] --option flag=true" in recipe.train_command("p")  # nothing quoted needlessly


def test_a_finished_run_becomes_the_preset_without_training_again(package, tmp_path):
    from core.cli import write_train_config
    from core.registry import RunConfig

    tiny = _tiny_class(package)
    trained = []
    task = _scaling_task(tiny, "test.run", trained, lambda config: {"steps": 12})

    run = tmp_path / "run"
    recipe = presets.Recipe("test.run", "scales by 2", {"scale": 2.0}, epochs=4, evaluate={"scale": 3.0})
    run.mkdir()
    with pytest.raises(ValueError, match=r"not a finished `resuite train` run \(no train_config.json or "
                                         r"train_results.json\); run `resuite train test.run --epochs 4"):
        presets.make_preset("from_run", recipe, task, run_dir=run)
    # What `resuite train` does: record the run's settings, train, write the results.
    config = RunConfig(output_dir=run, epochs=4, seed=0, options=task.resolve_options({"scale": "2"}))
    write_train_config(config, task)
    (run / "train_results.json").write_text(json.dumps(task.train(config)))
    (run / "log.csv").write_text("epoch,loss\n0,2.5\n1,2.0\n2,1.8\n3,1.7\n")
    read, read_text = [], pathlib.Path.read_text

    def counted(path, *args, **kwargs):
        read.append(path.name)
        return read_text(path, *args, **kwargs)

    with mock.patch.object(pathlib.Path, "read_text", counted):
        folder = presets.make_preset("from_run", recipe, task, run_dir=run)
    assert trained == [run]  # only the run itself trained
    # The run's files are read (and checked) once, for the preset and its record both.
    assert (read.count("train_config.json"), read.count("train_results.json")) == (1, 1)
    record = json.loads((folder.parent / "from_run_run.json").read_text())  # the run's curve kept beside it
    assert [row["loss"] for row in record["curve"]] == [2.5, 2.0, 1.8, 1.7] and record["results"] == {"steps": 12}
    metadata = json.loads((folder / "metadata.json").read_text())
    assert metadata["training"] == {"steps": 12} and metadata["score"]["metrics"]["scale"] == 3.0
    np.testing.assert_allclose(np.diag(tiny.from_preset("from_run").get_layer("dense").kernel.numpy()), 2.0)
    # A run of other settings is not the recipe's preset: each difference is named.
    other = presets.Recipe("test.run", "scales by 3", {"scale": 3.0}, epochs=5)
    with pytest.raises(ValueError, match=r"not the recipe's \(epochs: run 4, recipe 5; options: run \{'scale': 2.0\}, "
                                         r"recipe \{'scale': 3.0\}\)"):
        presets.make_preset("from_run", other, task, run_dir=run)
    # An option the task gained after the run started is, for that run, its default.
    saved = json.loads((run / "train_config.json").read_text())
    (run / "train_config.json").write_text(json.dumps({**saved, "options": {}}))
    assert presets.finished_run_results(run, presets.Recipe("test.run", "scales by 1", {}, epochs=4), task)["steps"] == 12
    with pytest.raises(ValueError, match=r"options: run \{'scale': 1.0\}, recipe \{'scale': 2.0\}"):
        presets.finished_run_results(run, recipe, task)


def test_a_candidate_run_not_shipped_is_recorded_with_its_curve(package, tmp_path):
    from core.cli import write_train_config
    from core.registry import Option, RunConfig, TaskRunner

    tiny = _tiny_class(package)

    class _Candidate(TaskRunner):
        name = "test.candidate"
        model_class = tiny
        epochs, batch_size = 1, 8
        options = (Option("width", int, 4, "units"),)

    task, run = _Candidate(), tmp_path / "run"
    run.mkdir()
    recipe = presets.Recipe("test.candidate", "a wider tiny model", {"width": 8}, epochs=2)
    config = RunConfig(output_dir=run, epochs=2, seed=0, options=task.resolve_options({"width": "8"}))
    write_train_config(config, task)
    (run / "train_results.json").write_text(json.dumps(
        {"best_model": str(run / "best.keras"), "test_accuracy": 0.42, "hands": ["a", "b"]}))
    with pytest.raises(ValueError, match="no log.csv"):
        presets.record_run("wide", recipe, task, run)
    (run / "log.csv").write_text("epoch,accuracy,loss,val_accuracy,val_loss\n0,0.2,2.5,0.25,2.4\n1,0.4,2.0,0.38,2.1\n")
    path = presets.record_run("wide", recipe, task, run)
    assert path == presets.presets_dir(package) / "wide_run.json" and path.with_suffix(".png").is_file()
    record = json.loads(path.read_text())
    assert record["results"] == {"test_accuracy": 0.42, "hands": ["a", "b"]}  # the run folder's paths dropped
    assert record["curve"][1] == {"epoch": 1.0, "accuracy": 0.4, "loss": 2.0, "val_accuracy": 0.38, "val_loss": 2.1}
    assert record["config"]["options"] == {"width": 8}
    assert record["command"] == "resuite train test.candidate --epochs 2 --seed 0 --option width=8 --output RUN_FOLDER"
    assert presets.list_presets(package) == {}  # a record is not a preset
    with pytest.raises(ValueError, match="not the recipe's"):  # checked against the recipe as a preset is
        presets.record_run("wide", presets.Recipe("test.candidate", "other", {"width": 16}, epochs=2), task, run)


def test_a_model_runs_another_engine_until_the_handle_closes(package, tmp_path):
    from core import quantize

    tiny = _tiny_class(package)
    model = tiny([keras.Input((4,)), keras.layers.Dense(3, name="dense")])
    x = np.random.default_rng(0).standard_normal((2, 4)).astype("float32")
    expected = model.predict(x, verbose=0)
    with model.use_engine("tensorflow") as engine:
        np.testing.assert_allclose(model.predict(x, verbose=0), expected)
    assert isinstance(engine, quantize.KerasEngine)
    with model.use_engine("savedmodel", cache_dir=tmp_path) as engine:
        model.get_layer("dense").bias.assign(np.ones(3, "float32"))  # Keras's layers change, the export does not
        np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=1e-6)
    assert engine.calls == 1 and engine.folder.parent == tmp_path
    np.testing.assert_allclose(model.predict(x, verbose=0), expected + 1.0, atol=1e-6)  # Keras's path again
