"""bench/engines.py: each engine in fresh processes, outputs against Keras; quantised engines as rows of their own."""

import keras
import numpy as np
import pytest

from bench import engines
from core import export
from core.testing import TestCase


class EnginesTest(TestCase):
    @pytest.mark.large  # five fresh TensorFlow processes: ~40 s idle, minutes on a loaded machine
    def test_a_quantised_engine_is_its_own_row_with_its_output_change(self):
        keras.utils.set_random_seed(0)
        tiny = keras.Sequential([keras.Input((32, 3)), keras.layers.Conv1D(16, 3, activation="relu"),
                                 keras.layers.Flatten(), keras.layers.Dense(4)], name="tiny")
        # A stand-in for a preset's network: the engines read it back from the files prepare() writes.
        self.patch(engines, "MODELS", {"tiny": ("none", "none", "batch of {batch} × 32 × 3")})
        self.patch(engines, "_network", lambda name: tiny)
        self.patch(engines, "_shape", lambda name, batch: (batch, 32, 3))
        exports = ("onnx int8", "tflite float16") if not export.missing_modules("onnx") else ("tflite float16",)
        result = engines.run(["tiny"], batch=2, rounds=1, repeats=1, exports=exports)
        rows = {row["engine"]: row for row in result["rows"]}
        self.assertEqual(list(rows), [*engines.KERNELS, *exports])
        for engine in engines.KERNELS:
            self.assertLess(rows[engine]["max |Δ| vs Keras"], 1e-5)
            self.assertEqual(len(rows[engine]["rounds"]), 1)
        self.assertAlmostEqual(rows["TF default"]["default/this"], 1.0)
        for engine in exports:
            precision = engines.EXPORTS[engine][1]
            change = rows[engine]["|Δ| / max |y|"]
            self.assertTrue(1e-6 < change <= export.QUANTIZE_TOLERANCE[precision], (engine, change))
            self.assertGreater(rows[engine]["seconds"], 0)

    def patch(self, owner, name, value):
        original = getattr(owner, name)
        setattr(owner, name, value)
        self.addCleanup(setattr, owner, name, original)

    def test_every_quantised_engine_is_a_precision_its_format_offers(self):
        for engine, (format, quantize) in engines.EXPORTS.items():
            self.assertIn(format, export.FORMATS)
            if quantize:
                self.assertIn(quantize, export.QUANTIZE[format])
                self.assertIn(quantize, engine)
        self.assertEqual(np.unique([engines._folder(e) for e in engines.EXPORTS]).size, len(engines.EXPORTS))


def test_the_export_engines_are_core_exports_list():
    # One list: every engine `resuite predict --engine` offers but TensorFlow itself is a row, float32 formats first.
    assert list(engines.EXPORTS) == [engine for engine in export.ENGINES if engine != export.TENSORFLOW]
    assert list(engines.EXPORTS)[:len(export.FORMATS)] == list(export.FORMATS)
    assert engines.EXPORTS["onnx int8"] == ("onnx", "int8") and engines.EXPORTS["openvino"] == ("openvino", None)


def test_quality_results_are_flattened_to_comparable_numbers():
    flat = engines._flat({"metrics": {"Teff": {"mae": np.float32(85.5), "n": 3}}, "ok": True, "title": "x" * 100})
    assert flat == {"metrics.Teff.mae": 85.5, "metrics.Teff.n": 3.0, "ok": "True", "title": "x" * 80}
