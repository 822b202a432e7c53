"""Registry of runnable tasks: domains register them, the CLI runs them by name.

A domain module defines a `TaskRunner` subclass, declares its options with `Option`, and
decorates it with `@register_task`; `discover()` imports every subpackage of `domains` so that
the CLI never names a domain. A domain whose optional dependencies are missing is reported
with its install hint (`unavailable_domains()`), and the others keep working.
"""

import ast
import dataclasses
import functools
import importlib
import importlib.util
import json
import operator
import pathlib
import pkgutil
import re
import sys

_TASKS = {}
_UNAVAILABLE = {}  # domain -> why it cannot be imported, with the install hint
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


@dataclasses.dataclass(frozen=True)
class Option:
    """One declared task option: `--option NAME=VALUE` on the command line.

    A value given as text (the CLI) is parsed to `type`: `bool` takes true/false/yes/no/on/off/1/0,
    `list` and `dict` take JSON; a value given from Python must already be of that type. `None`
    is accepted only where it is the default ("not set").

    Args:
        name: str. The option's key.
        type: one of bool, int, float, str, list, dict.
        default: the value when the option is not given.
        help: str. One line for `resuite train TASK --help`.
        choices: tuple. The allowed values, if only some are. Defaults to () (any).

    Example:
    ```python
    patch = Option("patch_size", int, 64, "HR patch edge in voxels")
    assert patch.parse("32") == 32
    ```
    """

    name: str
    type: type
    default: object
    help: str
    choices: tuple = ()

    def parse(self, value):
        """`value` (text from the CLI, or a Python value) as this option's type; a clear error otherwise."""
        if value is None and self.default is None:
            return None
        try:
            parsed = self._parse(value)
        except (ValueError, TypeError, json.JSONDecodeError):
            raise ValueError(
                f"Option {self.name!r} expects {self.type.__name__}. Received: {self.name}={value!r}"
            ) from None
        if self.choices and parsed not in self.choices:
            raise ValueError(f"Option {self.name!r} must be one of {list(self.choices)}. Received: {self.name}={value!r}")
        return parsed

    def _parse(self, value):
        text = isinstance(value, str)
        if self.type is bool:
            if isinstance(value, bool):
                return value
            if text and value.strip().lower() in _TRUE + _FALSE:
                return value.strip().lower() in _TRUE
            raise ValueError(value)
        if self.type in (list, dict):
            parsed = json.loads(value) if text else value
            if self.type is list and isinstance(parsed, tuple):
                parsed = list(parsed)
            if not isinstance(parsed, self.type):
                raise TypeError(value)
            return parsed
        if self.type is int:
            if isinstance(value, bool) or not (text or isinstance(value, int)):
                raise TypeError(value)
            return int(value)
        if self.type is float:
            if isinstance(value, bool) or not (text or isinstance(value, (int, float))):
                raise TypeError(value)
            return float(value)
        if self.type is str:
            if not text:
                raise TypeError(value)
            return value
        raise TypeError(f"Option {self.name!r} has an unsupported type {self.type!r}")

    def describe(self):
        """One line of help: name, type, default, choices, text."""
        default = json.dumps(self.default) if isinstance(self.default, (list, dict, bool)) else repr(self.default)
        choices = f"; one of {', '.join(map(str, self.choices))}" if self.choices else ""
        return f"{self.name} ({self.type.__name__}, default {default}{choices}): {self.help}"


@dataclasses.dataclass
class RunConfig:
    """What the CLI (or a script) asks of a task run.

    Args:
        output_dir: Path. Folder for checkpoints, logs, reports and plots.
        strategy: tf.distribute.Strategy or None. Build and compile inside its scope.
        epochs: int or None. None means the task's default.
        batch_size: int or None. Global batch size; None means the task's default.
        seed: int. Seed of every random choice. Defaults to 0.
        data: str or None. Path of the user's own data set (a hand-downloaded folder).
        dataset: str or None. Name of the data set, when a task serves several.
        model_path: str or None. A saved `.keras` model (evaluate, predict; train: the start).
        preset: str or None. A shipped preset of the task's model, used like `model_path`.
        verbose: int. 0 silent, 1 progress bars, 2 one line per epoch. Defaults to 1.
        options: dict. Task options given by name (text or values); each task method receives
            them checked and complete (`TaskRunner.resolve_options`).
    """

    output_dir: pathlib.Path
    strategy: object = None
    epochs: int = None
    batch_size: int = None
    seed: int = 0
    data: str = None
    dataset: str = None
    model_path: str = None
    preset: str = None
    verbose: int = 1
    options: dict = dataclasses.field(default_factory=dict)

    def scope(self):
        """The strategy's scope (or the default one)."""
        import tensorflow as tf

        return (self.strategy or tf.distribute.get_strategy()).scope()


INPUTS = ("data", "dataset", "model", "preset")
_FLAGS = {"data": "--data", "dataset": "--dataset", "model": "--model", "preset": "--preset"}


class TaskRunner:
    """A runnable task: train, evaluate, predict and a short demo on the real sample data.

    A task declares itself once, in class attributes:
    - `name` ("domain.task"), `description`, `samples` (the sample registry's names it uses);
    - `model_class`: the model it trains, saves and loads (`--model PATH`, `--preset NAME`);
    - `epochs`, `batch_size`: the defaults of `--epochs` and `--batch-size`, filled into the
      `RunConfig` of `train`, `evaluate` and `predict` when not given;
    - `inputs`: which of `--data`, `--dataset`, `--model`, `--preset` it reads (`INPUTS`); one it
      does not read is refused, naming it, before any work;
    - `options`: a tuple of `Option`; `config.options` reaches each method checked and complete;
    - `saved_models`: the kinds of `.keras` file `--model` accepts (see `core.model_files`); a
      file of another kind is refused with the task it belongs to.
    Each method returns a dict of results that the CLI prints; `evaluate` returns the domain's
    `report` (`core.evaluation.report_result`: metrics, baselines, figures).

    Example:
    ```python
    from core.tasks import Classifier

    @register_task
    class ActivityTask(TaskRunner):
        name = "mydomain.activity"
        description = "a ResNet on accelerometer + gyroscope windows"
        samples = ("har.basicmotions_train", "har.basicmotions_test")
        model_class = Classifier
        epochs, batch_size = 30, 16
        inputs = ("data", "model")
        options = (Option("learning_rate", float, 1e-3, "peak AdamW rate"),)

        def train(self, config):
            rate = config.options["learning_rate"]   # checked, typed, with its default
            ...

    ActivityTask().train(RunConfig("runs/activity", options={"learning_rate": "3e-4"}))   # epochs 30 filled in
    ```
    """

    name = None
    description = ""
    samples = ()
    model_class = None
    epochs = None
    batch_size = None
    inputs = ()
    options = ()
    saved_models = ()

    def __init_subclass__(cls, **kwargs):
        # Whatever calls a task (the CLI, a script, a test), `config` reaches it checked and
        # complete: every declared option typed, with its default when not given, inputs the
        # task does not read refused, default epochs and batch size filled in.
        super().__init_subclass__(**kwargs)
        for method in ("train", "evaluate", "predict", "demo"):
            if method in cls.__dict__:
                setattr(cls, method, _with_resolved_options(cls.__dict__[method]))

    @classmethod
    def resolve_options(cls, given=None):
        """Every declared option with its value: `given` (text or Python values) over the defaults.

        Raises:
            ValueError: for a key the task does not declare (listing those it does), or a value
                of the wrong type (naming the option).
        """
        declared = {option.name: option for option in cls.options}
        unknown = sorted(set(given or {}) - set(declared))
        if unknown:
            known = ", ".join(sorted(declared)) or "none"
            raise ValueError(f"Task {cls.name} has no option {', '.join(map(repr, unknown))}. "
                             f"Its options: {known}. Received: {', '.join(unknown)}")
        values = {name: option.default for name, option in declared.items()}
        values.update({key: declared[key].parse(value) for key, value in (given or {}).items()})
        return values

    @classmethod
    def check_inputs(cls, config):
        """Refuse `--data`, `--dataset`, `--model` or `--preset` when the task does not read it.

        Raises:
            ValueError: naming the input and the ones the task reads.
        """
        given = {"data": config.data, "dataset": config.dataset, "model": config.model_path, "preset": config.preset}
        for key, value in given.items():
            if value is not None and key not in cls.inputs:
                reads = ", ".join(_FLAGS[name] for name in cls.inputs) or "none of them"
                raise ValueError(f"Task {cls.name} does not use {_FLAGS[key]} (it reads {reads}). "
                                 f"Received: {_FLAGS[key]} {value}")
        if config.model_path is not None and config.preset is not None:
            raise ValueError(f"Give one model: --model or --preset. Received: --model {config.model_path} "
                             f"--preset {config.preset}")

    @classmethod
    def options_help(cls):
        """The declared inputs and options, one line each (for `resuite train TASK --help`)."""
        return TaskInfo.of(cls).options_help()

    def load_model(self, config):
        """The model to evaluate or run: `--preset NAME` or `--model PATH`, checked to be a `model_class`.

        Raises:
            ValueError: neither given (listing the presets), or a file of another class.
            FileNotFoundError: no such file.
        """
        if config.preset:
            return self.model_class.from_preset(config.preset)
        if config.model_path:
            from core.model_files import load_model_file

            return load_model_file(config.model_path, self.model_class)
        presets = ", ".join(self.model_class.presets()) if "preset" in self.inputs else ""
        raise ValueError(f"Task {self.name} needs a model: --model PATH (a saved {self.model_class.__name__} .keras)"
                         + (f" or --preset NAME ({presets or 'none shipped'})" if "preset" in self.inputs else "")
                         + ". Received: neither")

    def make_preset(self, config):
        """Train a preset's model (`core.presets.make_preset` calls it in a throw-away folder).

        Returns:
            (model, metadata): the trained model (its `best_model`) and a dict of what to record
            beside it (the training run's scalar results). A domain overrides it to ship another
            model (e.g. a calibrated one) or record more.
        """
        results = self.train(config)
        from core.model_files import load_model_file

        model = load_model_file(results["best_model"], self.model_class)
        training = {key: value for key, value in results.items()
                    if isinstance(value, (int, float, str, bool)) and key != "best_model"}
        return model, {"training": training}

    def train(self, config):
        raise NotImplementedError(f"{self.name} has no train")

    def evaluate(self, config):
        raise NotImplementedError(f"{self.name} has no evaluate")

    def predict(self, config, inputs):
        raise NotImplementedError(f"{self.name} has no predict")

    def demo(self, config):
        """A brief real run on the sample data; returns one row of the demo table."""
        raise NotImplementedError(f"{self.name} has no demo")


def _with_resolved_options(method):
    @functools.wraps(method)
    def run(self, config, *args, **kwargs):
        config.options = self.resolve_options(config.options)
        self.check_inputs(config)
        if method.__name__ != "demo":  # a demo sets its own short budget
            config.epochs = self.epochs if config.epochs is None else config.epochs
            config.batch_size = self.batch_size if config.batch_size is None else config.batch_size
        if config.model_path:
            from core.model_files import check_model_file

            check_model_file(config.model_path, self)
        return method(self, config, *args, **kwargs)

    return run


def register_task(cls):
    """Class decorator: register a `TaskRunner` subclass under `cls.name`."""
    if not cls.name or "." not in cls.name:
        raise ValueError(f'A task name is "domain.task". Received: name={cls.name!r} for {cls.__name__}')
    if cls.name in _TASKS and _TASKS[cls.name] is not cls:
        raise ValueError(f"Task {cls.name!r} is registered twice ({_TASKS[cls.name].__name__}, {cls.__name__})")
    _TASKS[cls.name] = cls
    return cls


def discover():
    """Import every `domains.*` subpackage so that each registers its tasks.

    A domain that fails to import for a missing third-party module is recorded with the install
    hint of its extra (`unavailable_domains()`) instead of breaking every other domain.
    """
    import domains

    for module in pkgutil.iter_modules(domains.__path__):
        if module.ispkg and module.name not in _UNAVAILABLE:
            _import_domain(module.name, f"domains.{module.name}")


def _import_domain(domain, module):
    """Import `module` of `domain`; a missing third-party module marks the domain unavailable."""
    try:
        importlib.import_module(module)
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] in ("core", "domains"):
            raise  # our own bug, not a missing dependency
        _UNAVAILABLE[domain] = _missing_reason(domain, error.name)


def _missing_reason(domain, module):
    return f'needs the missing module {module!r}: pip install "resuite[{domain}]"'


def unavailable_domains(imported=True):
    """{domain: reason with the install hint} for domains whose dependencies are missing.

    Args:
        imported: bool. True imports every domain (`discover`) and records what fails; False
            follows each domain's module-level imports in its source and looks each third-party
            module up (`importlib.util.find_spec`) without importing anything (`resuite list`).
            Defaults to True.

    Example:
    ```python
    from core.registry import unavailable_domains
    unavailable_domains(imported=False)   # {} when every extra is installed
    ```
    """
    if imported:
        discover()
        return dict(_UNAVAILABLE)
    return _missing_extras(_Source())


def _missing_extras(source):
    import domains

    missing = dict(_UNAVAILABLE)
    for module in pkgutil.iter_modules(domains.__path__):
        if module.ispkg and module.name not in missing:
            name = source.missing_module(f"domains.{module.name}")
            if name:
                missing[module.name] = _missing_reason(module.name, name)
    return dict(sorted(missing.items()))


def list_tasks():
    """Registered tasks, sorted by name: {name: TaskRunner subclass}."""
    discover()
    return dict(sorted(_TASKS.items()))


def get_task(name):
    """An instance of the registered task `name`; a clear error lists the known ones."""
    tasks = list_tasks()
    if name not in tasks:
        domain = name.split(".")[0]
        if domain in _UNAVAILABLE:
            raise ValueError(f"Task {name!r}: the domain {domain!r} {_UNAVAILABLE[domain]}")
        raise ValueError(f"Unknown task {name!r}. Registered tasks: {', '.join(tasks) or 'none'}")
    return tasks[name]()


# Reading the tasks without importing them: `resuite list` and `resuite train TASK --help` answer
# in about a second, without TensorFlow. The classes in `domains/**/task.py` stay the one source
# of truth: their declarations are read from the source (`ast`), following the constants they
# name into the modules that define them; a package whose declarations are not such constant
# expressions is imported instead.

@dataclasses.dataclass(frozen=True)
class TaskInfo:
    """What `resuite list` and `resuite TASK --help` show of a task, without running its module.

    Args:
        name: str. "domain.task".
        description: str. One line.
        samples: tuple of str. The sample files it reads.
        epochs: int or None. Default epochs.
        batch_size: int or None. Default batch size.
        inputs: tuple of str. Which of --data, --dataset, --model, --preset it reads.
        options: tuple of `Option`.
        presets: tuple of str, or None. The shipped presets of its model (None: no --preset).
        module: str. The module that defines the task.

    Example:
    ```python
    from core.registry import describe_tasks
    info = describe_tasks()["fundus.dr"]      # read from domains/fundus/task.py: no TensorFlow
    print(info.description, info.options_help(), sep="\\n")
    ```
    """

    name: str
    description: str
    samples: tuple
    epochs: object
    batch_size: object
    inputs: tuple
    options: tuple
    presets: object
    module: str

    @classmethod
    def of(cls, task):
        """The `TaskInfo` of a `TaskRunner` subclass (its model's presets listed when it reads --preset)."""
        presets = None
        if task.model_class is not None and "preset" in task.inputs:
            presets = tuple(task.model_class.presets())
        return cls(task.name, task.description, tuple(task.samples), task.epochs, task.batch_size,
                   tuple(task.inputs), tuple(task.options), presets, task.__module__)

    def options_help(self):
        """The declared inputs and options, one line each (for `resuite train TASK --help`)."""
        reads = ", ".join(_FLAGS[name] for name in self.inputs) or "none"
        lines = [f"{self.name} reads {reads}; defaults --epochs {self.epochs}, --batch-size {self.batch_size}."]
        if self.presets is not None:
            lines.append(f"presets (--preset NAME): {', '.join(self.presets) or 'none shipped'}")
        if not self.options:
            return "\n".join(lines + [f"{self.name} has no task options."])
        lines += [f"options of {self.name} (--option NAME=VALUE):"]
        lines += [f"  {option.describe()}" for option in sorted(self.options, key=lambda o: o.name)]
        return "\n".join(lines)


def task_modules():
    """Dotted names of every `task.py` under the `domains` package (each path of `domains.__path__`).

    Example:
    ```python
    task_modules()    # ['domains.aramaic.task', 'domains.fundus.task', ..., 'domains.speech.task']
    ```
    """
    import domains

    names = set()
    for base in map(pathlib.Path, domains.__path__):
        names.update(".".join(("domains", *path.relative_to(base).with_suffix("").parts))
                     for path in base.rglob("task.py"))
    return sorted(names)


def read_tasks(import_unreadable=True):
    """{name: TaskInfo} of the tasks of every available domain, read from their source.

    Args:
        import_unreadable: bool. A `task.py` whose declarations the reader cannot follow (not
            constant expressions) is imported and its classes described; False leaves its tasks
            out. Defaults to True.

    Example:
    ```python
    from core.registry import read_tasks
    sorted(read_tasks())          # ['aramaic.letters', 'fundus.dr', ...], nothing imported
    ```
    """
    source, infos = _Source(), {}
    unavailable = _missing_extras(source)
    for module in task_modules():
        domain = module.split(".")[1]
        if domain in unavailable:
            continue
        try:
            infos.update(source.tasks(module))
        except _Unreadable:
            if import_unreadable:
                _import_domain(domain, module.rpartition(".")[0])
                infos.update({name: TaskInfo.of(task) for name, task in _TASKS.items() if task.__module__ == module})
    return dict(sorted(infos.items()))


def describe_tasks():
    """{name: TaskInfo} of every task: `read_tasks()`, with the tasks registered in this process.

    Example:
    ```python
    print(describe_tasks()["har.resnet1d"].options_help())   # what `resuite train har.resnet1d --help` lists
    ```
    """
    infos = read_tasks()
    infos.update({name: TaskInfo.of(task) for name, task in _TASKS.items()})
    return dict(sorted(infos.items()))


class _Unreadable(Exception):
    """A declaration that is not a constant expression the reader can follow."""


@dataclasses.dataclass(frozen=True)
class _Definition:
    """A class or function defined in our source: its module and `ast` node."""

    module: str
    node: object


@dataclasses.dataclass(frozen=True)
class _ModuleName:
    name: str


class _Opaque:
    """A dict value the reader could not evaluate: its keys are still usable (`tuple(d)`)."""


_BUILTINS = {f.__name__: f for f in (bool, int, float, str, list, tuple, dict, set, len, sorted, range, min, max, abs,
                                     round)}
_KEY_FUNCTIONS = (tuple, list, set, sorted, len, min, max)
_OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
              ast.FloorDiv: operator.floordiv, ast.Pow: operator.pow, ast.Mod: operator.mod,
              ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_}
_DECLARED = ("name", "description", "samples", "epochs", "batch_size", "inputs", "options", "model_class")


def _concrete(value):
    if isinstance(value, _Opaque):
        raise _Unreadable("a value the reader could not evaluate")
    if isinstance(value, dict):
        for item in value.items():
            _concrete(item)
    elif isinstance(value, (tuple, list, set, frozenset)):
        for item in value:
            _concrete(item)
    return value


class _Source:
    """Module-level names of `core` and `domains` modules, resolved from their source without importing them."""

    def __init__(self):
        self._trees, self._bindings, self._files, self._missing = {}, {}, {}, {}

    def file(self, module):
        """The source file of `module`, or None when it is not one of ours or absent."""
        if module not in self._files:
            parts, found = module.split("."), None
            if parts[0] in ("core", "domains"):
                for base in importlib.import_module(parts[0]).__path__:  # both are light
                    path = pathlib.Path(base, *parts[1:])
                    candidates = [path / "__init__.py"] + ([path.with_suffix(".py")] if parts[1:] else [])
                    found = next((c for c in candidates if c.is_file()), None)
                    if found:
                        break
            self._files[module] = found
        return self._files[module]

    def tree(self, module):
        if module not in self._trees:
            path = self.file(module)
            if path is None:
                raise _Unreadable(f"no source file for {module}")
            self._trees[module] = ast.parse(path.read_text(), str(path))
        return self._trees[module]

    def _absolute(self, node, module):
        if not node.level:
            return node.module
        base = module.split(".")
        base = base[:len(base) - node.level + (1 if self.file(module).name == "__init__.py" else 0)]
        return ".".join(base + ([node.module] if node.module else []))

    def bindings(self, module):
        """{name: ("expr", node) | ("module", name) | ("from", module, name) | ("def", node)} at module level."""
        if module not in self._bindings:
            found = {}
            for node in self.tree(module).body:
                if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                    for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                        found.update(_assigned(target, node.value))
                elif isinstance(node, ast.Import):
                    for alias in node.names:
                        found[alias.asname or alias.name.split(".")[0]] = (
                            ("module", alias.name) if alias.asname else ("module", alias.name.split(".")[0]))
                elif isinstance(node, ast.ImportFrom):
                    base = self._absolute(node, module)
                    for alias in node.names:
                        found[alias.asname or alias.name] = ("from", base, alias.name)
                elif isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                    found[node.name] = ("def", node)
            self._bindings[module] = found
        return self._bindings[module]

    def resolve(self, module, name, depth=0):
        if depth > 50:
            raise _Unreadable(f"{module}.{name}: too deep")
        binding = self.bindings(module).get(name)
        if binding is None:
            if name in _BUILTINS:
                return _BUILTINS[name]
            raise _Unreadable(f"{module} does not bind {name}")
        kind = binding[0]
        if kind == "expr":
            return self.evaluate(binding[1], module, depth=depth + 1)
        if kind == "module":
            return _ModuleName(binding[1])
        if kind == "def":
            return _Definition(module, binding[1])
        base, attribute = binding[1:]
        if self.file(f"{base}.{attribute}") is not None:
            return _ModuleName(f"{base}.{attribute}")
        if self.file(base) is None:
            raise _Unreadable(f"{base}.{attribute} is not ours")
        return self.resolve(base, attribute, depth + 1)

    def evaluate(self, node, module, scope=None, depth=0):
        """The value of the expression `node` in `module` (`scope`: local names to thunks)."""
        scope = scope or {}

        def value(child, local=scope):
            return self.evaluate(child, module, local, depth)

        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return scope[node.id]() if node.id in scope else self.resolve(module, node.id, depth)
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            items = []
            for element in node.elts:
                if isinstance(element, ast.Starred):
                    items.extend(_concrete(value(element.value)))
                else:
                    items.append(value(element))
            return {ast.Tuple: tuple, ast.List: list, ast.Set: set}[type(node)](items)
        if isinstance(node, ast.Dict):
            if any(key is None for key in node.keys):
                raise _Unreadable("a dict with **")
            return {_concrete(value(key)): _try(lambda v=v: value(v)) for key, v in zip(node.keys, node.values)}
        if isinstance(node, ast.Attribute):
            base = value(node.value)
            if isinstance(base, _ModuleName):
                return self.resolve(base.name, node.attr, depth + 1)
            raise _Unreadable(f"attribute {node.attr} of a {type(base).__name__}")
        if isinstance(node, ast.JoinedStr):
            return "".join(self._formatted(part, value) for part in node.values)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            return _OPERATORS[type(node.op)](_concrete(value(node.left)), _concrete(value(node.right)))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _OPERATORS:
            return _OPERATORS[type(node.op)](_concrete(value(node.operand)))
        if isinstance(node, ast.Call):
            return self._call(node, value)
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
            items = list(self._comprehension(node.elt, node.generators, module, scope, depth))
            return set(items) if isinstance(node, ast.SetComp) else items if isinstance(node, ast.ListComp) else tuple(items)
        raise _Unreadable(f"{type(node).__name__} expression")

    def _formatted(self, part, value):
        if isinstance(part, ast.Constant):
            return part.value
        item = _concrete(value(part.value))
        item = {-1: item, 115: str(item), 114: repr(item), 97: ascii(item)}[part.conversion]
        spec = "" if part.format_spec is None else value(part.format_spec)
        return format(item, spec)

    def _call(self, node, value):
        function = value(node.func)
        if any(isinstance(arg, ast.Starred) for arg in node.args) or any(k.arg is None for k in node.keywords):
            raise _Unreadable("a call with * or **")
        args = [value(arg) for arg in node.args]
        kwargs = {keyword.arg: _concrete(value(keyword.value)) for keyword in node.keywords}
        if function in _KEY_FUNCTIONS and len(args) == 1 and isinstance(args[0], dict):
            return function(_concrete(list(args[0])) if function is not len else args[0])
        args = [_concrete(arg) for arg in args]
        if function in _BUILTINS.values():
            return function(*args, **kwargs)
        if _is_definition(function, "core.registry", "Option"):
            return Option(*args, **kwargs)
        raise _Unreadable(f"a call of {ast.unparse(node.func)}")

    def _comprehension(self, element, generators, module, scope, depth):
        first, rest = generators[0], generators[1:]
        for item in _concrete(self.evaluate(first.iter, module, scope, depth)):
            local = {**scope, **{name: (lambda v=v: v) for name, v in _unpack(first.target, item).items()}}
            if all(self.evaluate(test, module, local, depth) for test in first.ifs):
                if rest:
                    yield from self._comprehension(element, rest, module, local, depth)
                else:
                    yield self.evaluate(element, module, local, depth)

    def class_attributes(self, definition):
        """{attribute: thunk} of a class, over those of its bases (TaskRunner's at the root)."""
        attributes = {}
        for base in reversed(definition.node.bases):
            target = self.evaluate(base, definition.module)
            if _is_definition(target, "core.registry", "TaskRunner"):
                attributes.update({name: (lambda name=name: getattr(TaskRunner, name)) for name in _DECLARED})
            elif isinstance(target, _Definition) and isinstance(target.node, ast.ClassDef):
                attributes.update(self.class_attributes(target))
            else:
                raise _Unreadable(f"base class {ast.unparse(base)}")
        own = {}
        for node in definition.node.body:
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                    own.update(_assigned(target, node.value))
        scope = {}
        for name, binding in own.items():
            if binding[0] != "expr":
                raise _Unreadable(f"class attribute {name}")
            scope[name] = functools.partial(self.evaluate, binding[1], definition.module, scope)
        attributes.update(scope)
        return attributes

    def tasks(self, module):
        """{name: TaskInfo} of the `@register_task` classes of `module`.

        Raises:
            _Unreadable: a declaration the reader cannot follow.
        """
        infos = {}
        for node in self.tree(module).body:
            if not (isinstance(node, ast.ClassDef) and any(
                    _is_definition(self.evaluate(d, module), "core.registry", "register_task")
                    for d in node.decorator_list)):
                continue
            attributes = self.class_attributes(_Definition(module, node))
            values = {name: attributes[name]() for name in _DECLARED}
            presets = None
            if values["model_class"] is not None and "preset" in values["inputs"]:
                presets = self.presets(values["model_class"])
            info = TaskInfo(values["name"], values["description"], tuple(values["samples"]), values["epochs"],
                            values["batch_size"], tuple(values["inputs"]), tuple(values["options"]), presets, module)
            infos[info.name] = _concrete_info(info)
        return infos

    def presets(self, model_class):
        """The names of the shipped presets of a model class (`core.presets.PresetMixin.presets`)."""
        if not (isinstance(model_class, _Definition) and isinstance(model_class.node, ast.ClassDef)):
            raise _Unreadable("model_class is not a class of ours")
        if {"preset_package", "presets"} & self.bindings_of_class(model_class):
            raise _Unreadable(f"{model_class.node.name} finds its presets its own way")
        package = model_class.module.rpartition(".")[0]
        folder = self.file(package).parent / "presets"
        model_file, metadata_file = self.resolve("core.presets", "MODEL_FILE"), self.resolve("core.presets", "METADATA_FILE")
        if not folder.is_dir():
            return ()
        return tuple(path.name for path in sorted(folder.iterdir()) if (path / model_file).is_file()
                     and json.loads((path / metadata_file).read_text()).get("class") == model_class.node.name)

    def bindings_of_class(self, definition):
        names = {node.name for node in definition.node.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
        for base in definition.node.bases:
            target = _try(lambda base=base: self.evaluate(base, definition.module))
            if isinstance(target, _Definition) and isinstance(target.node, ast.ClassDef) and target.module != "core.presets":
                names |= self.bindings_of_class(target)
        return names

    def missing_module(self, module):
        """The first third-party module that importing `module` would miss, or None.

        Follows the module-level imports of our own modules (parents first, as `import` does);
        looks each other module up with `importlib.util.find_spec` (nothing is imported).
        """
        if module in self._missing or self.file(module) is None:
            return self._missing.get(module)
        self._missing[module] = None  # an import circle ends here
        parent = module.rpartition(".")[0]
        missing = parent and self.missing_module(parent)
        for name in [] if missing else self._module_imports(module):
            top = name.split(".")[0]
            if top in ("core", "domains"):
                missing = self.missing_module(name)
            elif top not in sys.stdlib_module_names and importlib.util.find_spec(top) is None:
                missing = top
            if missing:
                break
        self._missing[module] = missing or None
        return self._missing[module]

    def _module_imports(self, module):
        """The modules that `module` imports at module level, in order (its import lines alone are parsed)."""
        text = _TRIPLE_QUOTED.sub("", self.file(module).read_text())
        try:
            body = ast.parse("\n".join(_IMPORT_LINE.findall(text))).body
        except SyntaxError:
            body = self.tree(module).body
        names = []
        for node in body:
            if isinstance(node, ast.Import):
                names += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = self._absolute(node, module)
                names += [base] + [f"{base}.{alias.name}" for alias in node.names if self.file(f"{base}.{alias.name}")]
        return names


_TRIPLE_QUOTED = re.compile(r'""".*?"""|\'\'\'.*?\'\'\'', re.S)
_IMPORT_LINE = re.compile(r"^(?:from[ \t]+[\w.]+[ \t]+import[ \t]+(?:\([^)]*\)|.*)|import[ \t]+.*)", re.M)


def _assigned(target, value):
    if isinstance(target, ast.Name):
        return {target.id: ("expr", value)}
    if isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, (ast.Tuple, ast.List)) \
            and len(target.elts) == len(value.elts):
        found = {}
        for part, part_value in zip(target.elts, value.elts):
            found.update(_assigned(part, part_value))
        return found
    if isinstance(target, (ast.Tuple, ast.List)):
        return {name.id: ("unreadable",) for name in ast.walk(target) if isinstance(name, ast.Name)}
    return {}


def _unpack(target, item):
    if isinstance(target, ast.Name):
        return {target.id: item}
    if isinstance(target, ast.Tuple):
        item = tuple(item)
        if len(item) != len(target.elts):
            raise _Unreadable("unpacking")
        found = {}
        for part, part_item in zip(target.elts, item):
            found.update(_unpack(part, part_item))
        return found
    raise _Unreadable("a comprehension target")


def _try(thunk):
    try:
        return thunk()
    except _Unreadable:
        return _Opaque()


def _is_definition(value, module, name):
    return isinstance(value, _Definition) and value.module == module and getattr(value.node, "name", None) == name


def _concrete_info(info):
    for field in dataclasses.fields(info):
        _concrete(getattr(info, field.name))
    if not isinstance(info.name, str) or not all(isinstance(option, Option) for option in info.options):
        raise _Unreadable(f"declarations of {info.name}")
    return info
