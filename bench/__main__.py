"""Run the benchmarks: every `bench/*.py` module with a `main(argv)`, or those named.

    python -m bench                          # all benchmarks, in name order
    python -m bench har_throughput           # one
    python -m bench har_throughput --quick   # options after the names go to each benchmark
    python -m bench --official CLONES --torch-python PY   # every benchmark that takes these options

A benchmark that fails is reported and the others still run; the exit status is then 1. Options
given without names go to every benchmark: one whose parser refuses them (argparse's exit status
2) is listed as skipped, not failed.
"""

import importlib
import pkgutil
import sys
import time
import traceback

import bench

# Modules of this package that are helpers, not benchmarks.
NOT_BENCHMARKS = {"common"}
USAGE_ERROR = 2  # argparse's exit status for options a parser does not take


def available():
    """Names of the benchmark modules in this folder, sorted."""
    names = [info.name for info in pkgutil.iter_modules(bench.__path__)]
    return sorted(n for n in names if not n.startswith("_") and n not in NOT_BENCHMARKS)


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        print("\navailable:", ", ".join(available()))
        return 0
    names = []
    while argv and not argv[0].startswith("-"):
        names.append(argv.pop(0))
    unknown = [n for n in names if n not in available()]
    if unknown:
        print(f"unknown benchmark(s) {unknown}; available: {', '.join(available())}", file=sys.stderr)
        return 2

    failed, skipped = [], []
    for name in names or available():
        print(f"\n=== bench.{name} ===", flush=True)
        start = time.perf_counter()
        try:
            status = importlib.import_module(f"bench.{name}").main(argv)
        except SystemExit as exit_:  # argparse errors and explicit exits
            status = exit_.code
        except Exception:  # noqa: BLE001 - report and go on with the next benchmark
            traceback.print_exc()
            status = 1
        print(f"=== bench.{name}: {time.perf_counter() - start:.0f} s ===", flush=True)
        if status == USAGE_ERROR and argv and not names:
            skipped.append(name)
        elif status:
            failed.append(name)
    if skipped:
        print(f"skipped (they do not take {' '.join(argv)}): {', '.join(skipped)}", file=sys.stderr)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
