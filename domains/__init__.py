"""The suite's domains, one subpackage per paper (`domains/README.md` describes the template).

Importing `domains` imports none of them (nor TensorFlow): `resuite list` and the sample-data
registry walk this package cheaply. To load a `.keras` file any domain wrote, in a fresh process:

```python
import domains
model = domains.load_model("runs/har/best.keras")   # imports domains.har (its classes), then Keras loads
```

`keras.saving.load_model` alone cannot: Keras finds the suite's classes only once the module
registering them is imported (`import domains.har` before `keras.saving.load_model` works too).
"""

__all__ = ["load_model"]


def load_model(path, **kwargs):
    """`core.saving.load_model`: `keras.saving.load_model` after importing the modules the file names.

    Args:
        path: str or `os.PathLike`. A `.keras` file the suite wrote.
        **kwargs: passed to `keras.saving.load_model` (e.g. `compile=False`).

    Returns:
        The loaded model.

    Example:
    ```python
    # example: not run (needs a trained model)
    import domains
    domains.load_model("runs/har/best.keras")
    ```
    """
    from core.saving import load_model as _load_model  # imported here: `import domains` stays light

    return _load_model(path, **kwargs)
