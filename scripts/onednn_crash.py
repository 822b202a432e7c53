"""A minimal reproduction of a TensorFlow 2.21 oneDNN crash on tiny 3-D inputs, in plain TensorFlow.

A 3-D convolution whose output is 2×2×2, multiplied by a broadcast per-channel gate (the
squeeze-excitation pattern) and added to another tensor, kills the process (SIGSEGV) when the
oneDNN CPU kernels are on; with the Eigen kernels (`TF_ENABLE_ONEDNN_OPTS=0`) it runs. Larger
outputs (3×3×3 and up, or 2 on fewer than three axes) run either way. `core.layers.ResidualBlock`
refuses the one shape of its blocks that meets it, naming this script.

Usage:
    python scripts/onednn_crash.py            # each size with oneDNN on and off, in child processes
"""

import argparse
import os
import subprocess
import sys


def case(size):
    """Run the pattern once on a (1, size, size, size, 2) input; print the output shape."""
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(1, size, size, size, 2)).astype("float32"))
    kernel = tf.constant(rng.normal(size=(3, 3, 3, 2, 8)).astype("float32"))
    shortcut_kernel = tf.constant(rng.normal(size=(1, 1, 1, 2, 8)).astype("float32"))

    @tf.function
    def block(x):
        padded = tf.pad(x, [[0, 0], [1, 1], [1, 1], [1, 1], [0, 0]])
        branch = tf.nn.conv3d(padded, kernel, strides=[1, 2, 2, 2, 1], padding="VALID")
        branch = branch * tf.sigmoid(tf.reduce_mean(branch, axis=(1, 2, 3), keepdims=True))
        return branch + tf.nn.conv3d(x, shortcut_kernel, strides=[1, 2, 2, 2, 1], padding="VALID")

    print(tuple(block(x).shape), flush=True)


def run_child(size, onednn):
    """Exit code of `case(size)` in a fresh process with oneDNN on or off (-11: SIGSEGV)."""
    env = dict(os.environ, TF_ENABLE_ONEDNN_OPTS="1" if onednn else "0", TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run([sys.executable, __file__, "--case", str(size)], env=env, capture_output=True).returncode


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="3,4,5,8", help="input sizes per axis (default 3,4,5,8)")
    parser.add_argument("--case", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.case is not None:
        case(args.case)
        return 0
    print("input    output   oneDNN on       oneDNN off")
    for size in (int(s) for s in args.sizes.split(",")):
        out = (size + 1) // 2
        codes = [run_child(size, onednn) for onednn in (True, False)]
        words = ["crash (SIGSEGV)" if code == -11 else "runs" if code == 0 else f"exit {code}" for code in codes]
        print(f"{size}³{'':5s}{out}³{'':6s}{words[0]:16s}{words[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
