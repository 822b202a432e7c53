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
        model_path: str or None. A saved `.keras` model (evaluate, predict; train: the start).
        preset: str or None. A shipped preset of the task's model, used like `model_path`.
        verbose: int. 0 silent, 1 progress bars, 2 one line per epoch. Defaults to 1.
        options: dict. Task options given by name (text or values); each task method receives
            them checked and complete (`TaskRunner.resolve_options`).
        engine: str or None. The inference engine of `TaskRunner.predict_with_engine` (`resuite
            predict --engine`): one of `core.export.ENGINES`; None means the task's `default_engine`.
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
    engine: str = None

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
    - `saved_models`: the kinds of `.keras` file `--model` accepts (see `core.model_files`): None
      (the default) for the model class's own, a tuple of kinds for others too, () for a task whose
      own `load_model` checks what it is given; a file another task saves is refused, naming it;
    - `cpu_kernels`: TensorFlow's CPU kernels that `resuite` starts the task with, "onednn" (the
      default) or "eigen", or a dict {CPU kind: either} choosing by the CPU's flags (kinds "avx512",
      "avx2", "other"; a kind left out gets "onednn"), e.g. `{"avx512": "onednn", "avx2": "eigen"}`.
      Read from the source before TensorFlow starts (`core.cli.use_cpu_kernels`), so a constant.
    - `default_engine`: the inference engine `resuite predict` runs the model with when `--engine`
      is not given (`predict_with_engine`): "tensorflow" (the default: the Keras model, with the
      task's `cpu_kernels`), or a float32 export format of `core.export.FORMATS` ("onnx",
      "openvino", ...) measured faster for this task (`python -m bench engines`); never a lower
      precision ("onnx int8" is offered by `--engine`, never applied unasked).
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
    saved_models = None
    cpu_kernels = "onednn"
    default_engine = "tensorflow"

    def __init_subclass__(cls, **kwargs):
        # Whatever calls a task (the CLI, a script, a test), `config` reaches it checked and
        # complete: every declared option typed, with its default when not given, inputs the
        # task does not read refused, default epochs and batch size filled in.
        super().__init_subclass__(**kwargs)
        for method in ("train", "evaluate", "predict", "demo", "make_preset", "preset_from_results"):
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
    def accepted_models(cls):
        """The kinds of `.keras` file `--model` accepts: `saved_models`, else the model class's name."""
        if cls.saved_models is not None:
            return tuple(cls.saved_models)
        return (cls.model_class.__name__,) if cls.model_class is not None else ()

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
            (model, metadata): `preset_from_results(config, self.train(config))`. A task whose
            preset is not made from one training run's results overrides this instead.
        """
        return self.preset_from_results(config, self.train(config))

    def preset_from_results(self, config, results):
        """The preset of a finished training run: its model and what to record beside it.

        `make_preset` calls it after training; `core.presets.make_preset(run_dir=...)` calls it
        on the results that a `resuite train` run wrote (`train_results.json`), so that a long
        run trained in the background becomes the preset without training again.

        Args:
            config: RunConfig of the run (the recipe's options, epochs, batch size and seed).
            results: dict returned by `train` (`best_model` and the run's figures).

        Returns:
            (model, metadata): the trained model (its `best_model`) and a dict of what to record
            beside it: the training run's scalar results, without the paths of its run folder
            (`best_model`, a report's `report_json`) or a report's title (its held-out score is
            recorded by `core.presets.score_preset`). A domain overrides it to ship another model
            (e.g. a calibrated one) or record more.
        """
        from core.evaluation import REPORT_KEYS
        from core.model_files import load_model_file

        model = load_model_file(results["best_model"], self.model_class)
        training = {key: value for key, value in results.items()
                    if isinstance(value, (int, float, str, bool)) and key not in ("best_model", *REPORT_KEYS)}
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

    @classmethod
    def engine_of(cls, config):
        """The inference engine of a predict run: `config.engine`, else the task's `default_engine`.

        Args:
            config: RunConfig. Its `engine` (None: the task's `default_engine`).

        Returns:
            str: the engine's name, single-spaced ("onnx int8").

        Example:
        ```python
        TaskRunner.engine_of(RunConfig(output_dir=pathlib.Path("runs")))                        # 'tensorflow'
        TaskRunner.engine_of(RunConfig(output_dir=pathlib.Path("runs"), engine="onnx  int8"))   # 'onnx int8'
        ```

        Raises:
            ValueError: an unknown engine (listing `core.export.ENGINES`), or a `default_engine`
                that is unknown or of lower precision, naming the task's module.
        """
        from core import export

        if config.engine is not None:
            return export.engine_name(config.engine)
        where = f"{cls.__module__.replace('.', '/')}.py ({cls.name})"
        try:
            _, precision = export.parse_engine(cls.default_engine)
        except ValueError as error:
            raise ValueError(f"{where}: default_engine: {error}") from None
        if precision is not None:
            raise ValueError(f"{where}: default_engine must be float32 (tensorflow or an export format): a lower "
                             f"precision is offered by --engine, never applied unasked. Received: "
                             f"default_engine={cls.default_engine!r}")
        return export.engine_name(cls.default_engine)

    def predict_with_engine(self, config, inputs):
        """`predict` with the inference network run by an engine: what `resuite predict` calls.

        The engine is `config.engine` (`--engine`), else the task's `default_engine`. "tensorflow"
        runs `predict` as it is. Any other engine is prepared before `predict` reads any input: the
        model is loaded, its inference network exported once into the engine cache (a format
        that cannot hold it is refused with `core.export`'s reason) and its call replaced by the
        exported runtime (`core.quantize.use_engine`); `predict`'s own `load_model` then receives
        that model, and the Keras path is restored afterwards.

        Args:
            config: RunConfig. As for `predict`, with `engine`.
            inputs: list of str. As for `predict`.

        Returns:
            dict: `predict`'s results with "engine" (the engine that ran) and, for an exported
            engine, "engine_runtime", "engine_calls" (runs of the exported file) and
            "engine_folder" (the cached export).

        Raises:
            ValueError: an unknown engine, a format the network cannot hold, or a `predict` that
                never ran the exported network (`engine_calls` 0: it would have compared nothing).

        Example:
        ```python
        # example: not run (the shipped preset and a real LAMOST file)
        task = get_task("lamost.rrnet")
        config = RunConfig(output_dir=pathlib.Path("runs/rrnet"), preset="rrnet_synthetic", engine="onnx")
        task.predict_with_engine(config, ["med-58118-TD045606N223435K01_sp01-059.fits.gz"])["engine_calls"]   # 1
        ```
        """
        from core import quantize

        engine = self.engine_of(config)
        if engine == "tensorflow":
            return {**self.predict(config, inputs), "engine": engine}
        _prepare(self, config, "predict")  # as `predict` does: refused before the model is loaded
        model = self.load_model(config)
        handle = quantize.use_engine(model, engine, verbose=config.verbose)
        self.load_model = lambda run_config: model  # `predict` loads the switched model
        try:
            results = self.predict(config, inputs)
        finally:
            del self.load_model
            handle.restore()
        handle.check_ran(f"{self.name}'s predict")
        return {**results, **handle.describe()}


def _prepare(task, config, method):
    """What every task method receives: options resolved, inputs checked, default epochs and batch size."""
    config.options = task.resolve_options(config.options)
    task.check_inputs(config)
    if method != "demo":  # a demo sets its own short budget
        config.epochs = task.epochs if config.epochs is None else config.epochs
        config.batch_size = task.batch_size if config.batch_size is None else config.batch_size
    if config.model_path:
        from core.model_files import check_model_file

        check_model_file(config.model_path, task)


def _with_resolved_options(method):
    @functools.wraps(method)
    def run(self, config, *args, **kwargs):
        _prepare(self, config, method.__name__)
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


def unavailable_domains():
    """{domain: reason with the install hint} for domains whose dependencies are missing (imports every domain).

    `core.task_source.missing_extras` answers the same without importing anything.
    """
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
    from core.task_source import describe_tasks
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
