import importlib.metadata
import json
import os
import re
import subprocess
import sys

import pytest

from core import cli, registry
from core.data import samples


def test_help_explains_commands_and_examples(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for word in ("train", "evaluate", "predict", "demo", "data", "--help", "TF_CONFIG", "RESUITE_DATA_DIR"):
        assert word in text


def test_train_help_lists_run_options(capsys):
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    text = capsys.readouterr().out
    for option in ("--strategy", "--epochs", "--batch-size", "--output", "--seed", "--cpu-devices", "--data"):
        assert option in text


def test_unknown_strategy_is_refused(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", "har.fusionactnet", "--strategy", "horovod"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'horovod'" in capsys.readouterr().err


def test_unknown_task_names_the_registered_ones():
    with pytest.raises(ValueError, match=r"Unknown task 'mri.nope'. Registered tasks: "):
        registry.get_task("mri.nope")


def test_bad_option_syntax():
    with pytest.raises(ValueError, match="KEY=VALUE"):
        cli._parse_options(["lr"])
    # Text stays text here: the task's declared Option parses it to its type.
    assert cli._parse_options(["lr=0.1", "name=a=b", "flags=[1, 2]"]) == {"lr": "0.1", "name": "a=b", "flags": "[1, 2]"}


def test_task_help_lists_the_declared_options(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", "har.resnet1d", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert "options of har.resnet1d (--option NAME=VALUE):" in text
    assert "depth (int, default 18; one of 10, 18, 34, 50, 101, 152): ResNet depth" in text


def test_unknown_option_and_wrong_type_are_refused_before_any_work(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(["train", "har.resnet1d", "--output", str(out), "--option", "detph=10"]) == 1
    error = capsys.readouterr().err
    options = ", ".join(sorted(option.name for option in registry.get_task("har.resnet1d").options))
    assert "depth, " in options and f"Task har.resnet1d has no option 'detph'. Its options: {options}." in error
    assert cli.main(["train", "har.resnet1d", "--output", str(out), "--option", "depth=ten"]) == 1
    assert "Option 'depth' expects int. Received: depth='ten'" in capsys.readouterr().err
    assert not (out / "log.csv").exists()


def test_traceback_flag_shows_where_an_error_was_raised(tmp_path):
    with pytest.raises(ValueError, match="has no option 'nope'"):
        cli.main(["--traceback", "train", "har.resnet1d", "--output", str(tmp_path), "--option", "nope=1"])


def test_register_task_validates_names():
    class Nameless(registry.TaskRunner):
        name = "nodomain"

    with pytest.raises(ValueError, match="domain.task"):
        registry.register_task(Nameless)


def test_data_list_does_not_import_tensorflow(tmp_path):
    code = (
        "import sys; from core import cli; cli.main(['data', 'list', '--cache-dir', sys.argv[1]]); "
        "print('TF-LOADED' if 'tensorflow' in sys.modules else 'TF-FREE')"
    )
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("TF-FREE")
    for name in samples.SAMPLES:
        assert name in result.stdout


def test_missing_sample_data_error_names_the_fetch_command(tmp_path):
    with pytest.raises(samples.SampleDataError, match=r"resuite data fetch har.basicmotions_train"):
        samples.path("har.basicmotions_train", cache_dir=tmp_path)


def test_format_table():
    text = cli.format_table([{"task": "a.b", "accuracy": 0.98765}, {"task": "c.d", "status": "ok"}])
    lines = text.splitlines()
    assert lines[0].split() == ["task", "accuracy", "status"]
    assert "0.9877" in lines[2] and lines[3].split() == ["c.d", "ok"]


def test_demo_prints_one_block_per_task_and_a_failure_hides_nothing(tmp_path, monkeypatch, capsys):
    class Works(registry.TaskRunner):
        name, description = "test.works", "a task that works"

        def demo(self, config):
            return {"result": "accuracy 0.9", "baseline": "chance 0.5"}

    class Breaks(registry.TaskRunner):
        name, description = "test.breaks", "a task that fails"

        def demo(self, config):
            raise ValueError("no sample data")

    monkeypatch.setattr(registry, "list_tasks", lambda: {"test.breaks": Breaks, "test.works": Works})
    assert cli.main(["demo", "--output", str(tmp_path)]) == 1
    summary = capsys.readouterr().out.split("== demo results\n")[1]
    blocks = summary.split("\n\n")
    assert blocks[0].startswith("test.breaks  (") and "FAILED: ValueError: no sample data)" in blocks[0]
    assert blocks[1].splitlines()[1:] == ["  result    accuracy 0.9", "  baseline  chance 0.5"]
    assert blocks[1].startswith("test.works  (") and ", ok)" in blocks[1]


def test_predict_takes_a_shipped_preset_instead_of_a_model_file(tmp_path, capsys):
    volume = samples.fetch("mri.anatomical", verbose=False)
    out = tmp_path / "run"
    assert cli.main(["predict", "mri.ssim_regression", "--preset", "ssim_mni_small", "--output", str(out), str(volume)]) == 0
    rows = (out / "predictions.csv").read_text().splitlines()
    assert rows[0].startswith("file,slice_index") and len(rows) > 1 and rows[1].startswith(str(volume))
    # A task without presets, an unknown preset, and both sources at once are refused, each saying why.
    assert cli.main(["predict", "har.resnet1d", "--preset", "ssim_mni_small", str(volume)]) == 1
    assert "Task har.resnet1d does not use --preset (it reads --data, --dataset, --model)" in capsys.readouterr().err
    assert cli.main(["predict", "mri.ssim_regression", "--preset", "nope", "--output", str(out), str(volume)]) == 1
    assert ("No preset 'nope' for SSIMRegressor in domains.mri.quality. Its presets: ssim_mni_long, ssim_mni_small, ssim_mni_wide"
            in capsys.readouterr().err)
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["predict", "mri.ssim_regression", "--preset", "a", "--model", "b.keras", str(volume)])
    assert exit_info.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_a_report_prints_the_model_beside_its_baselines_and_nested_results_one_per_line(capsys):
    cli._print_results({"title": "preset on 12 held-out files", "metrics": {"pesq": 1.5, "per_file": [1, 2]},
                        "baselines": {"griffin_lim": {"pesq": 4.2}, "silence": {}}, "figures": ["a.png"],
                        "details": {"hidden": 1}, "report_json": "r.json",
                        "ungradeable": {"ruler.jpg": "no dark border"}})
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "preset on 12 held-out files"
    assert lines[1].split() == ["metric", "model", "griffin_lim", "silence"]
    assert lines[3].split() == ["pesq", "1.5", "4.2"]
    assert "report_json  r.json" in lines and "  ruler.jpg  no dark border" in lines and "  a.png" in lines
    assert not any("hidden" in line for line in lines)


def test_version_is_the_installed_packages(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"resuite {importlib.metadata.version('resuite')}\n"


_AVX512 = "processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma avx512f avx512dq avx512_vnni\n\nprocessor\t: 1\n"
_AVX2 = "processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma\nbugs\t\t: avx512f\n"
_ARM = "processor\t: 0\nFeatures\t: fp asimd evtstrm aes sve\n"


def test_cpu_kind_reads_the_cpu_flags():
    assert cli.cpu_kind(_AVX512) == "avx512"
    assert cli.cpu_kind(_AVX2) == "avx2"  # "avx512f" on another line than the flags is not a flag
    assert cli.cpu_kind(_ARM) == "other"
    assert cli.cpu_kind("") == "other"
    assert cli.cpu_kind() in cli.CPU_KINDS


class _Vocoder(registry.TaskRunner):
    """A task whose measurements chose Eigen on AVX2 and oneDNN on AVX-512."""

    name, description = "test.vocoder", "declares its CPU kernels per CPU kind"
    cpu_kernels = {"avx512": "onednn", "avx2": "eigen"}


def test_the_task_s_declared_kernels_set_tensorflow_s_switch_per_cpu_kind(monkeypatch):
    monkeypatch.setitem(registry._TASKS, _Vocoder.name, _Vocoder)
    for cpuinfo, kernels, switch in ((_AVX2, "eigen", "0"), (_AVX512, "onednn", "1"), (_ARM, "onednn", "1")):
        environ = {}
        assert cli.use_cpu_kernels("test.vocoder", environ=environ, cpuinfo=cpuinfo) == kernels
        assert environ == {"TF_ENABLE_ONEDNN_OPTS": switch}
    environ = {}  # no task, or one unknown: oneDNN, the project's default
    assert cli.use_cpu_kernels(None, environ=environ, cpuinfo=_AVX2) == "onednn" and environ["TF_ENABLE_ONEDNN_OPTS"] == "1"
    assert cli.use_cpu_kernels("nosuch.task", environ={}, cpuinfo=_AVX2) == "onednn"


def test_the_flag_wins_over_the_declaration_and_the_user_s_environment_over_both(monkeypatch):
    monkeypatch.setitem(registry._TASKS, _Vocoder.name, _Vocoder)
    environ = {}
    assert cli.use_cpu_kernels("test.vocoder", "onednn", environ, cpuinfo=_AVX2) == "onednn"
    assert environ == {"TF_ENABLE_ONEDNN_OPTS": "1"}
    environ = {}
    assert cli.use_cpu_kernels("test.vocoder", "eigen", environ, cpuinfo=_AVX512) == "eigen"
    assert environ == {"TF_ENABLE_ONEDNN_OPTS": "0"}
    for given, kernels in (("1", "onednn"), ("true", "onednn"), ("0", "eigen"), ("False", "eigen")):
        environ = {"TF_ENABLE_ONEDNN_OPTS": given}
        assert cli.use_cpu_kernels("test.vocoder", environ=environ, cpuinfo=_AVX2) == kernels
        assert environ == {"TF_ENABLE_ONEDNN_OPTS": given}
    environ = {"TF_ENABLE_ONEDNN_OPTS": "1"}
    with pytest.warns(UserWarning, match=r"TF_ENABLE_ONEDNN_OPTS=1 in the environment wins over --cpu-kernels eigen"):
        assert cli.use_cpu_kernels("test.vocoder", "eigen", environ, cpuinfo=_AVX2) == "onednn"
    assert environ == {"TF_ENABLE_ONEDNN_OPTS": "1"}


def test_the_command_line_applies_the_flag_anywhere_on_the_line_and_refuses_an_unknown_value(monkeypatch, capsys):
    monkeypatch.setitem(registry._TASKS, _Vocoder.name, _Vocoder)
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)
    chosen = []
    monkeypatch.setattr(cli, "_run", lambda args: chosen.append(os.environ["TF_ENABLE_ONEDNN_OPTS"]) or 0)
    monkeypatch.setattr(cli, "cpu_kind", lambda cpuinfo=None: "avx2")
    assert cli.main(["predict", "test.vocoder", "--model", "m.keras", "in.wav"]) == 0
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS")
    assert cli.main(["--cpu-kernels", "onednn", "predict", "test.vocoder", "--model", "m.keras", "in.wav"]) == 0
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS")
    assert cli.main(["predict", "test.vocoder", "--cpu-kernels=onednn", "--model", "m.keras", "in.wav"]) == 0
    assert chosen == ["0", "1", "1"]
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS")
    for argv, value in ((["--cpu-kernels", "mkl", "list"], "mkl"), (["list", "--cpu-kernels"], "(nothing)")):
        assert cli.main(argv) == 2
        assert capsys.readouterr().err == (f"error: --cpu-kernels expects one of auto, onednn, eigen. "
                                           f"Received: --cpu-kernels {value}\n")
    with pytest.raises(ValueError, match=r"--cpu-kernels expects one of auto, onednn, eigen. Received: --cpu-kernels mkl"):
        cli.use_cpu_kernels("test.vocoder", "mkl", {})
    assert "TF_ENABLE_ONEDNN_OPTS" not in os.environ and chosen == ["0", "1", "1"]
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert "--cpu-kernels {auto,onednn,eigen}" in capsys.readouterr().out


@pytest.mark.parametrize("declaration", ["mkl", {"avx2": "mkl"}, {"avx3": "eigen"}, None])
def test_a_malformed_declaration_is_refused_naming_its_file(declaration, monkeypatch, capsys):
    monkeypatch.setattr(_Vocoder, "cpu_kernels", declaration)
    monkeypatch.setitem(registry._TASKS, _Vocoder.name, _Vocoder)
    message = (r"tests/core/test_cli.py \(test.vocoder\): cpu_kernels must be 'onednn', 'eigen' or a dict "
               r"\{CPU kind: either\} with the kinds avx512, avx2, other. Received: cpu_kernels=")
    with pytest.raises(ValueError, match=message + re.escape(repr(declaration))):
        cli.use_cpu_kernels("test.vocoder", environ={}, cpuinfo=_AVX2)
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)
    assert cli.main(["predict", "test.vocoder", "--model", "m.keras", "in.wav"]) == 2
    assert "cpu_kernels must be" in capsys.readouterr().err and "TF_ENABLE_ONEDNN_OPTS" not in os.environ


_KERNEL_TASK = """
from core.registry import TaskRunner, register_task

from domains.kerneldomain.choices import CHOICES


@register_task
class Kernels(TaskRunner):
    name, description, epochs = "kerneldomain.kernels", "reports the CPU kernels TensorFlow runs", 1
    cpu_kernels = CHOICES

    def train(self, config):
        from tensorflow.python.util import _pywrap_util_port

        return {"onednn": bool(_pywrap_util_port.IsMklEnabled())}
"""


def test_resuite_starts_tensorflow_with_the_kernels_the_task_declares_in_its_source(tmp_path):
    # The declaration is the opposite of TensorFlow's own default on this CPU (oneDNN only with
    # AVX-512), so that TensorFlow runs it only if `resuite` set it before TensorFlow started.
    choices = {"avx512": "eigen", "avx2": "onednn", "other": "onednn"}
    (tmp_path / "kerneldomain").mkdir()
    (tmp_path / "kerneldomain" / "__init__.py").write_text("from domains.kerneldomain import task\n")
    (tmp_path / "kerneldomain" / "choices.py").write_text(f"CHOICES = {choices!r}\n")
    (tmp_path / "kerneldomain" / "task.py").write_text(_KERNEL_TASK)
    code = (
        "import sys; import domains; from core import cli, registry\n"
        f"domains.__path__.append({str(tmp_path)!r})\n"
        "registry.discover = lambda: registry._import_domain('kerneldomain', 'domains.kerneldomain')\n"
        "sys.exit(cli.main(sys.argv[1:]))\n"
    )
    env = {key: value for key, value in os.environ.items() if key != "TF_ENABLE_ONEDNN_OPTS"}
    out = tmp_path / "run"
    result = subprocess.run([sys.executable, "-c", code, "train", "kerneldomain.kernels", "--output", str(out),
                             "--json", "--verbose", "0"], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    expected = choices[cli.cpu_kind()]
    assert json.loads(result.stdout) == {"onednn": expected == "onednn"}
    assert json.loads((out / "train_config.json").read_text())["cpu_kernels"] == expected


def test_list_and_task_help_answer_without_tensorflow():
    code = (
        "import sys; from core import cli\n"
        "cli.main(['list'])\n"
        "try:\n    cli.main(['train', 'fundus.dr', '--help'])\nexcept SystemExit as exit:\n    print('EXIT', exit.code)\n"
        "print('TF-LOADED' if {'tensorflow', 'keras'} & set(sys.modules) else 'TF-FREE')"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-2:] == ["EXIT 0", "TF-FREE"]
    listed = [line.split()[0] for line in lines[2:lines.index(next(l for l in lines if l.startswith("usage:")))] if line]
    tasks = registry.list_tasks()
    assert listed == list(tasks)
    for name, task in tasks.items():
        assert f"{name}  " in result.stdout and task.description in result.stdout
    assert registry.get_task("fundus.dr").options_help() in result.stdout


def test_traceback_is_accepted_after_the_command(tmp_path):
    with pytest.raises(ValueError, match="has no option 'nope'"):
        cli.main(["train", "har.resnet1d", "--output", str(tmp_path), "--option", "nope=1", "--traceback"])


@pytest.mark.parametrize("argv", [["train", "nosuch.task", "--help"], ["evaluate", "nosuch.task"],
                                  ["predict", "--seed", "1", "nosuch.task", "x.png"], ["demo", "nosuch.task"]])
def test_an_unknown_task_exits_2_listing_the_known_ones(argv, capsys):
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert "Unknown task" in captured.err and "nosuch.task" in captured.err
    assert ", ".join(registry.list_tasks()) in captured.err
    assert captured.out == ""


@pytest.mark.parametrize("argv, flag, value", [
    (["train", "har.resnet1d", "--epochs", "-1"], "--epochs", "-1"),
    (["train", "har.resnet1d", "--epochs", "0"], "--epochs", "0"),
    (["evaluate", "har.resnet1d", "--batch-size", "2.5"], "--batch-size", "2.5"),
    (["demo", "--epochs", "0"], "--epochs", "0"),
])
def test_epochs_and_batch_size_must_be_positive_integers(argv, flag, value, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    assert f"argument {flag}: expects a positive integer. Received: {value}" in capsys.readouterr().err


class _Writes(registry.TaskRunner):
    """A task that writes into its output folder, prints progress, then fails or returns per-file rows."""

    name, description = "test.writes", "writes, then fails on a file named bad"

    def predict(self, config, inputs):
        (config.output_dir / "partial.csv").write_text("file\n")
        print("progress 1/2")
        if "bad" in inputs:
            raise ValueError("bad: not an image. Received: bad")
        if "crash" in inputs:
            raise KeyError("crash")
        return {"images": 2, "files": [{"file": "a.png", "verdict": "referable", "p": "0.91 ± 0.02"},
                                       {"file": "b.png", "verdict": "ungradeable", "reason": "no dark border"}]}


@pytest.fixture
def writes(monkeypatch):
    monkeypatch.setitem(registry._TASKS, _Writes.name, _Writes)
    monkeypatch.setattr(cli, "_strategy", lambda args: None)


def test_a_failed_command_removes_the_output_folder_it_created(tmp_path, writes, capsys):
    out = tmp_path / "new" / "run"
    assert cli.main(["predict", "test.writes", "--output", str(out), "bad"]) == 1
    assert "error: bad: not an image. Received: bad" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(KeyError):  # an unexpected error too
        cli.main(["predict", "test.writes", "--output", str(out), "crash"])
    assert list(tmp_path.iterdir()) == []
    # An existing folder is left as it was, but for what the task wrote itself.
    (tmp_path / "kept.txt").write_text("mine")
    assert cli.main(["predict", "test.writes", "--output", str(tmp_path), "bad"]) == 1
    assert (tmp_path / "kept.txt").read_text() == "mine"


def test_an_output_that_is_a_file_or_cannot_be_created_is_named(tmp_path, writes, capsys):
    file = tmp_path / "file"
    file.write_text("x")
    assert cli.main(["predict", "test.writes", "--output", str(file), "a"]) == 1
    assert f"error: --output must be a folder; {file} is a file. Received: --output {file}" in capsys.readouterr().err
    assert cli.main(["predict", "test.writes", "--output", str(file / "run"), "a"]) == 1
    assert (f"error: --output {file / 'run'} cannot be created (Not a directory). Received: --output {file / 'run'}"
            in capsys.readouterr().err)
    assert file.read_text() == "x" and sorted(tmp_path.iterdir()) == [file]


def test_per_file_results_print_as_a_table_and_json_goes_to_stdout(tmp_path, writes, capsys):
    out = tmp_path / "run"
    assert cli.main(["predict", "test.writes", "--output", str(out), "a.png", "b.png"]) == 0
    lines = capsys.readouterr().out.splitlines()
    start = lines.index("files:")
    assert lines[start + 1].split() == ["file", "verdict", "p", "reason"]
    assert lines[start + 3].split() == ["a.png", "referable", "0.91", "±", "0.02"]
    assert lines[start + 4].split() == ["b.png", "ungradeable", "no", "dark", "border"]
    assert cli.main(["predict", "test.writes", "--json", "--output", str(out), "a.png", "b.png"]) == 0
    captured = capsys.readouterr()
    results = json.loads(captured.out)  # nothing but the JSON: the task's own printing went to stderr
    assert results["files"][1] == {"file": "b.png", "verdict": "ungradeable", "reason": "no dark border"}
    assert "progress 1/2" in captured.err
    assert json.loads((out / "predict_results.json").read_text()) == results


def test_a_warning_prints_as_one_line_and_python_s_own_display_comes_back(capsys, monkeypatch):
    import warnings

    def command(argv):
        warnings.warn("in.wav: resampled from 48000 Hz to 8000 Hz")
        return 0

    monkeypatch.setattr(cli, "_main", command)
    assert cli.main(["predict", "any.task", "in.wav"]) == 0
    assert capsys.readouterr().err == "warning: in.wav: resampled from 48000 Hz to 8000 Hz\n"
    assert warnings.showwarning is not cli._show_warning  # Python's own display is back after the command


class _Trains(registry.TaskRunner):
    """A task whose training saves a checkpoint, then is interrupted or fails."""

    name, description = "test.trains", "saves a backup, then stops"
    epochs, batch_size = 3, 4

    def train(self, config):
        (config.output_dir / "backup").mkdir()
        raise KeyboardInterrupt if config.seed == 1 else ValueError("evaluation failed. Received: nothing")


def test_an_interrupted_training_run_keeps_its_checkpoints_and_its_settings(tmp_path, monkeypatch, capsys):
    from core.layers.residual import onednn_enabled

    monkeypatch.setitem(registry._TASKS, _Trains.name, _Trains)
    monkeypatch.setattr(cli, "_strategy", lambda args: None)
    kernels = "onednn" if onednn_enabled() else "eigen"  # this process's TensorFlow started before the run
    for seed in (1, 2):
        out = tmp_path / f"run{seed}"
        if seed == 1:
            with pytest.raises(KeyboardInterrupt):
                cli.main(["train", "test.trains", "--output", str(out), "--seed", "1"])
        else:
            assert cli.main(["train", "test.trains", "--output", str(out), "--seed", "2"]) == 1
        assert (out / "backup").is_dir() and f"kept {out}: it holds the run's checkpoints" in capsys.readouterr().err
        assert json.loads((out / "train_config.json").read_text()) == {
            "task": "test.trains", "seed": seed, "epochs": 3, "batch_size": 4, "options": {}, "cpu_kernels": kernels}


class _Engines(registry.TaskRunner):
    """A tiny network on `.npy` inputs; option `spectrum`: complex-valued layers (onnx cannot hold them)."""

    name, description = "test.engines", "a tiny network on .npy windows"
    options = (registry.Option("bias", float, 0.0, "added to the output layer's bias: other weights"),
               registry.Option("spectrum", bool, False, "an FFT magnitude layer: only savedmodel holds it"))
    read = []

    def load_model(self, config):
        import keras
        import tensorflow as tf

        keras.utils.set_random_seed(0)
        layers = [keras.layers.Lambda(lambda x: tf.abs(tf.signal.rfft(x)))] if config.options["spectrum"] else []
        model = keras.Sequential([keras.Input((8, 3)), *layers, keras.layers.Conv1D(4, 2, activation="relu"),
                                  keras.layers.Flatten(), keras.layers.Dense(2)])
        model.layers[-1].bias.assign(model.layers[-1].bias + config.options["bias"])
        return model

    def predict(self, config, inputs):
        import numpy as np

        model = self.load_model(config)
        self.read.extend(inputs)
        return {"outputs": model.predict(np.stack([np.load(path) for path in inputs]), verbose=0).tolist()}


@pytest.fixture
def engines(tmp_path, monkeypatch):
    """The tiny task registered, the engine cache in tmp_path, and `export_model` counting its calls."""
    import numpy as np

    from core import export

    monkeypatch.setitem(registry._TASKS, _Engines.name, _Engines)
    monkeypatch.setattr(cli, "_strategy", lambda args: None)
    monkeypatch.setattr(_Engines, "read", [])
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    exports, export_model = [], export.export_model
    monkeypatch.setattr(export, "export_model", lambda *args, **kwargs: exports.append(1) or export_model(*args, **kwargs))
    inputs = []
    for index in range(2):
        inputs.append(str(tmp_path / f"window{index}.npy"))
        np.save(inputs[-1], np.random.default_rng(index).standard_normal((8, 3)).astype("float32"))
    return inputs, exports


def _predict(capsys, out, inputs, *flags):
    assert cli.main(["predict", "test.engines", "--json", "--verbose", "0", "--output", str(out), *flags, *inputs]) == 0
    results = json.loads(capsys.readouterr().out)
    assert json.loads((out / "predict_results.json").read_text()) == results  # the engine is recorded in the file
    return results


def test_predict_with_an_exported_engine_gives_tensorflow_s_outputs_and_reuses_its_export(tmp_path, engines, capsys):
    import numpy as np

    pytest.importorskip("onnxruntime")
    pytest.importorskip("tf2onnx")
    inputs, exports = engines
    keras_run = _predict(capsys, tmp_path / "tf", inputs)
    assert keras_run["engine"] == "tensorflow" and "engine_calls" not in keras_run and exports == []
    onnx_run = _predict(capsys, tmp_path / "onnx", inputs, "--engine", "onnx")
    assert (onnx_run["engine"], onnx_run["engine_calls"], len(exports)) == ("onnx", 1, 1)
    assert onnx_run["engine_runtime"].startswith("onnxruntime")
    np.testing.assert_allclose(onnx_run["outputs"], keras_run["outputs"], atol=1e-5)
    cache = tmp_path / "cache" / "resuite" / "engines"
    assert onnx_run["engine_folder"].startswith(str(cache))
    again = _predict(capsys, tmp_path / "onnx2", inputs, "--engine", "onnx")
    assert (again["engine_folder"], len(exports)) == (onnx_run["engine_folder"], 1)  # no second export
    # Other weights: exported again into another folder, and the outputs are the new weights'.
    shifted = _predict(capsys, tmp_path / "onnx3", inputs, "--engine", "onnx", "--option", "bias=0.5")
    assert len(exports) == 2 and shifted["engine_folder"] != onnx_run["engine_folder"]
    np.testing.assert_allclose(shifted["outputs"], np.asarray(keras_run["outputs"]) + 0.5, atol=1e-5)
    assert sorted(path.name for path in cache.iterdir()) == sorted(
        export_path.rpartition("/")[2] for export_path in (onnx_run["engine_folder"], shifted["engine_folder"]))


def test_a_format_that_cannot_hold_the_network_is_refused_before_any_input_is_read(tmp_path, engines, capsys):
    pytest.importorskip("onnxruntime")
    inputs, exports = engines
    out = tmp_path / "run"
    assert cli.main(["predict", "test.engines", "--engine", "onnx", "--option", "spectrum=true", "--output", str(out),
                     str(tmp_path / "absent.npy")]) == 1
    error = capsys.readouterr().err
    assert "cannot be exported to onnx: its graph computes complex-valued tensors" in error
    assert "The format that holds it: savedmodel. Received: --engine onnx\n" in error
    assert "absent.npy" not in error and _Engines.read == [] and exports == []
    assert not out.exists() and not (tmp_path / "cache" / "resuite" / "engines").exists()
    # The format that holds it runs it.
    results = _predict(capsys, out, inputs, "--engine", "savedmodel", "--option", "spectrum=true")
    assert (results["engine"], results["engine_calls"], _Engines.read) == ("savedmodel", 1, inputs)


def test_predict_help_lists_the_engines_and_an_unknown_one_exits_2(capsys):
    from core import export

    with pytest.raises(SystemExit) as exit_info:
        cli.main(["predict", "--help"])
    assert exit_info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--engine ENGINE" in text and f"one of {{{', '.join(export.ENGINES)}}}" in text
    assert "onnx int8" in text and "tflite float16" in text and "openvino float16" in text
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["predict", "test.engines", "--engine", "onnx float32", "x.npy"])
    assert exit_info.value.code == 2
    assert "argument --engine: invalid choice: 'onnx float32'" in capsys.readouterr().err
