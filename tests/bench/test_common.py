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
