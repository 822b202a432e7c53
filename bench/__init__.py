"""Benchmarks that print our numbers beside a named baseline (see bench/README.md).

Run them all with `python -m bench` (or `make bench`), one with `python -m bench har_throughput`.
"""

import os

# Quiet TensorFlow's C++ start-up lines unless the caller chose a level.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
