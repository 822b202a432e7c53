"""Official figures stored from another day are printed as stored, never divided into a ratio."""

import ast
import pathlib

from core.testing import TestCase

BENCH = pathlib.Path(__file__).resolve().parents[2] / "bench"


def ratio_arguments_naming_official(path):
    """The `ratio(...)` calls (and divisions) of a benchmark whose operands name an official figure."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        operands = []
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "ratio":
            operands = node.args
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            operands = [node.left, node.right]
        if any("official" in ast.unparse(operand).lower() for operand in operands):
            found.append(f"{path.name}:{node.lineno}")
    return found


class StoredFiguresTest(TestCase):
    def test_no_benchmark_divides_by_a_stored_official_figure(self):
        found = [place for path in sorted(BENCH.glob("*.py")) for place in ratio_arguments_naming_official(path)]
        self.assertEqual(found, [])

    def test_the_detector_finds_such_a_ratio(self):
        path = pathlib.Path(self.get_temp_dir()) / "b.py"
        path.write_text("OFFICIAL = 9.2\nprint(ratio(ours, OFFICIAL), ours / official_speed)\n")
        self.assertEqual(ratio_arguments_naming_official(path), ["b.py:2", "b.py:2"])
