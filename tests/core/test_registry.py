"""Declared task options and domain discovery."""

import re
import sys

import pytest

from core import registry
from core.registry import Option, TaskRunner


class _Task(TaskRunner):
    name = "test.options"
    options = (
        Option("flag", bool, True, "a switch"),
        Option("count", int, 3, "a count"),
        Option("rate", float, 1e-3, "a rate"),
        Option("mode", str, "a", "a choice", choices=("a", "b")),
        Option("sizes", list, [1, 2], "a list"),
        Option("table", dict, {}, "a mapping"),
        Option("limit", float, None, "unset by default"),
    )


def test_defaults_fill_every_declared_option():
    assert _Task.resolve_options() == {"flag": True, "count": 3, "rate": 1e-3, "mode": "a", "sizes": [1, 2],
                                       "table": {}, "limit": None}


def test_a_make_preset_override_gets_the_config_complete(tmp_path):
    class Shipping(_Task):
        epochs, batch_size = 5, 16

        def make_preset(self, config):
            return None, {"options": config.options, "epochs": config.epochs, "batch_size": config.batch_size}

    config = registry.RunConfig(output_dir=tmp_path, options={"count": "7"})
    _, seen = Shipping().make_preset(config)
    assert seen == {"options": {**_Task.resolve_options(), "count": 7}, "epochs": 5, "batch_size": 16}


@pytest.mark.parametrize("text, expected", [("false", False), ("False", False), ("0", False), ("no", False),
                                            ("off", False), ("true", True), ("YES", True), ("1", True)])
def test_bool_text_is_parsed_not_truth_tested(text, expected):
    # bool("False") is True: the bug this guards against.
    assert _Task.resolve_options({"flag": text})["flag"] is expected


def test_text_values_are_parsed_to_their_types():
    values = _Task.resolve_options({"count": "7", "rate": "5e-4", "mode": "b", "sizes": "[3, 4]",
                                    "table": '{"x": "y.keras"}', "limit": "2.5"})
    assert values == {"flag": True, "count": 7, "rate": 5e-4, "mode": "b", "sizes": [3, 4],
                      "table": {"x": "y.keras"}, "limit": 2.5}
    assert _Task.resolve_options({"sizes": (5, 6), "rate": 1})["sizes"] == [5, 6]


@pytest.mark.parametrize("key, value, message", [
    ("flag", "maybe", "Option 'flag' expects bool. Received: flag='maybe'"),
    ("count", "1.5", "Option 'count' expects int. Received: count='1.5'"),
    ("count", True, "Option 'count' expects int. Received: count=True"),
    ("rate", "fast", "Option 'rate' expects float. Received: rate='fast'"),
    ("sizes", "[1, 2", "Option 'sizes' expects list. Received: sizes='[1, 2'"),
    ("sizes", '{"a": 1}', "Option 'sizes' expects list."),
    ("mode", "c", r"Option 'mode' must be one of \['a', 'b'\]. Received: mode='c'"),
    ("mode", 3, "Option 'mode' expects str. Received: mode=3"),
])
def test_wrong_types_name_the_option(key, value, message):
    with pytest.raises(ValueError, match=message if key == "mode" else re.escape(message)):
        _Task.resolve_options({key: value})


def test_unknown_keys_list_the_known_ones():
    with pytest.raises(ValueError, match=r"Task test.options has no option 'cuont'. Its options: count, flag, "
                                         r"limit, mode, rate, sizes, table. Received: cuont"):
        _Task.resolve_options({"cuont": 3})


def test_options_help_has_one_line_per_option():
    lines = _Task.options_help().splitlines()
    assert lines[:2] == ["test.options reads none; defaults --epochs None, --batch-size None.",
                         "options of test.options (--option NAME=VALUE):"]
    assert "  mode (str, default 'a'; one of a, b): a choice" in lines
    assert "  sizes (list, default [1, 2]): a list" in lines
    assert len(lines) == 2 + len(_Task.options)


def test_a_domain_with_a_missing_dependency_does_not_hide_the_others(tmp_path, monkeypatch):
    import domains

    broken = tmp_path / "brokendomain"
    broken.mkdir()
    (broken / "__init__.py").write_text("import resuite_test_missing_dependency\n")
    monkeypatch.setattr(domains, "__path__", [*domains.__path__, str(tmp_path)])
    monkeypatch.setattr(registry, "_UNAVAILABLE", {})
    tasks = registry.list_tasks()
    assert "har.fusionactnet" in tasks and "mri.disgan" in tasks
    assert registry.unavailable_domains() == {
        "brokendomain": "needs the missing module 'resuite_test_missing_dependency': pip install \"resuite[brokendomain]\""}
    with pytest.raises(ValueError, match=r"Task 'brokendomain.train': the domain 'brokendomain' needs the missing "
                                         r"module .*pip install \"resuite\[brokendomain\]\""):
        registry.get_task("brokendomain.train")
    sys.modules.pop("domains.brokendomain", None)


def test_a_task_called_from_python_gets_checked_and_complete_options(tmp_path):
    class Echo(_Task):
        name = "test.echo"

        def train(self, config):
            return dict(config.options)

    config = registry.RunConfig(output_dir=tmp_path, options={"count": "5"})
    assert Echo().train(config) == {**_Task.resolve_options(), "count": 5}
    with pytest.raises(ValueError, match="Task test.echo has no option 'cuont'"):
        Echo().train(registry.RunConfig(output_dir=tmp_path, options={"cuont": 5}))


class _Declared(TaskRunner):
    name = "test.declared"
    epochs, batch_size = 7, 32
    inputs = ("data", "model")

    def train(self, config):
        return {"epochs": config.epochs, "batch_size": config.batch_size}

    def demo(self, config):
        return {"epochs": config.epochs, "batch_size": config.batch_size}


def test_the_declared_epochs_and_batch_size_fill_train_but_not_demo(tmp_path):
    assert _Declared().train(registry.RunConfig(output_dir=tmp_path)) == {"epochs": 7, "batch_size": 32}
    assert _Declared().train(registry.RunConfig(output_dir=tmp_path, epochs=2, batch_size=4)) == {
        "epochs": 2, "batch_size": 4}
    # A demo sets its own short budget: nothing is filled in behind its back.
    assert _Declared().demo(registry.RunConfig(output_dir=tmp_path)) == {"epochs": None, "batch_size": None}


def test_an_input_the_task_does_not_read_is_refused_naming_it(tmp_path):
    with pytest.raises(ValueError, match=re.escape("Task test.declared does not use --dataset (it reads --data, "
                                                   "--model). Received: --dataset uea")):
        _Declared().train(registry.RunConfig(output_dir=tmp_path, dataset="uea"))
    with pytest.raises(ValueError, match=re.escape("Task test.declared does not use --preset")):
        _Declared().train(registry.RunConfig(output_dir=tmp_path, preset="small"))
    with pytest.raises(ValueError, match=re.escape("Task test.options does not use --data (it reads none of them)")):
        _Task.check_inputs(registry.RunConfig(output_dir=tmp_path, data="folder"))
    both = registry.RunConfig(output_dir=tmp_path, model_path="a.keras", preset="small")
    with pytest.raises(ValueError, match="Give one model: --model or --preset"):
        type("Both", (_Declared,), {"inputs": registry.INPUTS}).check_inputs(both)


def test_load_model_without_a_model_says_what_to_give(tmp_path):
    from core.tasks import Classifier

    task = type("Loads", (_Declared,), {"model_class": Classifier, "inputs": ("model",)})()
    with pytest.raises(ValueError, match=re.escape("Task test.declared needs a model: --model PATH (a saved "
                                                   "Classifier .keras). Received: neither")):
        task.load_model(registry.RunConfig(output_dir=tmp_path))
    with pytest.raises(FileNotFoundError, match="absent.keras: no such model file"):
        task.load_model(registry.RunConfig(output_dir=tmp_path, model_path=str(tmp_path / "absent.keras")))


class _Engine(TaskRunner):
    """A tiny network's task; option `skip`: its predict never calls the network."""

    name = "test.engine"
    options = (Option("skip", bool, False, "answer without calling the network"),)

    def load_model(self, config):
        import keras

        keras.utils.set_random_seed(0)
        return keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])

    def predict(self, config, inputs):
        import numpy as np

        model = self.load_model(config)
        if config.options["skip"]:
            return {"outputs": "none"}
        return {"outputs": model.predict(np.ones((len(inputs), 4), "float32"), verbose=0).tolist()}


@pytest.fixture
def engine_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def test_the_declared_default_engine_runs_when_none_is_asked(tmp_path, engine_cache):
    import numpy as np

    assert TaskRunner.default_engine == "tensorflow"
    keras_run = _Engine().predict_with_engine(registry.RunConfig(output_dir=tmp_path), ["a", "b"])
    assert keras_run["engine"] == "tensorflow"
    declared = type("Declared", (_Engine,), {"default_engine": "savedmodel"})()
    exported = declared.predict_with_engine(registry.RunConfig(output_dir=tmp_path), ["a", "b"])
    assert (exported["engine"], exported["engine_calls"]) == ("savedmodel", 1)
    np.testing.assert_allclose(exported["outputs"], keras_run["outputs"], atol=1e-6)
    asked = declared.predict_with_engine(registry.RunConfig(output_dir=tmp_path, engine="tensorflow"), ["a"])
    assert asked["engine"] == "tensorflow"  # the asked engine wins over the declared one
    assert "load_model" not in vars(declared)  # the task loads its models itself again


def test_an_engine_that_never_ran_raises(tmp_path, engine_cache):
    config = registry.RunConfig(output_dir=tmp_path, engine="savedmodel", options={"skip": "true"})
    with pytest.raises(ValueError, match=r"test.engine's predict never ran the savedmodel engine .*Received: calls=0"):
        _Engine().predict_with_engine(config, ["a"])


@pytest.mark.parametrize("declared, message", [
    ("onnx int8", "default_engine must be float32 (tensorflow or an export format): a lower precision is offered "
                  "by --engine, never applied unasked. Received: default_engine='onnx int8'"),
    ("tensorrt", "default_engine: Unknown inference engine. Expected one of: tensorflow, savedmodel"),
])
def test_a_malformed_default_engine_is_refused_naming_its_file(declared, message, tmp_path):
    task = type("Declared", (_Engine,), {"default_engine": declared})
    with pytest.raises(ValueError, match=re.escape(f"tests/core/test_registry.py (test.engine): {message}")):
        task().predict_with_engine(registry.RunConfig(output_dir=tmp_path), ["a"])
    assert task.engine_of(registry.RunConfig(output_dir=tmp_path, engine="onnx  int8")) == "onnx int8"
