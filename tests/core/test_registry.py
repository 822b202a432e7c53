"""Declared task options and domain discovery."""

import re
import sys

import pytest

from core import registry
from core.registry import Option, TaskRunner


class _Task(TaskRunner):
    name = "test.options"
    options = (
        Option("flag", bool, True, "a switch"),
        Option("count", int, 3, "a count"),
        Option("rate", float, 1e-3, "a rate"),
        Option("mode", str, "a", "a choice", choices=("a", "b")),
        Option("sizes", list, [1, 2], "a list"),
        Option("table", dict, {}, "a mapping"),
        Option("limit", float, None, "unset by default"),
    )


def test_defaults_fill_every_declared_option():
    assert _Task.resolve_options() == {"flag": True, "count": 3, "rate": 1e-3, "mode": "a", "sizes": [1, 2],
                                       "table": {}, "limit": None}


@pytest.mark.parametrize("text, expected", [("false", False), ("False", False), ("0", False), ("no", False),
                                            ("off", False), ("true", True), ("YES", True), ("1", True)])
def test_bool_text_is_parsed_not_truth_tested(text, expected):
    # bool("False") is True: the bug this guards against.
    assert _Task.resolve_options({"flag": text})["flag"] is expected


def test_text_values_are_parsed_to_their_types():
    values = _Task.resolve_options({"count": "7", "rate": "5e-4", "mode": "b", "sizes": "[3, 4]",
                                    "table": '{"x": "y.keras"}', "limit": "2.5"})
    assert values == {"flag": True, "count": 7, "rate": 5e-4, "mode": "b", "sizes": [3, 4],
                      "table": {"x": "y.keras"}, "limit": 2.5}
    assert _Task.resolve_options({"sizes": (5, 6), "rate": 1})["sizes"] == [5, 6]


@pytest.mark.parametrize("key, value, message", [
    ("flag", "maybe", "Option 'flag' expects bool. Received: flag='maybe'"),
    ("count", "1.5", "Option 'count' expects int. Received: count='1.5'"),
    ("count", True, "Option 'count' expects int. Received: count=True"),
    ("rate", "fast", "Option 'rate' expects float. Received: rate='fast'"),
    ("sizes", "[1, 2", "Option 'sizes' expects list. Received: sizes='[1, 2'"),
    ("sizes", '{"a": 1}', "Option 'sizes' expects list."),
    ("mode", "c", r"Option 'mode' must be one of \['a', 'b'\]. Received: mode='c'"),
    ("mode", 3, "Option 'mode' expects str. Received: mode=3"),
])
def test_wrong_types_name_the_option(key, value, message):
    with pytest.raises(ValueError, match=message if key == "mode" else re.escape(message)):
        _Task.resolve_options({key: value})


def test_unknown_keys_list_the_known_ones():
    with pytest.raises(ValueError, match=r"Task test.options has no option 'cuont'. Its options: count, flag, "
                                         r"limit, mode, rate, sizes, table. Received: cuont"):
        _Task.resolve_options({"cuont": 3})


def test_options_help_has_one_line_per_option():
    lines = _Task.options_help().splitlines()
    assert lines[0] == "options of test.options (--option NAME=VALUE):"
    assert "  mode (str, default 'a'; one of a, b): a choice" in lines
    assert "  sizes (list, default [1, 2]): a list" in lines
    assert len(lines) == 1 + len(_Task.options)


def test_a_domain_with_a_missing_dependency_does_not_hide_the_others(tmp_path, monkeypatch):
    import domains

    broken = tmp_path / "brokendomain"
    broken.mkdir()
    (broken / "__init__.py").write_text("import resuite_test_missing_dependency\n")
    monkeypatch.setattr(domains, "__path__", [*domains.__path__, str(tmp_path)])
    monkeypatch.setattr(registry, "_UNAVAILABLE", {})
    tasks = registry.list_tasks()
    assert "har.fusionactnet" in tasks and "mri.disgan" in tasks
    assert registry.unavailable_domains() == {
        "brokendomain": "needs the missing module 'resuite_test_missing_dependency': pip install \"resuite[brokendomain]\""}
    with pytest.raises(ValueError, match=r"Task 'brokendomain.train': the domain 'brokendomain' needs the missing "
                                         r"module .*pip install \"resuite\[brokendomain\]\""):
        registry.get_task("brokendomain.train")
    sys.modules.pop("domains.brokendomain", None)


def test_a_task_called_from_python_gets_checked_and_complete_options(tmp_path):
    class Echo(_Task):
        name = "test.echo"

        def train(self, config):
            return dict(config.options)

    config = registry.RunConfig(output_dir=tmp_path, options={"count": "5"})
    assert Echo().train(config) == {**_Task.resolve_options(), "count": 5}
    with pytest.raises(ValueError, match="Task test.echo has no option 'cuont'"):
        Echo().train(registry.RunConfig(output_dir=tmp_path, options={"cuont": 5}))
