"""scripts/fundus_gate_table.py: the confusion table of the gate, its counts and its exit code."""

import contextlib
import importlib.util
import io
import pathlib

from core.testing import TestCase

SCRIPT = pathlib.Path(__file__).parents[3] / "scripts" / "fundus_gate_table.py"


def _script():
    spec = importlib.util.spec_from_file_location("fundus_gate_table", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _row(truth, verdict, right):
    return {"image": f"{truth} {verdict}", "role": "test", "truth": truth, "verdict": verdict, "reason": "",
            "right": right}


ROWS = [_row("fundus, blurred", "ungradeable", True), _row("fundus", "gradeable", True),
        _row("fundus", "too small", True), _row("fundus, shrunk to 12 px", "too small", True),
        _row("not fundus", "gradeable", False), _row("fundus, shrunk to 40 px", "too small", True)]


class GateTableTest(TestCase):
    def test_confusion_counts_each_kind_originals_first(self):
        table = _script().confusion(ROWS)
        self.assertEqual([row["photographs"] for row in table],
                         ["fundus", "not fundus", "fundus, blurred", "fundus, shrunk below the need"])
        fundus, other, blurred, shrunk = table
        self.assertEqual((fundus["n"], fundus["gradeable"], fundus["too small"], fundus["right"]), (2, 1, 1, 2))
        self.assertEqual((other["gradeable"], other["right"]), (1, 0))
        self.assertEqual((blurred["ungradeable"], shrunk["n"], shrunk["too small"]), (1, 2, 2))

    def test_main_prints_the_table_and_fails_on_a_wrong_verdict(self):
        script = _script()
        calls = []
        script.rows_of = lambda role, size: calls.append((role, size)) or ROWS
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            self.assertEqual(script.main(["--model-size", "128"]), 1)
        self.assertEqual(calls, [("test", 128)])
        text = printed.getvalue()
        self.assertIn("for a model of 128-px input (6 images", text)
        self.assertIn("wrong verdicts:", text)
        self.assertIn("not fundus gradeable", text)
        script.rows_of = lambda role, size: calls.append((role, size)) or ROWS[:4]
        with contextlib.redirect_stdout(io.StringIO()):
            self.assertEqual(script.main(["--role", "all"]), 0)
        self.assertEqual(calls[-1], (None, 512))
