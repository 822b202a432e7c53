"""Task declarations read from source (`core.task_source`): what `resuite list` and `--help` show without TensorFlow."""

import sys

import pytest

from core import registry, task_source
from core.registry import Option


def test_the_tasks_read_from_source_are_the_registered_ones():
    # `resuite list` and `--help` read the declarations without importing the domains: what they
    # read must be what the imported classes declare, task by task and field by field.
    read = task_source.read_tasks(import_unreadable=False)
    imported = {name: registry.TaskInfo.of(task) for name, task in registry.list_tasks().items()}
    assert list(read) == list(imported)
    for name, info in imported.items():
        assert read[name] == info, name
        assert read[name].options_help() == registry.get_task(name).options_help()


_STATIC_TASK = '''
from core.registry import Option, TaskRunner, register_task
from domains.staticdomain import constants
from domains.staticdomain.constants import EPOCHS, NAMES

BASE = (Option("mode", str, "a", "a mode", choices=tuple(NAMES)),)


class _Base(TaskRunner):
    samples = ("staticdomain.sample",)
    epochs, batch_size = EPOCHS, 2 ** 3


@register_task
class Static(_Base):
    name = "staticdomain.static"
    description = f"static, {EPOCHS:d} epochs"
    inputs = ("data",)
    options = (*BASE, Option("sizes", list, [size * 2 for size in (1, 2)], "sizes"),
               Option("n", int, -constants.EPOCHS, "n"))
'''


def _domain(root, name, files):
    folder = root / name
    folder.mkdir()
    for file, text in files.items():
        (folder / file).write_text(text)


def test_the_reader_follows_constants_bases_and_stars_and_imports_what_it_cannot_read(tmp_path, monkeypatch):
    import domains

    _domain(tmp_path, "staticdomain", {
        "__init__.py": "from domains.staticdomain import task\n",
        "constants.py": 'EPOCHS = 3\nNAMES = {"a": object(), "b": object()}\n',
        "task.py": _STATIC_TASK})
    _domain(tmp_path, "dynamicdomain", {
        "__init__.py": "from domains.dynamicdomain import task\n",
        "task.py": "from core.registry import TaskRunner, register_task\n\n\n@register_task\nclass Dynamic(TaskRunner):\n"
                   "    name = 'dynamicdomain.dynamic'\n    description = 'computed'.upper()\n"})
    monkeypatch.setattr(domains, "__path__", [*domains.__path__, str(tmp_path)])
    monkeypatch.setattr(registry, "_TASKS", dict(registry._TASKS))
    try:
        read = task_source.read_tasks(import_unreadable=False)
        assert "dynamicdomain.dynamic" not in read and "domains.dynamicdomain" not in sys.modules
        assert "domains.staticdomain" not in sys.modules  # read, not imported
        assert read["staticdomain.static"] == registry.TaskInfo(
            "staticdomain.static", "static, 3 epochs", ("staticdomain.sample",), 3, 8, ("data",),
            (Option("mode", str, "a", "a mode", choices=("a", "b")), Option("sizes", list, [2, 4], "sizes"),
             Option("n", int, -3, "n")), None, "domains.staticdomain.task")
        # What the reader cannot follow is imported: the class says it.
        assert task_source.read_tasks()["dynamicdomain.dynamic"].description == "COMPUTED"
        import domains.staticdomain  # noqa: F401  the imported class agrees with the reading
        assert registry.TaskInfo.of(registry._TASKS["staticdomain.static"]) == read["staticdomain.static"]
    finally:
        for name in [name for name in sys.modules if name.startswith(("domains.staticdomain", "domains.dynamicdomain"))]:
            sys.modules.pop(name)


def test_a_missing_extra_is_found_without_importing_the_domain(tmp_path, monkeypatch):
    import domains

    _domain(tmp_path, "lazydomain", {
        "__init__.py": '"""A domain.\n\nimport resuite_test_only_in_a_docstring\n"""\nfrom domains.lazydomain import model\n',
        "model.py": "import json\n\nimport core.registry\nfrom . import helpers\n",
        "helpers.py": "def f():\n    import resuite_test_only_in_a_function\n\n\nimport resuite_test_missing_extra\n"})
    monkeypatch.setattr(domains, "__path__", [*domains.__path__, str(tmp_path)])
    monkeypatch.setattr(registry, "_UNAVAILABLE", {})
    assert task_source.missing_extras() == {
        "lazydomain": "needs the missing module 'resuite_test_missing_extra': pip install \"resuite[lazydomain]\""}
    assert "domains.lazydomain" not in sys.modules
    # The import agrees.
    assert registry.unavailable_domains() == task_source.missing_extras()
    sys.modules.pop("domains.lazydomain", None)


def test_each_task_s_declared_cpu_kernels_are_read_from_its_source_as_its_class_declares_them(monkeypatch):
    tasks = registry.list_tasks()
    monkeypatch.setattr(registry, "_TASKS", {})  # read from the source, not asked of the imported classes
    for name, task in tasks.items():
        assert task_source.declared(name, "cpu_kernels") == (task.cpu_kernels, task.__module__), name
    assert task_source.declared("nosuch.task", "cpu_kernels") is None


_KERNELS_TASK = '''
from core.registry import TaskRunner, register_task
from domains.kernelsdomain.measured import APNET


class _Base(TaskRunner):
    cpu_kernels = "eigen"


@register_task
class Inherits(_Base):
    name = "kernelsdomain.inherits"


@register_task
class PerCpu(_Base):
    name = "kernelsdomain.per_cpu"
    cpu_kernels = {"avx512": APNET["avx512"], "avx2": "eig" + "en"}


@register_task
class Default(TaskRunner):
    name = "kernelsdomain.default"


@register_task
class Computed(TaskRunner):
    name = "kernelsdomain.computed"
    cpu_kernels = "EIGEN".lower()


@register_task
class Missing(TaskRunner):
    name = "kernelsdomain.missing"
    cpu_kernels = APNET["avx2"]
'''


def test_declared_follows_constants_and_bases_of_the_task_s_domain_only_and_imports_nothing(tmp_path, monkeypatch):
    import domains

    _domain(tmp_path, "kernelsdomain", {"__init__.py": "from domains.kernelsdomain import task\n",
                                        "measured.py": 'APNET = {"avx512": "onednn"}\n', "task.py": _KERNELS_TASK})
    monkeypatch.setattr(domains, "__path__", [*domains.__path__, str(tmp_path)])
    module = "domains.kernelsdomain.task"
    assert task_source.declared("kernelsdomain.inherits", "cpu_kernels") == ("eigen", module)
    assert task_source.declared("kernelsdomain.per_cpu", "cpu_kernels") == ({"avx512": "onednn", "avx2": "eigen"}, module)
    assert task_source.declared("kernelsdomain.default", "cpu_kernels") == ("onednn", module)
    assert task_source.declared("kernelsdomain.computed", "cpu_kernels") is None  # not a constant: not read
    assert task_source.declared("kernelsdomain.missing", "cpu_kernels") is None  # a KeyError: not read either
    assert task_source.declared("kernelsdomain.per_cpu", "epochs") == (None, module)
    assert not [name for name in sys.modules if name.startswith("domains.kernelsdomain")]
    with pytest.raises(ValueError, match=r"core/task_source.py reads TaskRunner class attributes only. "
                                         r"Received: attribute='train_fast'"):
        task_source.declared("kernelsdomain.per_cpu", "train_fast")
