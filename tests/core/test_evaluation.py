import json

import numpy as np
import pytest

from core.evaluation import classification_report, save_report

NAMES = ["a", "b", "c"]
Y_TRUE = np.array([0, 1, 2, 2, 1])
Y_PRED = np.array([0, 2, 2, 2, 1])


def _expected(report):
    assert report["n"] == 5
    assert report["accuracy"] == pytest.approx(0.8)
    assert report["confusion_matrix"] == [[1, 0, 0], [0, 1, 1], [0, 0, 2]]
    assert report["per_class_f1"] == pytest.approx({"a": 1.0, "b": 2 / 3, "c": 0.8})
    assert report["macro_f1"] == pytest.approx((1.0 + 2 / 3 + 0.8) / 3)


def test_labels_one_hot_probabilities_and_logits_agree():
    one_hot = np.eye(3)
    logits = np.log(one_hot[Y_PRED] * 0.8 + 0.1)  # log-probabilities: the argmax is the label
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    _expected(classification_report(Y_TRUE, Y_PRED, NAMES))
    _expected(classification_report(one_hot[Y_TRUE], one_hot[Y_PRED], NAMES))
    _expected(classification_report(Y_TRUE, logits, NAMES))
    _expected(classification_report(one_hot[Y_TRUE], probabilities, NAMES))
    _expected(classification_report(Y_TRUE[:, None], Y_PRED.astype("float32"), NAMES))  # (n, 1) and whole floats


def test_binary_labels_from_booleans():
    report = classification_report([0, 1, 1, 0], np.array([-1.0, 2.0, -0.5, -3.0]) > 0, ["no", "yes"])
    assert report["accuracy"] == pytest.approx(0.75)


def test_unusable_inputs_are_refused():
    with pytest.raises(ValueError, match="one score column is ambiguous"):
        classification_report([0, 1], np.array([[0.2], [0.9]]), ["no", "yes"])
    with pytest.raises(ValueError, match=r"integer labels \(n,\) or one score per class \(n, 3\)"):
        classification_report(Y_TRUE, np.ones((5, 4)), NAMES)
    with pytest.raises(ValueError, match="must be integer labels"):
        classification_report(Y_TRUE, np.array([0.2, 0.9, 0.1, 0.5, 0.4]), NAMES)
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\).*from 0 to 3"):
        classification_report(Y_TRUE, np.array([0, 1, 2, 3, 0]), NAMES)
    with pytest.raises(ValueError, match="Received: 5 and 4"):
        classification_report(Y_TRUE, Y_PRED[:4], NAMES)


def test_save_report_writes_numpy_values_as_python_ones(tmp_path):
    report = {
        "accuracy": np.float32(0.75), "n": np.int64(4), "ok": np.bool_(True), "zero_d": np.array(2.5),
        "matrix": np.arange(4).reshape(2, 2), "nested": [{"value": np.float64(1.5)}, (np.int32(1), 2)],
        np.int64(3): "a NumPy key", "path": tmp_path / "x.png",
    }
    path = save_report(report, tmp_path / "deep" / "report.json")
    assert json.loads(path.read_text()) == {
        "accuracy": 0.75, "n": 4, "ok": True, "zero_d": 2.5, "matrix": [[0, 1], [2, 3]],
        "nested": [{"value": 1.5}, [1, 2]], "3": "a NumPy key", "path": str(tmp_path / "x.png"),
    }


def test_save_predictions_writes_one_row_per_input_with_every_column_and_quotes_commas(tmp_path):
    from core.evaluation import save_predictions

    path = save_predictions([{"file": "a,b.wav", "score": "0.5"}, {"file": "c.wav", "score": "0.2", "note": "x"}],
                            tmp_path / "out")
    assert path == tmp_path / "out" / "predictions.csv"
    assert path.read_text().splitlines() == ["file,score,note", '"a,b.wav",0.5,', "c.wav,0.2,x"]
    with pytest.raises(ValueError, match=r"No predictions to write. Received: rows=\[\]"):
        save_predictions([], tmp_path)


def test_report_result_has_one_shape_written_as_json_and_refuses_a_baseline_without_metrics(tmp_path):
    from core.evaluation import REPORT_KEYS, report_result

    result = report_result("model vs constant", {"mae": np.float32(0.25)}, {"constant": {"mae": 0.5}},
                           [tmp_path / "a.png"], tmp_path, details={"n": np.int64(4)})
    assert tuple(result) == REPORT_KEYS
    assert result["metrics"] == {"mae": 0.25} and result["details"] == {"n": 4}
    assert result["figures"] == [str(tmp_path / "a.png")]
    assert json.loads((tmp_path / "report.json").read_text()) == result
    with pytest.raises(ValueError, match=r"Each baseline's metrics must be a dict. Received: chance=0.5"):
        report_result("t", {"accuracy": 0.9}, {"chance": 0.5}, [], tmp_path)
