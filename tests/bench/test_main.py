"""`python -m bench`: names, options, failures and skips."""

import types

import pytest

from bench import __main__ as runner


def _module(name, accepts):
    def main(argv):
        import argparse

        parser = argparse.ArgumentParser(prog=name)
        if accepts:
            parser.add_argument("--official")
        args = parser.parse_args(argv)
        return 0 if not accepts or args.official else 1

    return types.SimpleNamespace(main=main)


@pytest.fixture
def two_benchmarks(monkeypatch):
    modules = {"bench.takes": _module("takes", True), "bench.plain": _module("plain", False)}
    monkeypatch.setattr(runner, "available", lambda: ["plain", "takes"])
    monkeypatch.setattr(runner.importlib, "import_module", lambda name: modules[name])


def test_options_without_names_skip_the_benchmarks_that_do_not_take_them(two_benchmarks, capsys):
    assert runner.main(["--official", "clones"]) == 0
    assert "skipped (they do not take --official clones): plain" in capsys.readouterr().err


def test_a_named_benchmark_that_refuses_its_options_fails(two_benchmarks, capsys):
    assert runner.main(["plain", "--official", "clones"]) == 1
    assert "failed: plain" in capsys.readouterr().err


def test_a_benchmark_that_fails_for_another_reason_is_a_failure(two_benchmarks, capsys):
    assert runner.main(["takes"]) == 1  # runs without --official: its own failure, status 1
    assert "failed: takes" in capsys.readouterr().err
