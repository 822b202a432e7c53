"""Registry of runnable tasks: domains register them, the CLI runs them by name.

A domain module defines a `TaskRunner` subclass and decorates it with `@register_task`;
`discover()` imports every subpackage of `domains` so that the CLI never names a domain.
"""

import dataclasses
import importlib
import pathlib
import pkgutil

_TASKS = {}


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
        options: dict. Task-specific options (`--option key=value` on the CLI).
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

    Subclasses set `name` ("domain.task"), `description`, `samples` (names in
    `core.data.samples.SAMPLES` the demo needs) and implement the methods; each returns a
    dict of results (metrics, paths) that the CLI prints.

    Example:
    ```python
    @register_task
    class HarFusionActNet(TaskRunner):
        name = "har.fusionactnet"
        description = "FusionActNet on accelerometer + gyroscope windows"
        samples = ("har.basicmotions_train", "har.basicmotions_test")

        def train(self, config): ...
    ```
    """

    name = None
    description = ""
    samples = ()

    def train(self, config):
        raise NotImplementedError(f"{self.name} has no train")

    def evaluate(self, config):
        raise NotImplementedError(f"{self.name} has no evaluate")

    def predict(self, config, inputs):
        raise NotImplementedError(f"{self.name} has no predict")

    def demo(self, config):
        """A brief real run on the sample data; returns one row of the demo table."""
        raise NotImplementedError(f"{self.name} has no demo")


def register_task(cls):
    """Class decorator: register a `TaskRunner` subclass under `cls.name`."""
    if not cls.name or "." not in cls.name:
        raise ValueError(f'A task name is "domain.task". Received: name={cls.name!r} for {cls.__name__}')
    if cls.name in _TASKS and _TASKS[cls.name] is not cls:
        raise ValueError(f"Task {cls.name!r} is registered twice ({_TASKS[cls.name].__name__}, {cls.__name__})")
    _TASKS[cls.name] = cls
    return cls


def discover():
    """Import every `domains.*` subpackage so that each registers its tasks."""
    import domains

    for module in pkgutil.iter_modules(domains.__path__):
        if module.ispkg:
            importlib.import_module(f"domains.{module.name}")


def list_tasks():
    """Registered tasks, sorted by name: {name: TaskRunner subclass}."""
    discover()
    return dict(sorted(_TASKS.items()))


def get_task(name):
    """An instance of the registered task `name`; a clear error lists the known ones."""
    tasks = list_tasks()
    if name not in tasks:
        raise ValueError(f"Unknown task {name!r}. Registered tasks: {', '.join(tasks) or 'none'}")
    return tasks[name]()
