"""bench/peak.py: the peak kernels' FLOPs, the engines measured, and each model's fraction of the peak."""

import sys

import pytest

from bench import common, peak


def test_peak_kernel_flops_agree_with_the_layer_count():
    import keras

    # A matmul N × N by N × N is a bias-free Dense(N) on N rows; the convolution is a 'same' Conv3D.
    dense = keras.Sequential([keras.Input((6,)), keras.layers.Dense(6, use_bias=False)])
    assert common.count_flops(dense, (6, 6))["flops"] == peak.matmul_flops(6) == 432
    conv = keras.Sequential([keras.Input((4, 4, 4, 3)), keras.layers.Conv3D(3, 3, padding="same")])
    assert common.count_flops(conv, (1, 4, 4, 4, 3))["flops"] == peak.conv3d_flops(4, 3) == 2 * 64 * 3 * 27 * 3


def test_each_engine_in_its_own_process_and_torch_only_when_given():
    calls = []

    def launcher(python, request, env):
        calls.append((python, request["engine"], (env or {}).get("TF_ENABLE_ONEDNN_OPTS")))
        if request["engine"] == "torch":
            return {"error": "ModuleNotFoundError: No module named 'torch'"}
        return {"matmul": 2.0, "conv3d": 4.0}

    rows = peak.measure_peaks(matmul=100, conv=10, channels=2, repeats=1, launcher=launcher)
    assert calls == [(sys.executable, "tf", None), (sys.executable, "tf", "1"), (sys.executable, "tf", "0")]
    assert [row["GFLOP/s"] for row in rows] == pytest.approx([2e6 / 2 / 1e9, 2 * 1000 * 2 * 27 * 2 / 4 / 1e9] * 3)
    calls.clear()
    rows = peak.measure_peaks(matmul=100, conv=10, channels=2, repeats=1, torch_python="/torch/python",
                              threads=1, launcher=launcher)
    assert calls[-1] == ("/torch/python", "torch", None)
    assert rows[-1]["engine"] == "torch (1 threads)" and "GFLOP/s" not in rows[-1]
    assert rows[-1]["note"].startswith("failed: ModuleNotFoundError")


def test_fraction_of_peak_only_for_timed_rows():
    timed = [{"side": "official", "seconds": None}, {"side": "ours", "seconds": 0.25}]
    rows = peak.fractions(3e9, timed, peak=24.0)
    assert rows[0]["GFLOP/s"] is None and rows[0]["of peak"] is None
    assert rows[1]["GFLOP/s"] == pytest.approx(12.0) and rows[1]["of peak"] == pytest.approx(0.5)
    assert peak.fractions(3e9, timed, peak=None)[1]["of peak"] is None
