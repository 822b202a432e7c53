"""scripts/make_presets.py: presets train with the CPU kernels resuite gives their task."""

import importlib.util
import os
import pathlib

import pytest

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "scripts" / "make_presets.py"


def load_script():
    spec = importlib.util.spec_from_file_location("make_presets", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("given, expected", [(None, "1"), ("0", "0")])
def test_the_kernels_are_chosen_before_any_preset_is_read(monkeypatch, capsys, given, expected):
    # On an AVX2 CPU TensorFlow's own default is Eigen: a preset made by this script trained
    # with it while `resuite train` of the same recipe ran oneDNN (DISGAN's GAN step, 5x slower).
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)
    if given is not None:
        monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", given)  # the user's own setting wins
    with pytest.raises(SystemExit):
        load_script().main(["no_such_preset"])
    assert os.environ["TF_ENABLE_ONEDNN_OPTS"] == expected
    assert "unknown preset or package ['no_such_preset']" in capsys.readouterr().err
