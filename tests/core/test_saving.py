"""core.saving: a `.keras` file the suite wrote loads in a fresh process after `import domains`."""

import json
import os
import pathlib
import subprocess
import sys
import textwrap
import zipfile

import keras
import numpy as np
import pytest

from core.layers.pixel_shuffle import PixelShuffle
from core.presets import MODEL_FILE
from core.saving import import_model_modules, load_model, model_modules

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _one_preset_per_package():
    """The first shipped preset (by name) of each package that ships presets: every domain has one."""
    firsts = {}
    for path in sorted(ROOT.glob(f"domains/**/presets/*/{MODEL_FILE}")):
        firsts.setdefault(path.parent.parent.parent, path)
    return sorted(firsts.values())


def _inputs(model, seed=0):
    """One deterministic batch for `model`'s inputs (8 where a size is free)."""
    rng = np.random.default_rng(seed)
    return [rng.normal(size=[1, *(8 if n is None else n for n in tensor.shape[1:])]).astype("float32")
            for tensor in model.inputs]


def _outputs(model, inputs):
    return [np.asarray(x) for x in keras.tree.flatten(model(inputs if len(inputs) > 1 else inputs[0], training=False))]


def test_model_modules_names_the_suites_modules_only(tmp_path):
    inputs = keras.Input((4, 4, 4, 8))
    keras.Model(inputs, keras.layers.Dense(8)(PixelShuffle(rank=3, scale=2)(inputs))).save(tmp_path / "shuffle.keras")
    assert model_modules(tmp_path / "shuffle.keras") == ["core.layers.pixel_shuffle"]
    crafted = tmp_path / "crafted.keras"  # a config naming a module outside the suite, and a missing domain
    with zipfile.ZipFile(crafted, "w") as archive:
        archive.writestr("config.json", json.dumps({"module": "os.path", "class_name": "X", "config": {
            "layers": [{"module": "domains.nosuch.model", "class_name": "Y"}, {"module": "core.layers.dense"}]}}))
    assert model_modules(crafted) == ["core.layers.dense", "domains.nosuch.model"]
    with pytest.raises(ValueError, match=r"crafted.keras: its model needs the module domains.nosuch.model, which "
                                         r"cannot be imported"):
        import_model_modules(crafted)
    with pytest.raises(ValueError, match=r"notes.keras: not a Keras .keras file"):
        (tmp_path / "notes.keras").write_text("x")
        load_model(tmp_path / "notes.keras")


def test_a_fresh_process_loads_a_preset_of_every_domain_after_import_domains(tmp_path):
    paths = _one_preset_per_package()
    assert {path.relative_to(ROOT).parts[1] for path in paths} >= {
        "har", "mri", "fundus", "lamost", "aramaic", "speech"}
    expected = {}
    for index, path in enumerate(paths):  # the reference: loaded here, where the test imports the domains
        import_model_modules(path)
        model = keras.saving.load_model(path, compile=False)
        inputs = _inputs(model, seed=index)
        np.savez(tmp_path / f"inputs_{index}.npz", *inputs)
        expected[index] = _outputs(model, inputs)
    script = textwrap.dedent(f"""
        import json, sys
        import numpy as np
        import domains
        assert "keras" not in sys.modules and "tensorflow" not in sys.modules, "import domains imported TensorFlow"
        import keras
        paths = {json.dumps([str(p) for p in paths])}
        for index, path in enumerate(paths):
            model = domains.load_model(path)
            with np.load("{tmp_path}/inputs_" + str(index) + ".npz") as stored:
                inputs = [stored["arr_" + str(i)] for i in range(len(stored.files))]
            outputs = keras.tree.flatten(model(inputs if len(inputs) > 1 else inputs[0], training=False))
            np.savez("{tmp_path}/outputs_" + str(index) + ".npz", *[np.asarray(x) for x in outputs])
        print(json.dumps(sorted(name for name in sys.modules if name.startswith("domains."))))
    """)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path,
                         timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    imported = json.loads(run.stdout.strip().splitlines()[-1])
    for path in paths:  # each file's own domain was imported by the loader, not by hand
        package = ".".join(path.relative_to(ROOT).parts[:-3])
        assert package in imported, (package, imported)
    for index, path in enumerate(paths):
        with np.load(tmp_path / f"outputs_{index}.npz") as stored:
            got = [stored[f"arr_{i}"] for i in range(len(stored.files))]
        assert len(got) == len(expected[index]), path
        # Float32 sums in another order (the child's thread count, Eigen's blocking on AVX2) move a
        # long convolution's output by ~2e-5 (APNet); a weight loaded wrong moves it by far more.
        for a, b in zip(got, expected[index]):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4, err_msg=str(path))
