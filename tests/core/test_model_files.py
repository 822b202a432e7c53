"""`.keras` files read for their kind, and a task refusing another task's model file by name."""

import keras
import pytest

from core import registry
from core.api import export
from core.model_files import check_model_file, model_kind
from core.registry import RunConfig, TaskRunner


@export
class _Doubler(keras.Model):
    def __init__(self, **kwargs):
        inputs = keras.Input((3,))
        super().__init__(inputs, keras.layers.Dense(3, name="dense")(inputs) * 2.0, **kwargs)

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable}


class _Plain(TaskRunner):
    name = "test.plain"
    inputs = ("model",)
    saved_models = ("plain_net",)

    def predict(self, config, inputs):
        return {"loaded": type(keras.saving.load_model(config.model_path)).__name__}


class _Doubling(TaskRunner):
    name = "test.doubling"
    model_class = _Doubler  # accepts its model class's files without naming them again


class _Unchecked(TaskRunner):
    name = "test.unchecked"
    inputs = ("model",)

    def predict(self, config, inputs):
        return {"ran": True}


@pytest.fixture
def files(tmp_path, monkeypatch):
    monkeypatch.setattr(registry, "list_tasks", lambda: {t.name: t for t in (_Plain, _Doubling, _Unchecked)})
    inputs = keras.Input((3,))
    plain = tmp_path / "plain.keras"
    keras.Model(inputs, keras.layers.Dense(2)(inputs), name="plain_net").save(plain)
    doubler = tmp_path / "doubler.keras"
    _Doubler(name="anything").save(doubler)
    other = tmp_path / "other.keras"
    keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)], name="someone_elses").save(other)
    return plain, doubler, other


def test_model_kind_is_the_class_or_the_functional_name_read_without_building(files, tmp_path):
    plain, doubler, other = files
    assert (model_kind(plain), model_kind(doubler), model_kind(other)) == ("plain_net", "_Doubler", "someone_elses")
    text = tmp_path / "notes.keras"
    text.write_text("not a zip")
    with pytest.raises(ValueError, match=r"notes.keras: not a Keras .keras file"):
        model_kind(text)
    with pytest.raises(FileNotFoundError, match=r"absent.keras: no such model file"):
        model_kind(tmp_path / "absent.keras")


def test_a_task_refuses_another_tasks_file_naming_both(files):
    plain, doubler, other = files
    check_model_file(plain, _Plain)  # its own kind passes
    with pytest.raises(ValueError, match=r"doubler.keras holds a _Doubler, a model of test.doubling; "
                                         r"test.plain loads a plain_net\. Received: --model .*doubler.keras"):
        check_model_file(doubler, _Plain)
    check_model_file(other, _Doubling)  # a kind no task claims: left to the task's own loader
    assert (_Plain.accepted_models(), _Doubling.accepted_models(), _Unchecked.accepted_models()) == (
        ("plain_net",), ("_Doubler",), ())


def test_every_task_method_checks_the_model_file_before_running(files, tmp_path):
    plain, doubler, _ = files
    config = RunConfig(output_dir=tmp_path, model_path=str(plain))
    assert _Plain().predict(config, []) == {"loaded": "Functional"}
    with pytest.raises(ValueError, match=r"a model of test.doubling; test.plain loads"):
        _Plain().predict(RunConfig(output_dir=tmp_path, model_path=str(doubler)), [])
    # A task that declares no saved models is not checked (backward compatible).
    assert _Unchecked().predict(RunConfig(output_dir=tmp_path, model_path=str(doubler)), []) == {"ran": True}
