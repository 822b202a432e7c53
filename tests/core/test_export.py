"""core.export and `resuite export`: each runtime's outputs match Keras; refusals name the format and why."""

import json

import numpy as np
import pytest

from core import cli, export
from core.testing import TestCase

ENGINES = {"savedmodel": None, "tflite": None, "onnx": "tf2onnx, onnx and onnxruntime",
           "openvino": "openvino"}


def _skip_without(format):
    missing = export.missing_modules(format)
    if missing:
        pytest.skip(f"the {format} runtime is not installed ({', '.join(missing)}): pip install 'resuite[export]'")


def _small_rrnet():
    from domains.lamost.model import RRNet

    # Convolutions, a recurrent layer (a TensorList loop in LiteRT) and heads: one domain class, tiny.
    return RRNet(mode="raw", widths=(2, 4, 8), num_pixels=720, rnn_steps=10, hidden_units=(8,))


class ExportTest(TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.model = _small_rrnet()
        cls.x = np.random.default_rng(3).standard_normal((2, 720, 2)).astype("float32")
        cls.expected = np.asarray(cls.model(cls.x, training=False))

    def _export_and_compare(self, format):
        _skip_without(format)
        folder = self.get_temp_dir()
        record = export.export_model(self.model, folder, format, task="lamost.rrnet", source={"test": "tiny"})
        # The exported runtime, loaded again from the folder, on another batch size than the check's.
        (got,) = export.load_exported(folder)(self.x)
        self.assertEqual(got.shape, self.expected.shape)
        self.assertAllClose(got, self.expected, atol=1e-5, rtol=1e-5)
        written = json.loads((export.pathlib.Path(folder) / export.RECORD).read_text())
        self.assertEqual(written, json.loads(json.dumps(record)))
        self.assertEqual(written["format"], format)
        self.assertEqual(written["input_signature"], [{"shape": [None, 720, 2], "dtype": "float32"}])
        self.assertEqual(written["check_input_shape"], [1, 720, 2])
        self.assertLess(written["max_abs_difference"], 1e-5)
        self.assertGreater(written["max_abs_keras_output"], 0.0)
        self.assertIn(written["runtime"].split()[0], ("tensorflow", "ai_edge_litert", "tf.lite.Interpreter",
                                                      "onnxruntime", "openvino"))

    def test_savedmodel_matches_keras(self):
        self._export_and_compare("savedmodel")

    def test_tflite_matches_keras(self):
        self._export_and_compare("tflite")

    def test_onnx_matches_keras(self):
        self._export_and_compare("onnx")

    def test_openvino_matches_keras(self):
        self._export_and_compare("openvino")

    def test_a_gan_exports_its_generator(self):
        import keras

        from core.training import GANModel

        generator = keras.Sequential([keras.Input((None, 3)), keras.layers.Conv1D(2, 3, padding="same")], name="g")
        discriminator = keras.Sequential([keras.Input((None, 2)), keras.layers.Conv1D(1, 3)], name="d")
        gan = GANModel(generator, discriminator)
        self.assertIs(export.inference_network(gan), generator)
        record = export.export_model(gan, self.get_temp_dir(), "savedmodel", input_shape=(2, 5, 3))
        self.assertEqual(record["input_signature"][0]["shape"], [None, None, 3])
        self.assertEqual(record["outputs"], [[2, 5, 2]])


class RefusalTest(TestCase):
    def test_complex_ops_refused_for_onnx_naming_format_and_reason(self):
        from domains.speech.features import FEATURE_CONFIGS
        from domains.speech.generator import build_generator

        generator = build_generator(FEATURE_CONFIGS["8k"], channels=8, kernel_sizes=(3,), dilations=((1,),))
        self.assertIn("Complex", export.complex_ops(generator, (1, 8, 80)))
        for format in ("onnx", "tflite", "openvino"):
            if export.missing_modules(format):
                continue
            with self.assertRaisesRegex(ValueError, f"cannot be exported to {format}: .*complex-valued"):
                export.check_exportable(generator, format, (1, 8, 80))
        export.check_exportable(generator, "savedmodel", (1, 8, 80))  # the format that holds it

    def test_check_shape_fills_free_axes_and_refuses_a_misfit(self):
        import keras

        network = keras.Sequential([keras.Input((None, 4)), keras.layers.Dense(1)])
        self.assertEqual(export.check_shape(network), (1, export.FREE_LENGTH, 4))
        self.assertEqual(export.check_shape(network, (3, 7, 4)), (3, 7, 4))
        with self.assertRaisesRegex(ValueError, r"fit the network's input \(None, None, 4\).*input_shape=\(3, 7, 5\)"):
            export.check_shape(network, (3, 7, 5))

    def test_openvino_outputs_are_the_functions_identity_tensors_in_order(self):
        self.assertEqual(export._identity_index({"Identity:0", "model/tail/Add:0"}), 0)
        self.assertEqual(export._identity_index({"Identity_12:0"}), 12)
        self.assertEqual(export._identity_index({"model/shuffle/strided_slice:0"}), 2**31)  # not an output

    def test_engine_names_are_the_formats_and_their_offered_precisions(self):
        self.assertEqual(export.ENGINES[:5], ("tensorflow", "savedmodel", "tflite", "onnx", "openvino"))
        self.assertEqual(set(export.ENGINES[5:]), {f"{format} {precision}" for format, precisions in
                                                   export.QUANTIZE.items() for precision in precisions})
        self.assertEqual(export.parse_engine("tensorflow"), (None, None))
        self.assertEqual(export.parse_engine("openvino"), ("openvino", None))
        self.assertEqual(export.parse_engine(" tflite  float16 "), ("tflite", "float16"))
        for name in ("onnx float16", "savedmodel int8", "tensorflow int8", "onnx-int8", "", None):
            with self.assertRaisesRegex(ValueError, r"Unknown inference engine\. Expected one of: tensorflow, "
                                                    r"savedmodel, .*Received: engine="):
                export.parse_engine(name)

    def test_unknown_format_and_folder_without_record(self):
        with self.assertRaisesRegex(ValueError, "Expected one of savedmodel, tflite, onnx, openvino"):
            export.missing_modules("tensorrt")
        with self.assertRaisesRegex(ValueError, "holds no export.json"):
            export.load_exported(self.get_temp_dir())


def test_cli_exports_the_smallest_preset_to_savedmodel(tmp_path, capsys):
    out = tmp_path / "disgan"
    assert cli.main(["export", "mri.disgan", "--preset", "disgan_mni_small", "--format", "savedmodel",
                     "--output", str(out), "--input-shape", "1,8,8,8,1"]) == 0
    record = json.loads((out / "export.json").read_text())
    assert record["task"] == "mri.disgan" and record["source"] == {"preset": "disgan_mni_small"}
    assert record["input_signature"] == [{"shape": [None, None, None, None, 1], "dtype": "float32"}]
    assert record["outputs"] == [[1, 16, 16, 16, 1]]  # the generator (x2), not the whole GAN
    assert record["max_abs_difference"] < 1e-5
    assert (out / "saved_model" / "saved_model.pb").is_file()
    assert "max_abs_difference" in capsys.readouterr().out


def test_cli_refuses_apnet_to_onnx_and_leaves_no_folder(tmp_path, capsys):
    _skip_without("onnx")
    out = tmp_path / "apnet"
    assert cli.main(["export", "speech.apnet", "--preset", "apnet_asterisk_8k_small", "--format", "onnx",
                     "--output", str(out), "--input-shape", "1,8,80"]) == 1
    error = capsys.readouterr().err
    assert "cannot be exported to onnx" in error and "complex-valued" in error and "--format onnx" in error
    assert not out.exists()


def test_cli_export_needs_a_model(tmp_path, capsys):
    assert cli.main(["export", "lamost.rrnet", "--format", "onnx", "--output", str(tmp_path / "x")]) == 1
    assert "--preset NAME or --model PATH. Received: neither" in capsys.readouterr().err


def test_cli_refuses_a_tflite_file_that_needs_select_tf_ops(tmp_path, capsys):
    _skip_without("tflite")
    out = tmp_path / "disgan"
    # The 3-D pixel shuffle transposes 8 axes: beyond LiteRT's builtin transpose, a Flex op.
    assert cli.main(["export", "mri.disgan", "--preset", "disgan_mni_small", "--format", "tflite",
                     "--output", str(out), "--input-shape", "1,8,8,8,1"]) == 1
    error = capsys.readouterr().err
    assert "cannot be exported to tflite" in error and "FlexTranspose" in error
    assert not out.exists()


def _artifact_bytes(folder, format):
    path = export.pathlib.Path(folder) / export.FORMATS[format][1]
    return (path.with_suffix(".bin") if format == "openvino" else path).stat().st_size


class QuantizeTest(TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        import keras

        keras.utils.set_random_seed(0)
        cls.model = keras.Sequential([keras.Input((32, 3)), keras.layers.Conv1D(32, 3, activation="relu"),
                                      keras.layers.Conv1D(32, 3, activation="relu"), keras.layers.Flatten(),
                                      keras.layers.Dense(16)])
        cls.x = np.random.default_rng(1).standard_normal((3, 32, 3)).astype("float32")
        cls.expected = np.asarray(cls.model(cls.x, training=False))

    def _quantised_within_tolerance(self, format, precision):
        _skip_without(format)
        plain, folder = self.get_temp_dir(), self.get_temp_dir()
        export.export_model(self.model, plain, format)
        record = export.export_model(self.model, folder, format, quantize=precision)
        self.assertEqual((record["quantize"], record["quantization"]), (precision, export.QUANTIZE[format][precision]))
        self.assertLessEqual(record["relative_difference"], export.QUANTIZE_TOLERANCE[precision])
        (got,) = export.load_exported(folder)(self.x)  # another input than the record's
        (float_got,) = export.load_exported(plain)(self.x)
        scale = np.max(np.abs(self.expected))
        self.assertLessEqual(np.max(np.abs(got - self.expected)) / scale, export.QUANTIZE_TOLERANCE[precision])
        # Lower precision happened: a smaller file, and outputs that are not the float32 export's.
        self.assertLess(_artifact_bytes(folder, format), 0.6 * _artifact_bytes(plain, format))
        self.assertGreater(np.max(np.abs(got - float_got)), 1e-6)
        return folder

    def test_onnx_int8(self):
        import onnx

        folder = self._quantised_within_tolerance("onnx", "int8")
        ops = {node.op_type for node in onnx.load(f"{folder}/model.onnx").graph.node}
        self.assertLessEqual({"ConvInteger", "MatMulInteger"}, ops)
        self.assertFalse((export.pathlib.Path(folder) / "model.float32.onnx").exists())

    def test_tflite_int8(self):
        self._quantised_within_tolerance("tflite", "int8")

    def test_tflite_float16(self):
        self._quantised_within_tolerance("tflite", "float16")

    def test_openvino_float16(self):
        self._quantised_within_tolerance("openvino", "float16")

    def test_a_precision_the_format_does_not_offer_is_refused(self):
        with self.assertRaisesRegex(ValueError, r"savedmodel offers no int8 quantisation; offered: onnx \(int8\).*"
                                                r"--quantize int8"):
            export.export_model(self.model, self.get_temp_dir(), "savedmodel", quantize="int8")
        with self.assertRaisesRegex(ValueError, "onnx offers no float16"):
            export.export_model(self.model, self.get_temp_dir(), "onnx", quantize="float16")

    def test_float_export_records_no_quantisation(self):
        record = export.export_model(self.model, self.get_temp_dir(), "savedmodel")
        self.assertIsNone(record["quantize"])
        self.assertLess(record["relative_difference"], 1e-5)


def test_cli_passes_quantize_only_when_asked(tmp_path, monkeypatch):
    # The quantisation itself is tested on a tiny model above (QuantizeTest); here, the flag's path.
    calls = []
    monkeypatch.setattr(export, "export_model", lambda *args, **kwargs: calls.append(kwargs) or
                        {"artifact": "model.onnx", "check_input_shape": [1, 8]})
    for extra, expected in (([], None), (["--quantize", "int8"], "int8"), (["--quantize", "float16"], "float16")):
        assert cli.main(["export", "har.fusionactnet", "--preset", "fusionactnet_basicmotions", "--format", "onnx",
                         *extra, "--output", str(tmp_path / "out")]) == 0
        assert calls.pop()["quantize"] == expected
    with pytest.raises(SystemExit):
        cli.main(["export", "har.fusionactnet", "--preset", "fusionactnet_basicmotions", "--format", "onnx",
                  "--quantize", "int4", "--output", str(tmp_path / "out")])
