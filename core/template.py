"""The domain template as code: what `domains/README.md` asks of a model package, checked.

A model package is a folder under `domains/` with a `task.py` (`domains.fundus`,
`domains.mri.disgan`, ...). `check_package` reads its files (their text and imports: nothing
is run but the import of the package, which registers its tasks) and returns one message per
problem, each saying what to add or change. `tests/domains/test_template.py` runs it for every
package, beside the checks that need to run code (the paper's parameter count, the presets'
stored scores, the demo).

Example:
```python
from core import template
template.model_packages()                     # ['domains.aramaic', 'domains.fundus', ...]
template.check_package("domains.fundus")      # [] when it follows the template
```
"""

import ast
import importlib
import inspect
import json
import pathlib

from core.data import samples
from core.presets import METADATA_FILE, MODEL_FILE, PresetMixin, Recipe, presets_dir
from core.registry import INPUTS, list_tasks

FILES = ("__init__.py", "model.py", "training.py", "evaluation.py", "presets.py", "task.py")
REPORT_PARAMETERS = ("model", "data", "output_dir", "title")
OPTION_TYPES = (bool, int, float, str, list, dict)
MAX_EXPORTS = 10
METADATA_KEYS = ("name", "class", "task", "description", "command", "seed", "parameters", "size_mb", "score")


def model_packages(root="domains"):
    """Dotted names of the model packages under `root`: the folders that hold a `task.py`."""
    base = _folder(root)
    return sorted(".".join((root, *path.parent.relative_to(base).parts)) for path in base.rglob("task.py"))


def _folder(package):
    return pathlib.Path(importlib.import_module(package).__file__).parent


def package_tasks(package):
    """The registered tasks ({name: class}) defined in `package`'s `task.py`."""
    importlib.import_module(package)
    return {name: task for name, task in list_tasks().items() if task.__module__ == f"{package}.task"}


def check_package(package, root="domains"):
    """Every way `package` departs from the template, one message each (empty: it follows it).

    Args:
        package: str. A model package, e.g. "domains.mri.quality".
        root: str. The package that holds the domains. Defaults to "domains".

    Returns:
        list of str.
    """
    folder = _folder(package)
    domain = package.split(".")[1]
    problems = _check_files(folder, package)
    tasks = package_tasks(package)
    if not tasks:
        return problems + [f"{package}: task.py registers no task (@register_task on a TaskRunner subclass)"]
    for task in tasks.values():
        problems += check_task(task)
    problems += _check_exports(package, tasks)
    problems += _check_report(package)
    problems += _check_presets(package, tasks)
    domain_folder = _folder(f"{root}.{domain}")
    problems += check_samples_used(domain, domain_folder)
    problems += check_imports(domain_folder, f"{root}.{domain}", root)
    return problems


def _check_files(folder, package):
    problems = [f"{package}: add {name}" for name in FILES if not (folder / name).is_file()]
    if not ((folder / "data.py").is_file() or (folder / "data" / "__init__.py").is_file()):
        problems.append(f"{package}: add data.py or a data/ package (the data sets' readers)")
    if not ((folder / "samples.py").is_file() or (folder.parent / "samples.py").is_file()):
        problems.append(f"{package}: add samples.py (the domain's real sample files), here or at the domain's level")
    return problems


def check_task(task):
    """What a task must declare: its model class, default epochs and batch size, inputs, typed options.

    Args:
        task: a `core.registry.TaskRunner` subclass.

    Returns:
        list of str, one message per missing or malformed declaration.
    """
    problems = []
    name = task.name
    if not (inspect.isclass(task.model_class) and issubclass(task.model_class, PresetMixin)):
        problems.append(f"{name}: declare model_class, a model class with from_preset (core.tasks.Task, "
                        f"core.training.GANModel). Received: model_class={task.model_class!r}")
    for attribute in ("epochs", "batch_size"):
        value = getattr(task, attribute)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            problems.append(f"{name}: declare the default {attribute} (a positive int). Received: {attribute}={value!r}")
    unknown = [item for item in task.inputs if item not in INPUTS]
    if unknown or not task.inputs:
        problems.append(f"{name}: declare inputs, some of {INPUTS}. Received: inputs={task.inputs!r}")
    for option in task.options:
        if option.type not in OPTION_TYPES:
            problems.append(f"{name}: option {option.name!r} needs a type among {[t.__name__ for t in OPTION_TYPES]}. "
                            f"Received: type={option.type!r}")
        elif not option.help.strip():
            problems.append(f"{name}: option {option.name!r} needs a help text")
        elif option.default is not None:
            try:
                option.parse(option.default)
            except ValueError as error:
                problems.append(f"{name}: option {option.name!r} has a default of another type: {error}")
    for sample in task.samples:
        if sample not in samples.SAMPLES:
            problems.append(f"{name}: sample {sample!r} is not registered (samples.py)")
    return problems


def _check_exports(package, tasks):
    module = importlib.import_module(package)
    exported = getattr(module, "__all__", None)
    if exported is None:
        return [f"{package}: __init__.py must list its public names in __all__"]
    problems = []
    if len(exported) > MAX_EXPORTS:
        problems.append(f"{package}: __all__ exports {len(exported)} names; keep the few a user starts from "
                        f"(at most {MAX_EXPORTS})")
    for task in tasks.values():
        model = getattr(task.model_class, "__name__", None)
        if getattr(task.model_class, "__module__", "").startswith("core."):
            continue  # a core model (e.g. `core.tasks.Classifier`) is exported by core
        if model and model not in exported:
            problems.append(f"{package}: export the model {model} of {task.name} in __all__")
    return problems


def _check_report(package):
    try:
        report = importlib.import_module(f"{package}.evaluation").report
    except (ImportError, AttributeError):
        return [f"{package}: evaluation.py needs report{REPORT_PARAMETERS} -> core.evaluation.report_result"]
    parameters = list(inspect.signature(report).parameters.values())
    names = tuple(parameter.name for parameter in parameters[:len(REPORT_PARAMETERS)])
    rest = parameters[len(REPORT_PARAMETERS):]
    positional = [p.name for p in rest if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]
    if names != REPORT_PARAMETERS or positional:
        return [f"{package}: evaluation.report must take {', '.join(REPORT_PARAMETERS)} and keyword options "
                f"only. Received: report{inspect.signature(report)}"]
    return []


def _check_presets(package, tasks):
    try:
        recipes = importlib.import_module(f"{package}.presets").RECIPES
    except (ImportError, AttributeError):
        return [f"{package}: presets.py must declare RECIPES = {{name: core.presets.Recipe(...)}}"]
    problems = []
    if not recipes:
        problems.append(f"{package}: ship at least one preset (a Recipe in presets.py, made by `make presets`)")
    shipped = presets_dir(package)
    folders = {path.name for path in shipped.iterdir() if path.is_dir()} if shipped.is_dir() else set()
    for name in sorted(folders - set(recipes)):
        problems.append(f"{package}: presets/{name} has no Recipe in presets.py")
    for name, recipe in recipes.items():
        if not isinstance(recipe, Recipe):
            problems.append(f"{package}: RECIPES[{name!r}] must be a core.presets.Recipe. Received: {type(recipe).__name__}")
            continue
        if recipe.task not in tasks:
            problems.append(f"{package}: preset {name!r} names task {recipe.task!r}, not one of {sorted(tasks)}")
            continue
        folder = shipped / name
        if not ((folder / MODEL_FILE).is_file() and (folder / METADATA_FILE).is_file()):
            problems.append(f"{package}: preset {name!r} is not made: run `make presets` and commit "
                            f"presets/{name}/{MODEL_FILE} and {METADATA_FILE}")
            continue
        metadata = json.loads((folder / METADATA_FILE).read_text())
        missing = [key for key in METADATA_KEYS if key not in metadata]
        if missing:
            problems.append(f"{package}: preset {name!r} metadata lacks {missing} (make it with `make presets`; "
                            f"`python scripts/make_presets.py --score {name}` records the score)")
        model_class = tasks[recipe.task].model_class
        if metadata.get("class") != getattr(model_class, "__name__", None):
            problems.append(f"{package}: preset {name!r} is recorded for class {metadata.get('class')!r}, not "
                            f"{getattr(model_class, '__name__', None)!r} of {recipe.task}")
    return problems


def check_samples_used(domain, folder):
    """Every sample registered for `domain` is named by one of its modules (other than samples.py).

    Args:
        domain: str. The domain's name, e.g. "mri".
        folder: Path of the domain's package.

    Returns:
        list of str.
    """
    text = "\n".join(path.read_text() for path in folder.rglob("*.py") if path.name != "samples.py")
    return [f"domains.{domain}: sample {name!r} is registered but used by nothing: use it or remove it"
            for name, sample in samples.SAMPLES.items() if sample.domain == domain and f'"{name}"' not in text]


def _module_name(path, folder, package):
    parts = path.relative_to(folder).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join((package, *parts))


def _imports(tree, module, is_package, modules):
    """The modules of `modules` (or outside names) imported anywhere in `tree` (top level or in functions).

    `from package import name` counts as importing `package.name` when that is a module, else `package`.
    """
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[:len(base) - node.level + (1 if is_package else 0)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            submodules = [f"{target}.{alias.name}" for alias in node.names if f"{target}.{alias.name}" in modules]
            names += submodules if len(submodules) == len(node.names) else [target, *submodules]
    return names


def check_imports(folder, package, root="domains"):
    """No import of another domain, `task.py` imported only by its package's `__init__`, no import circle.

    Imports inside functions count: a circle hidden in a function is still a circle.

    Args:
        folder: Path of the domain's package.
        package: str. Its dotted name, e.g. "domains.mri".
        root: str. Defaults to "domains".

    Returns:
        list of str.
    """
    problems, graph = [], {}
    modules = {_module_name(path, folder, package): path for path in sorted(folder.rglob("*.py"))}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(), str(path))
        targets = _imports(tree, module, path.name == "__init__.py", modules)
        for target in sorted(set(targets)):
            if target.startswith(f"{root}.") and not (target + ".").startswith(package + "."):
                problems.append(f"{module} imports {target}: no domain imports another (move what both use to core)")
            if target.endswith(".task") and target in modules and module != target.rpartition(".")[0]:
                problems.append(f"{module} imports {target}: only {target.rpartition('.')[0]}/__init__.py imports a task")
        graph[module] = sorted({target for target in targets if target in modules and target != module})
    for cycle in _cycles(graph):
        problems.append(f"import circle: {' -> '.join(cycle)}")
    for module, path in modules.items():
        for constant in _path_constants(ast.parse(path.read_text())):
            problems.append(f"{module} reads {constant!r}: nothing reads tests/ at run time (an installed "
                            "package has no tests/); ship the file in the package or register it as a sample")
    return problems


def _cycles(graph):
    """One representative of each import circle in `graph` ({module: [imported modules]})."""
    found, state, stack = [], {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for target in graph.get(node, ()):
            if state.get(target) == "open":
                cycle = stack[stack.index(target):] + [target]
                if not any(set(cycle) == set(other) for other in found):
                    found.append(cycle)
            elif target not in state:
                visit(target)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def _path_constants(tree):
    """String constants that name the source tree's `tests/` folder (docstrings aside)."""
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
            and (node.value == "tests" or node.value.startswith("tests/"))]
