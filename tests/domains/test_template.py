"""The template of `domains/README.md`, checked for every model package (`core.template`).

What reads files (the template's files, exports, declarations, the report's signature, presets
and their metadata, samples in use, imports) is `core.template.check_package`; what needs to run
code is here: `Model()` is the paper's configuration, every preset loads (and, `large`, repeats
its stored score on its stored data), and `demo` runs in smoke mode. The last tests build a
small domain that follows the template and break it one piece at a time: the check must say
what is missing.
"""

import importlib
import os
import pathlib
import sys
import textwrap
from unittest import mock

import keras
import pytest
from absl.testing import parameterized

from core import presets, registry, template
from core.registry import RunConfig
from core.testing import TestCase

PACKAGES = template.model_packages()
TASKS = sorted(name for package in PACKAGES for name in template.package_tasks(package))
EACH_PACKAGE = [(package.removeprefix("domains.").replace(".", "_"), package) for package in PACKAGES]
EACH_TASK = [(name.replace(".", "_"), name) for name in TASKS]


def _task(name):
    return next(tasks[name] for package in PACKAGES if name in (tasks := template.package_tasks(package)))


def _shipped(package):
    return [(task, name) for task in template.package_tasks(package).values()
            for name in task.model_class.presets()]


class DomainsTest(TestCase):
    def test_every_domain_is_discovered(self):
        self.assertGreaterEqual(len(PACKAGES), 7)
        self.assertIn("domains.mri.quality", PACKAGES)

    @parameterized.named_parameters(*EACH_PACKAGE)
    def test_the_package_follows_the_template(self, package):
        problems = template.check_package(package)
        self.assertEqual(problems, [], "\n".join(problems))

    @parameterized.named_parameters(*EACH_PACKAGE)
    def test_the_headline_model_is_the_papers_configuration(self, package):
        classes = {task.model_class for task in template.package_tasks(package).values()
                   if task.model_class.paper_parameters is not None}
        self.assertTrue(classes, f"{package}: give the headline model class its paper_parameters (the paper's count)")
        for model_class in classes:
            keras.backend.clear_session()
            self.assertEqual(model_class().trainable_parameter_count(), model_class.paper_parameters,
                             model_class.__name__)

    @parameterized.named_parameters(*EACH_PACKAGE)
    def test_every_preset_loads_as_its_model(self, package):
        shipped = _shipped(package)
        self.assertTrue(shipped, f"{package} ships no preset")
        for task, name in shipped:
            metadata = task.model_class.presets()[name]
            model = task.model_class.from_preset(name)
            self.assertIsInstance(model, task.model_class)
            self.assertEqual(model.preset_network().count_params(), metadata["parameters"], name)
            self.assertLessEqual(metadata["size_mb"], presets.MAX_PRESET_MB)
            self.assertTrue(metadata["command"].startswith("make presets"), name)
            self.assertTrue(metadata["score"]["command"].startswith(f"resuite evaluate {task.name} --preset {name}"))
            self.assertTrue(metadata["score"]["metrics"] and metadata["score"]["baselines"], name)

    @parameterized.named_parameters(*EACH_TASK)
    def test_the_demo_runs_in_smoke_mode(self, name):
        task = _task(name)
        with mock.patch.dict(os.environ, {"RESUITE_SMOKE": "1"}):
            row = task().demo(RunConfig(output_dir=pathlib.Path(self.get_temp_dir()), verbose=0,
                                        options=task.resolve_options()))
        self.assertLessEqual({"result", "baseline"}, set(row),
                             f"{name}: the demo's row needs a result beside its baseline: {row}")


class PresetScoreTest(TestCase):
    pytestmark = pytest.mark.large  # each evaluation takes from seconds to minutes

    def assertClose(self, actual, expected, path, tolerance):
        if isinstance(expected, dict):
            for key, value in expected.items():
                self.assertClose(actual[key], value, f"{path}.{key}", tolerance)
        elif isinstance(expected, list):
            self.assertEqual(len(actual), len(expected), path)
            for index, (got, value) in enumerate(zip(actual, expected)):
                self.assertClose(got, value, f"{path}[{index}]", tolerance)
        elif isinstance(expected, (int, float)) and not isinstance(expected, bool):
            self.assertEqual(actual, pytest.approx(expected, rel=tolerance, abs=tolerance, nan_ok=True), path)
        else:
            self.assertEqual(actual, expected, path)

    @parameterized.named_parameters(*EACH_PACKAGE)
    def test_every_preset_repeats_its_stored_score(self, package):
        for task, name in _shipped(package):
            score = task.model_class.presets()[name]["score"]
            results = task().evaluate(RunConfig(output_dir=pathlib.Path(self.get_temp_dir()) / name,
                                                seed=score["seed"], preset=name, options=dict(score["options"]),
                                                verbose=0))
            self.assertClose(results["metrics"], score["metrics"], f"{name}.metrics", score["tolerance"])
            self.assertClose(results["baselines"], score["baselines"], f"{name}.baselines", score["tolerance"])


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


class TemplateCheckTest(TestCase):
    """`check_package` on a domain `fake_<name>.<name>` that follows the template but for one piece."""

    def make_domain(self, domain, option_type="float", option_help="a scale", drop=(), preset=True):
        root = f"fake_{domain}"
        package = f"{root}.{domain}"
        base = pathlib.Path(self.get_temp_dir())
        folder = base / root / domain
        folder.mkdir(parents=True)
        (base / root / "__init__.py").write_text("")
        for name, text in FILES.items():
            if name not in drop:
                text = text.format(package=package, domain=domain, option_type=option_type, option_help=option_help)
                (folder / name).write_text(textwrap.dedent(text))
        self.enter_context(mock.patch.object(sys, "path", [str(base), *sys.path]))
        # The fake task leaves the registry, and its modules sys.modules, as they were.
        self.enter_context(mock.patch.object(registry, "_TASKS", dict(registry._TASKS)))
        self.addCleanup(lambda: [sys.modules.pop(name) for name in list(sys.modules) if name.startswith(root)])
        importlib.invalidate_caches()
        module = importlib.import_module(package)
        if preset:
            model = module.Tiny([keras.Input((2,)), keras.layers.Dense(1)])
            presets.save_preset(model, package, "tiny", {"task": f"{domain}.tiny", "description": "a tiny model",
                                                         "command": "make presets", "seed": 0,
                                                         "score": {"metrics": {"mae": 0.1}, "baselines": {}}})
        return package, root

    def test_a_domain_that_follows_the_template_passes(self):
        package, root = self.make_domain("whole")
        self.assertEqual(template.check_package(package, root=root), [])

    def test_a_domain_without_its_preset_is_told_to_make_it(self):
        package, root = self.make_domain("unmade", preset=False)
        self.assertEqual(template.check_package(package, root=root), [
            f"{package}: preset 'tiny' is not made: run `make presets` and commit presets/tiny/model.keras and "
            "metadata.json"])

    def test_a_domain_without_typed_options_is_told_which(self):
        package, root = self.make_domain("untyped", option_type="object")
        self.assertEqual(template.check_package(package, root=root), [
            "untyped.tiny: option 'scale' needs a type among ['bool', 'int', 'float', 'str', 'list', 'dict']. "
            "Received: type=<class 'object'>"])
        package, root = self.make_domain("undocumented", option_help=" ")
        self.assertEqual(template.check_package(package, root=root),
                         ["undocumented.tiny: option 'scale' needs a help text"])

    def test_a_domain_without_its_report_is_told_the_signature(self):
        package, root = self.make_domain("unreported", drop=("evaluation.py",))
        problems = template.check_package(package, root=root)
        self.assertIn(f"{package}: add evaluation.py", problems)
        self.assertIn(f"{package}: evaluation.py needs report('model', 'data', 'output_dir', 'title') -> "
                      "core.evaluation.report_result", problems)

    def test_import_circles_other_domains_and_tests_folders_are_found(self):
        folder = pathlib.Path(self.get_temp_dir()) / "one"
        folder.mkdir()
        (folder / "__init__.py").write_text("from domains.one import task\n")
        (folder / "task.py").write_text("from domains.one.model import Model\n")
        (folder / "model.py").write_text("def f():\n    from domains.one import presets\n")
        (folder / "presets.py").write_text("import domains.two.model\nFILES = 'tests/fixtures'\n"
                                           "def g():\n    from domains.one.task import T\n")
        problems = template.check_imports(folder, "domains.one")
        self.assertIn("domains.one.presets imports domains.two.model: no domain imports another "
                      "(move what both use to core)", problems)
        self.assertIn("domains.one.presets imports domains.one.task: only domains.one/__init__.py imports a task",
                      problems)
        self.assertIn("import circle: domains.one.task -> domains.one.model -> domains.one.presets -> "
                      "domains.one.task", problems)
        self.assertTrue(any(problem.startswith("domains.one.presets reads 'tests/fixtures'") for problem in problems))
        self.assertEqual(len(problems), 4)
