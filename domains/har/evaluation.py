"""HAR evaluation: test accuracy, macro-F1 and the confusion matrix (JSON and PNG)."""

import pathlib

from core.evaluation import classification_report, plot_confusion_matrix, save_report


def report(model, data, output_dir, title):
    """Evaluate once on the test split: accuracy, macro-F1, confusion matrix (JSON + PNG).

    Args:
        model: a trained classifier returning class probabilities (FusionActNet, ResNet-1D).
        data: domains.har.data.HARData (its `x_test`, `y_test`, `class_names`).
        output_dir: str or Path. Gets `test_report.json` and `confusion_matrix.png`.
        title: str. Title of the plot.

    Returns:
        dict: accuracy, macro_f1, n_test, the confusion matrix and the plot's path.

    Example:
    ```python
    # example: not run (needs a trained model)
    results = report(model, load_har("basicmotions"), "runs/har", "FusionActNet")
    ```
    """
    output_dir = pathlib.Path(output_dir)
    results = classification_report(data.y_test, model.predict(data.x_test, verbose=0), data.class_names)
    plot = plot_confusion_matrix(results["confusion_matrix"], data.class_names, output_dir / "confusion_matrix.png",
                                 title=f"{title}: test accuracy {results['accuracy']:.1%}")
    save_report(results, output_dir / "test_report.json")
    return {"accuracy": results["accuracy"], "macro_f1": results["macro_f1"], "n_test": results["n"],
            "confusion_matrix_png": str(plot), "confusion_matrix": results["confusion_matrix"]}
