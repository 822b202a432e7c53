"""Run the fenced ```python examples in the docstrings of a package's public API.

Every public module, class, function and method of the packages in `PACKAGES` is collected
(walking the package; names starting with "_" are private). Each fenced python block of a
docstring is one test, run in a fresh namespace holding the module's globals (the documented
names and the module's imports) plus `np`, `keras` and `tf`, in a temporary working folder.

An example that cannot run here (it needs the user's data set, a trained model, a GPU cluster...)
says so on its first line, which the test reports as the skip reason:

    # example: not run (needs your data set)

Every other example must run.
"""

import importlib
import inspect
import linecache
import pkgutil
import re
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

PACKAGES = ("core",)
MARKER = "# example: not run"
_FENCE = re.compile(r"^[ \t]*```python[ \t]*\n(.*?)^[ \t]*```", re.DOTALL | re.MULTILINE)


def public_modules(package_name):
    """The package and its submodules whose dotted names have no private part."""
    package = importlib.import_module(package_name)
    names = [package_name]
    for info in pkgutil.walk_packages(package.__path__, prefix=f"{package_name}."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return [importlib.import_module(name) for name in sorted(names)]


def documented_objects(module):
    """`(qualified name, object)` of the module and the public objects it defines."""
    yield module.__name__, module
    for name, value in sorted(vars(module).items()):
        if name.startswith("_") or getattr(value, "__module__", None) != module.__name__:
            continue
        if inspect.isfunction(value):
            yield f"{module.__name__}.{name}", value
        elif inspect.isclass(value):
            yield f"{module.__name__}.{name}", value
            for attribute, member in sorted(vars(value).items()):
                member = getattr(member, "__func__", member)  # staticmethod / classmethod
                if isinstance(member, property):
                    member = member.fget
                if not attribute.startswith("_") and inspect.isfunction(member):
                    yield f"{module.__name__}.{name}.{attribute}", member


def docstring_examples(package_name):
    """`(test id, source, module globals)` of every fenced python example under the package."""
    for module in public_modules(package_name):
        for qualified_name, value in documented_objects(module):
            blocks = _FENCE.findall(inspect.getdoc(value) or "")
            for index, block in enumerate(blocks):
                test_id = qualified_name if len(blocks) == 1 else f"{qualified_name}[{index}]"
                yield test_id, textwrap.dedent(block), vars(module)


EXAMPLES = [example for package in PACKAGES for example in docstring_examples(package)]


def test_examples_are_collected():
    # A module docstring, a class, a function, several blocks of one module: all are found.
    ids = {test_id for test_id, _, _ in EXAMPLES}
    expected = {"core.metrics.losses", "core.layers.residual.ResidualBlock", "core.evaluation.save_report",
                "core.data.tfrecord.read_tfrecord_shards"}
    assert expected <= ids, sorted(ids)


@pytest.mark.parametrize("package_name", PACKAGES)
def test_one_example_style(package_name):
    """Examples are fenced ```python blocks: no `>>>` doctest lines, which nothing runs."""
    doctest_style = [
        name
        for module in public_modules(package_name)
        for name, value in documented_objects(module)
        if re.search(r"^\s*>>> ", inspect.getdoc(value) or "", re.MULTILINE)
    ]
    assert doctest_style == []


@pytest.mark.parametrize("source, module_globals", [e[1:] for e in EXAMPLES], ids=[e[0] for e in EXAMPLES])
def test_docstring_example(source, module_globals, tmp_path, monkeypatch, request):
    first_line = source.strip().splitlines()[0] if source.strip() else ""
    if first_line.startswith(MARKER):
        pytest.skip(first_line[len(MARKER):].strip(" ()") or "marked not run")
    monkeypatch.chdir(tmp_path)
    # An example may register a task: it goes to an empty registry, thrown away afterwards.
    monkeypatch.setattr("core.registry._TASKS", {})
    keras.backend.clear_session()
    namespace = {**module_globals, "np": np, "keras": keras, "tf": tf, "__name__": "__docstring_example__"}
    filename = f"<docstring example {request.node.callspec.id}>"
    # Registered source: tracebacks show the example's lines and AutoGraph can read its functions.
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    exec(compile(source, filename, "exec"), namespace)
