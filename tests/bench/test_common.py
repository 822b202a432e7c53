"""The benchmarks' timers, on a fake clock: what they call, in which order, and what they report."""

import pytest

from bench import common


@pytest.fixture
def fake_clock(monkeypatch):
    """A clock that only moves when a timed callable says how long it took."""
    clock = {"now": 0.0}
    monkeypatch.setattr(common.time, "perf_counter", lambda: clock["now"])
    return clock


def make_call(clock, log, name, seconds):
    def call():
        log.append(name)
        clock["now"] += seconds() if callable(seconds) else seconds

    return call


def test_round_robin_interleaves_rounds_and_groups_short_calls(fake_clock):
    log = []
    fns = {"slow": make_call(fake_clock, log, "slow", 0.5), "fast": make_call(fake_clock, log, "fast", 0.01)}
    timings = common.time_round_robin(fns, repeats=3, warmup=1, min_seconds=0.2)

    # Warm-up and one probe call each, then every round times "slow" once and "fast" 20 times in a row.
    assert log[:4] == ["slow", "slow", "fast", "fast"]
    rounds = log[4:]
    assert rounds == (["slow"] + ["fast"] * 20) * 3
    assert timings["slow"].median == pytest.approx(0.5)
    assert timings["fast"].median == pytest.approx(0.01)


def test_round_robin_reports_median_and_best_per_callable(fake_clock):
    log = []
    durations = iter([1.0, 1.0, 3.0, 2.0, 5.0])  # probe, then three rounds: the median is 3, the best 2
    fns = {"drifting": make_call(fake_clock, log, "drifting", lambda: next(durations))}
    timing = common.time_round_robin(fns, repeats=3, warmup=1)["drifting"]
    assert (timing.median, timing.best) == (3.0, 2.0)
    assert timing.rate(6) == (2.0, 3.0)


def test_time_call_groups_and_takes_the_median(fake_clock):
    log = []
    timing = common.time_call(make_call(fake_clock, log, "step", 0.05), repeats=5, warmup=2, min_seconds=0.2)
    assert len(log) == 2 + 1 + 5 * 4
    assert timing.median == pytest.approx(0.05) and timing.best == pytest.approx(0.05)


@pytest.mark.parametrize("timer", [common.time_call, lambda fn, repeats: common.time_round_robin({"f": fn}, repeats)])
def test_timers_refuse_no_repeats(timer):
    with pytest.raises(ValueError, match="repeats=0"):
        timer(lambda: None, repeats=0)


def _tiny_models():
    import keras

    class OwnKernel(keras.layers.Layer):
        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], 2))

        def call(self, x):
            return keras.ops.matmul(x, self.kernel)

    inputs = keras.Input((10, 3))
    x = keras.layers.Conv1D(4, 3)(inputs)                          # out (2, 8, 4): 2·8·4·(3·3) = 576 MACs
    inner = keras.Sequential([keras.Input((8, 4)), keras.layers.Dense(5)], name="inner")   # 2·8·4·5 = 320
    x = inner(x)
    shared = keras.layers.Dense(5, use_bias=False)
    x = shared(shared(x))                                          # called twice: 2 · (2·8·5·5) = 800
    x = keras.layers.LSTM(6, return_sequences=True)(x)             # 2 · 8 · 4 gates · 6 · (5 + 6) = 4,224
    x = keras.layers.Conv1D(6, 3, padding="same", groups=3)(x)     # out (2, 8, 6): 2·8·6·(3·6/3) = 576
    x = keras.layers.SeparableConv1D(4, 3, depth_multiplier=2)(x)  # (2, 6): depthwise 2·6·12·3 = 432,
    #                                                                pointwise 2·6·12·4 = 576
    x = keras.layers.Conv1DTranspose(2, 2, strides=2)(x)           # in (2, 6, 4): 2·6·4·2·2 = 192
    x = keras.layers.DepthwiseConv1D(3)(x)                         # out (2, 10, 2): 2·10·2·3 = 120
    counted = keras.Model(inputs, x)
    uncounted = keras.Sequential([keras.Input((4,)), OwnKernel(name="own"), keras.layers.Dense(3)])
    return counted, uncounted


def test_count_flops_from_the_layers_by_hand():
    counted, uncounted = _tiny_models()
    macs = {"Conv1D": 576 + 576, "Dense": 320 + 800, "LSTM": 4224, "SeparableConv1D": 432 + 576,
            "Conv1DTranspose": 192, "DepthwiseConv1D": 120}
    result = common.count_flops(counted, (2, 10, 3))
    assert result["by_kind"] == {kind: 2 * value for kind, value in macs.items()}
    assert result["flops"] == 2 * sum(macs.values())
    assert result["uncounted"] == []
    # A layer with a kernel of its own is named, not guessed; the Dense after it is still counted (5 · 2 · 3).
    result = common.count_flops(uncounted, (5, 4))
    assert result == {"flops": 2 * 5 * 2 * 3, "by_kind": {"Dense": 60}, "uncounted": ["own"]}


def test_count_flops_scales_with_batch_and_leaves_the_model_as_it_was():
    counted, _ = _tiny_models()
    one = common.count_flops(counted, (1, 10, 3))["flops"]
    assert common.count_flops(counted, (3, 10, 3))["flops"] == 3 * one
    assert all("call" not in vars(layer) for layer in counted._flatten_layers())


def test_count_flops_caller_rules_come_first():
    import keras

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    result = common.count_flops(model, (2, 4), rules={keras.layers.Dense: lambda layer, i, o: 7 * i[0]})
    assert result["flops"] == 14
