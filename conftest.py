"""Suite-wide test settings: quiet TensorFlow, smoke mode for notebooks and demos, markers.

Tiers (see the README, "Tests"):
- `make test` runs everything but `large`: unit tests, the distributed and kill-and-resume
  tests in fresh processes, and every notebook in smoke mode (`RESUITE_SMOKE=1`, set here so
  that nbmake's kernels inherit it);
- `large`: real training budgets; `make test-all` includes them;
- `notebook`: the executed notebooks (added here to every `.ipynb` item);
- `network`: reaches a package registry (PyPI or Debian).
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("RESUITE_SMOKE", "1")
# The CPU kernels `resuite` starts every task with (TaskRunner.cpu_kernels): the suite runs what users run,
# also on AVX2 CPUs, where TensorFlow's own default is Eigen (oneDNN only on AVX-512).
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")

import pytest  # noqa: E402


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.notebook)
