"""Execute notebooks in place, keeping their outputs: `make notebooks` (real budgets).

    python scripts/run_notebooks.py notebooks/*.ipynb      # RESUITE_SMOKE unset or 0: real budgets

Each notebook runs in its own folder (as Jupyter does), with a progress line per notebook and
its wall time; a failing cell stops that notebook with the cell's error and the file is left
unchanged. TensorFlow's C++ start-up lines on stderr (absl's "I0000 … oneDNN custom operations
are on", which TF_CPP_MIN_LOG_LEVEL does not silence) are dropped from the stored outputs.
"""

import argparse
import os
import pathlib
import re
import sys
import time

import nbformat
from nbclient import NotebookClient


TF_LOG_LINE = re.compile(r"^(WARNING: All log messages before absl::InitializeLog\(\)|[IWE]\d{4} \d\d:\d\d:\d\d)")


def drop_tensorflow_log_lines(notebook):
    """Remove TensorFlow's C++ log lines from the stderr outputs (and outputs left empty).

    Args:
        notebook: an executed `nbformat` notebook, changed in place.
    """
    for cell in notebook.cells:
        outputs = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                output["text"] = "".join(line for line in output["text"].splitlines(keepends=True)
                                         if not TF_LOG_LINE.match(line))
                if not output["text"]:
                    continue
            outputs.append(output)
        if "outputs" in cell:
            cell["outputs"] = outputs


def run(path, timeout):
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    drop_tensorflow_log_lines(notebook)
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
