"""Execute notebooks in place, keeping their outputs: `make notebooks` (real budgets).

    python scripts/run_notebooks.py notebooks/*.ipynb      # RESUITE_SMOKE unset or 0: real budgets

Each notebook runs in its own folder (as Jupyter does), with a progress line per notebook and
its wall time; a failing cell stops that notebook with the cell's error and the file is left
unchanged.
"""

import argparse
import os
import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient


def run(path, timeout):
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    nbformat.write(notebook, path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="+", type=pathlib.Path)
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per cell (default: 3600)")
    args = parser.parse_args(argv)
    if os.environ.get("RESUITE_SMOKE", "0") not in ("", "0"):
        parser.error("RESUITE_SMOKE is set: stored outputs must come from the real budgets. Unset it.")
    failed = []
    for path in args.notebooks:
        start = time.time()
        print(f"executing {path} ...", flush=True)
        try:
            run(path, args.timeout)
        except Exception as error:  # report every notebook, then fail
            failed.append(path)
            print(f"FAILED {path}: {type(error).__name__}: {str(error)[-2000:]}", file=sys.stderr, flush=True)
            continue
        print(f"  done in {time.time() - start:.0f} s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
