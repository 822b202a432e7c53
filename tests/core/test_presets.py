"""The presets mechanism: save, list, load, and its size limit."""

import json

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
    loaded = presets.load_preset(package, "tiny", keras.Model)
    x = np.random.default_rng(0).normal(size=(5, 64)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    assert getattr(loaded, "optimizer", None) is None
    model.save(tmp_path / "with_optimizer.keras")
    # Adam's two moments would triple the weights' bytes.
    assert (folder / "model.keras").stat().st_size < 0.5 * (tmp_path / "with_optimizer.keras").stat().st_size


def test_unknown_preset_and_wrong_class_are_clear_errors(package):
    presets.save_preset(_model(), package, "tiny", {})
    with pytest.raises(ValueError, match=r"No preset 'huge' in resuite_test_presets. Its presets: tiny."):
        presets.load_preset(package, "huge")
    with pytest.raises(ValueError, match=r"Preset 'tiny' of resuite_test_presets holds a Functional, not a Sequential"):
        presets.load_preset(package, "tiny", keras.Sequential)


def test_a_preset_over_the_size_limit_is_refused(package, monkeypatch):
    monkeypatch.setattr(presets, "MAX_PRESET_MB", 1e-4)
    with pytest.raises(ValueError, match=r"A preset must stay under 0.0001 MB. Received: tiny of"):
        presets.save_preset(_model(), package, "tiny", {})
    assert presets.list_presets(package) == {}


def test_train_presets_trains_each_recipe_in_a_throw_away_folder_and_records_it(package):
    from core.registry import Option, TaskRunner

    class _Scaling(TaskRunner):
        name = "test.scaling"
        options = (Option("scale", float, 1.0, "weight of the one unit"),)

        def train(self, config):
            model = _model()
            model.get_layer("dense").kernel.assign(np.eye(64, dtype="float32") * config.options["scale"])
            model.save(config.output_dir / "best.keras")
            return {"best_model": str(config.output_dir / "best.keras"), "epochs": config.epochs, "seed": config.seed,
                    "batch_size": config.batch_size}

    folders = []

    def describe(results, config):
        folders.append(config.output_dir)
        return keras.saving.load_model(results["best_model"]), {"metrics": {"epochs": results["epochs"],
                                                                            "batch_size": results["batch_size"]}}

    recipes = {"half": ("scales by 0.5", {"scale": 0.5}, 3), "double": ("scales by 2", {"scale": 2.0}, 4, 32)}
    made = presets.train_presets(_Scaling(), package, recipes, describe, names=["double"], seed=7)
    assert list(made) == ["double"] and not folders[0].exists()
    metadata = presets.list_presets(package)["double"]
    assert (metadata["description"], metadata["seed"], metadata["metrics"]) == ("scales by 2", 7,
                                                                                {"epochs": 4, "batch_size": 32})
    assert metadata["command"] == ("make presets  (resuite train test.scaling --epochs 4 --batch-size 32 --seed 7 "
                                   "--option scale=2.0)")
    shipped = presets.load_preset(package, "double")
    np.testing.assert_allclose(shipped.predict(np.ones((1, 64)), verbose=0), 2.0 * np.ones((1, 64)) +
                               shipped.get_layer("dense").bias.numpy(), atol=1e-6)


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
