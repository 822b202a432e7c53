"""Registry of runnable tasks: domains register them, the CLI runs them by name.

A domain module defines a `TaskRunner` subclass, declares its options with `Option`, and
decorates it with `@register_task`; `discover()` imports every subpackage of `domains` so that
the CLI never names a domain. A domain whose optional dependencies are missing is reported
with its install hint (`unavailable_domains()`), and the others keep working.
"""

import dataclasses
import functools
import importlib
import json
import pathlib
import pkgutil

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
        model_path: str or None. A saved `.keras` model (evaluate, predict).
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
    verbose: int = 1
    options: dict = dataclasses.field(default_factory=dict)

    def scope(self):
        """The strategy's scope (or the default one)."""
        import tensorflow as tf

        return (self.strategy or tf.distribute.get_strategy()).scope()


class TaskRunner:
    """A runnable task: train, evaluate, predict and a short demo on the real sample data.

    Subclasses set `name` ("domain.task"), `description`, `samples` (names of the sample
    registry the demo needs), `options` (a tuple of `Option`), `saved_models` (the kinds of
    `.keras` model the task saves and loads, see `core.model_files`; a `--model` file of another
    kind is refused with the task it belongs to) and implement the methods; each returns a dict
    of results (metrics, paths) that the CLI prints. `config.options` holds every declared option
    with its value.

    Example:
    ```python
    @register_task
    class HarFusionActNet(TaskRunner):
        name = "har.fusionactnet"
        description = "FusionActNet on accelerometer + gyroscope windows"
        samples = ("har.basicmotions_train", "har.basicmotions_test")
        options = (Option("fusion_learning_rate", float, 1e-4, "Adam rate of the fused stage"),)

        def train(self, config):
            rate = config.options["fusion_learning_rate"]
            ...
    ```
    """

    name = None
    description = ""
    samples = ()
    options = ()
    saved_models = ()

    def __init_subclass__(cls, **kwargs):
        # Whatever calls a task (the CLI, a script, a test), `config.options` reaches it checked
        # and complete: every declared option, typed, with its default when not given.
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
    def options_help(cls):
        """The declared options, one line each (for `resuite train TASK --help`)."""
        if not cls.options:
            return f"{cls.name} has no task options."
        lines = [f"options of {cls.name} (--option NAME=VALUE):"]
        lines += [f"  {option.describe()}" for option in sorted(cls.options, key=lambda o: o.name)]
        return "\n".join(lines)

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
        if not module.ispkg or module.name in _UNAVAILABLE:
            continue
        try:
            importlib.import_module(f"domains.{module.name}")
        except ModuleNotFoundError as error:
            if (error.name or "").split(".")[0] in ("core", "domains"):
                raise  # our own bug, not a missing dependency
            _UNAVAILABLE[module.name] = (f"needs the missing module {error.name!r}: "
                                         f'pip install "resuite[{module.name}]"')


def unavailable_domains():
    """{domain: reason with the install hint} for domains whose dependencies are missing."""
    discover()
    return dict(_UNAVAILABLE)


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
