"""The template of `domains/README.md`, checked for every model package (`core.template`).

What reads files (the template's files, exports, declarations, the report's signature, presets
and their metadata, samples in use, imports) is `core.template.check_package`; what needs to run
code is here: `Model()` is the paper's configuration, every preset loads (and, `large`, repeats
its stored score on its stored data), and `demo` runs in smoke mode. The last tests build a
small domain that follows the template and break it one piece at a time: the check must say
what is missing.
"""

import sys
import textwrap

import keras
import pytest

from core import presets, template
from core.registry import RunConfig, _TASKS

PACKAGES = template.model_packages()
TASKS = sorted(name for package in PACKAGES for name in template.package_tasks(package))


def _task(name):
    return next(tasks[name] for package in PACKAGES if name in (tasks := template.package_tasks(package)))


def test_every_domain_is_discovered():
    assert len(PACKAGES) >= 7 and "domains.mri.quality" in PACKAGES


@pytest.mark.parametrize("package", PACKAGES)
def test_the_package_follows_the_template(package):
    problems = template.check_package(package)
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("package", PACKAGES)
def test_the_headline_model_is_the_papers_configuration(package):
    classes = {task.model_class for task in template.package_tasks(package).values()
               if task.model_class.paper_parameters is not None}
    assert classes, f"{package}: give the headline model class its paper_parameters (the paper's count)"
    for model_class in classes:
        keras.backend.clear_session()
        assert model_class().trainable_parameter_count() == model_class.paper_parameters, model_class.__name__


def _shipped(package):
    return [(task, name) for task in template.package_tasks(package).values()
            for name in task.model_class.presets()]


@pytest.mark.parametrize("package", PACKAGES)
def test_every_preset_loads_as_its_model(package):
    shipped = _shipped(package)
    assert shipped, f"{package} ships no preset"
    for task, name in shipped:
        metadata = task.model_class.presets()[name]
        model = task.model_class.from_preset(name)
        assert isinstance(model, task.model_class)
        assert model.preset_network().count_params() == metadata["parameters"], name
        assert metadata["size_mb"] <= presets.MAX_PRESET_MB and metadata["command"].startswith("make presets")
        assert metadata["score"]["command"].startswith(f"resuite evaluate {task.name} --preset {name}")
        assert metadata["score"]["metrics"] and set(metadata["score"]["baselines"]), name


def _assert_close(actual, expected, path, tolerance):
    if isinstance(expected, dict):
        for key, value in expected.items():
            _assert_close(actual[key], value, f"{path}.{key}", tolerance)
    elif isinstance(expected, list):
        assert len(actual) == len(expected), path
        for index, (got, value) in enumerate(zip(actual, expected)):
            _assert_close(got, value, f"{path}[{index}]", tolerance)
    elif isinstance(expected, (int, float)) and not isinstance(expected, bool):
        assert actual == pytest.approx(expected, rel=tolerance, abs=tolerance, nan_ok=True), path
    else:
        assert actual == expected, path


@pytest.mark.large
@pytest.mark.parametrize("package", PACKAGES)
def test_every_preset_repeats_its_stored_score(package, tmp_path):
    for task, name in _shipped(package):
        score = task.model_class.presets()[name]["score"]
        results = task().evaluate(RunConfig(output_dir=tmp_path / name, seed=score["seed"], preset=name,
                                            options=dict(score["options"]), verbose=0))
        _assert_close(results["metrics"], score["metrics"], f"{name}.metrics", score["tolerance"])
        _assert_close(results["baselines"], score["baselines"], f"{name}.baselines", score["tolerance"])


@pytest.mark.parametrize("name", TASKS)
def test_the_demo_runs_in_smoke_mode(name, tmp_path, monkeypatch):
    monkeypatch.setenv("RESUITE_SMOKE", "1")
    task = _task(name)
    row = task().demo(RunConfig(output_dir=tmp_path, verbose=0, options=task.resolve_options()))
    assert {"result", "baseline"} <= set(row), f"{name}: the demo's row needs a result beside its baseline: {row}"


# --- the check itself, on a small domain built here ------------------------------------------
FILES = {
    "__init__.py": """
        from {package}.model import Tiny
        from {package} import task
        __all__ = ["Tiny"]
        """,
    "model.py": """
        import keras
        from core.presets import PresetMixin

        @keras.saving.register_keras_serializable(package="{package}")
        class Tiny(PresetMixin, keras.Sequential):
            paper_parameters = 3
        """,
    "samples.py": "",
    "data.py": "",
    "training.py": "",
    "evaluation.py": """
        def report(model, data, output_dir, title, **options):
            return {{}}
        """,
    "presets.py": """
        from core.presets import Recipe
        RECIPES = {{"tiny": Recipe("{domain}.tiny", "a tiny model", {{}}, 1)}}
        """,
    "task.py": """
        from core.registry import Option, TaskRunner, register_task
        from {package}.model import Tiny

        @register_task
        class TinyTask(TaskRunner):
            name = "{domain}.tiny"
            model_class = Tiny
            epochs, batch_size = 1, 2
            inputs = ("preset",)
            options = (Option("scale", {option_type}, 1.0, "{option_help}"),)
        """,
}


def _make_domain(tmp_path, monkeypatch, domain, option_type="float", option_help="a scale", drop=(), preset=True):
    """A domain `fake_<domain>.<domain>` on sys.path following the template but for `drop` and the options."""
    root = f"fake_{domain}"
    package = f"{root}.{domain}"
    folder = tmp_path / root / domain
    folder.mkdir(parents=True)
    (tmp_path / root / "__init__.py").write_text("")
    for name, text in FILES.items():
        if name not in drop:
            text = text.format(package=package, domain=domain, option_type=option_type, option_help=option_help)
            (folder / name).write_text(textwrap.dedent(text))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr("core.registry._TASKS", dict(_TASKS))  # the fake task leaves the registry as it was
    module = __import__(package, fromlist=["model"])
    if preset:
        model = module.Tiny([keras.Input((2,)), keras.layers.Dense(1)])
        presets.save_preset(model, package, "tiny", {"task": f"{domain}.tiny", "description": "a tiny model",
                                                     "command": "make presets", "seed": 0,
                                                     "score": {"metrics": {"mae": 0.1}, "baselines": {}}})
    return package, root


@pytest.fixture
def clean_modules():
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        if name.startswith("fake_"):
            del sys.modules[name]


def test_a_domain_that_follows_the_template_passes(tmp_path, monkeypatch, clean_modules):
    package, root = _make_domain(tmp_path, monkeypatch, "whole")
    assert template.check_package(package, root=root) == []


def test_a_domain_without_its_preset_is_told_to_make_it(tmp_path, monkeypatch, clean_modules):
    package, root = _make_domain(tmp_path, monkeypatch, "unmade", preset=False)
    assert template.check_package(package, root=root) == [
        f"{package}: preset 'tiny' is not made: run `make presets` and commit presets/tiny/model.keras and metadata.json"]


def test_a_domain_without_typed_options_is_told_which(tmp_path, monkeypatch, clean_modules):
    package, root = _make_domain(tmp_path, monkeypatch, "untyped", option_type="object")
    problems = template.check_package(package, root=root)
    assert problems == [f"untyped.tiny: option 'scale' needs a type among "
                        f"['bool', 'int', 'float', 'str', 'list', 'dict']. Received: type=<class 'object'>"]
    package, root = _make_domain(tmp_path, monkeypatch, "undocumented", option_help=" ")
    assert template.check_package(package, root=root) == ["undocumented.tiny: option 'scale' needs a help text"]


def test_a_domain_without_its_report_is_told_the_signature(tmp_path, monkeypatch, clean_modules):
    package, root = _make_domain(tmp_path, monkeypatch, "unreported", drop=("evaluation.py",))
    problems = template.check_package(package, root=root)
    assert f"{package}: add evaluation.py" in problems
    assert (f"{package}: evaluation.py needs report('model', 'data', 'output_dir', 'title') -> "
            f"core.evaluation.report_result") in problems


def test_import_circles_other_domains_and_tests_folders_are_found(tmp_path):
    folder = tmp_path / "one"
    folder.mkdir()
    (folder / "__init__.py").write_text("from domains.one import task\n")
    (folder / "task.py").write_text("from domains.one.model import Model\n")
    (folder / "model.py").write_text("def f():\n    from domains.one import presets\n")
    (folder / "presets.py").write_text("import domains.two.model\nFILES = 'tests/fixtures'\n"
                                       "def g():\n    from domains.one.task import T\n")
    problems = template.check_imports(folder, "domains.one")
    assert "domains.one.presets imports domains.two.model: no domain imports another (move what both use to core)" in problems
    assert "domains.one.presets imports domains.one.task: only domains.one/__init__.py imports a task" in problems
    assert "import circle: domains.one.task -> domains.one.model -> domains.one.presets -> domains.one.task" in problems
    assert any(problem.startswith("domains.one.presets reads 'tests/fixtures'") for problem in problems)
    assert len(problems) == 4
