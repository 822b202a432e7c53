"""A task's evaluation with its inference network run by an exported (e.g. quantised) runtime.

`core.export.export_model(..., quantize="int8")` checks a lower precision on a random input; what
it costs in quality shows only on the task's own held-out data and metric (PSNR, PESQ, MAE,
accuracy). `evaluate_exported` runs the task's `evaluate` twice, as shipped and with the inference
network (a GAN's generator) replaced by `ExportedNetwork`, which runs the exported file in its
runtime and keeps the network's other attributes, and returns both results.

```python
record = export.export_model(model, "exported/rrnet-int8", "onnx", quantize="int8")
network = ExportedNetwork(model, "exported/rrnet-int8")
network(x)          # the runtime's outputs, in the Keras model's structure (numpy)
```

The evaluation code of a task must call its network eagerly (`model(x)`, `model.predict(x)`,
`generator(x)`); one that traces it inside a `tf.function` cannot run a foreign runtime and fails
with the runtime's error, reported as such.
"""

import inspect
import types

import numpy as np


class ExportedNetwork:
    """A Keras network's stand-in whose calls run an exported file (`core.export.load_exported`).

    Calls and `predict` return numpy arrays in the network's output structure (a dict stays a
    dict); every other attribute (class names, configuration, metadata) is the network's.

    Args:
        network: keras.Model. The network the folder was exported from.
        folder: str or Path. A folder `core.export.export_model` wrote.
        threads: int or None. The runtime's intra-op threads.

    Example:
    ```python
    inputs = keras.Input((3,))
    network = keras.Model(inputs, keras.layers.Dense(2)(inputs), name="tiny")
    export.export_model(network, "/tmp/tiny", "savedmodel")
    stand_in = ExportedNetwork(network, "/tmp/tiny")
    stand_in(np.ones((4, 3), "float32")).shape, stand_in.name   # ((4, 2), 'tiny')
    ```
    """

    def __init__(self, network, folder, threads=None):
        from core import export

        self._network = network
        self._run = export.load_exported(folder, threads=threads)
        self._dtype = str(network.inputs[0].dtype)
        self.calls = 0  # runs of the exported file: an evaluation that never ran it compared nothing

    def __getattr__(self, name):
        # A method of the network's own class (e.g. RRNet.predict_gaussian) runs with this stand-in
        # as `self`, so that its `self(x)`/`self.predict(x)` reach the exported runtime; Keras's
        # own methods and every other attribute are the network's.
        method = getattr(type(self._network), name, None)
        if inspect.isfunction(method) and not method.__module__.startswith("keras"):
            return types.MethodType(method, self)
        return getattr(self._network, name)

    def __call__(self, inputs, training=False, **kwargs):
        import keras

        self.calls += 1
        outputs = self._run(np.asarray(inputs, dtype=self._dtype))
        return keras.tree.pack_sequence_as(self._network.output, outputs) if len(outputs) > 1 else outputs[0]

    def predict(self, x, batch_size=32, verbose=0, **kwargs):
        """Outputs over an array (in batches of `batch_size`) or over a dataset's batches (its first element)."""
        import keras

        if hasattr(x, "shape"):
            batches = [x[start:start + batch_size] for start in range(0, len(x), batch_size)]
        else:  # a tf.data dataset or any iterable of batches, (x, y) pairs or x alone
            batches = [batch[0] if isinstance(batch, (tuple, list)) else batch for batch in x]
        parts = [keras.tree.flatten(self(batch)) for batch in batches]
        joined = [np.concatenate([part[i] for part in parts]) for i in range(len(parts[0]))]
        return keras.tree.pack_sequence_as(self._network.output, joined) if len(joined) > 1 else joined[0]


def with_exported(model, folder, threads=None):
    """The task's model with its inference network run by the exported file.

    A plain model becomes an `ExportedNetwork`; a GAN (a model with `preset_network()`) keeps its
    other parts and answers `preset_network()` and its `generator` with the stand-in.

    Args:
        model: keras.Model. What the task's `load_model` returns.
        folder: str or Path. The export of `core.export.inference_network(model)`.
        threads: int or None. The runtime's intra-op threads.
    """
    from core import export

    network = export.inference_network(model)
    stand_in = ExportedNetwork(network, folder, threads)
    if network is model:
        return stand_in

    class WithExportedGenerator:
        def __getattr__(self, name):
            if name == "generator":
                return stand_in
            return getattr(model, name)

        def preset_network(self):
            return stand_in

        def __call__(self, *args, **kwargs):
            return stand_in(*args, **kwargs)

    return WithExportedGenerator()


def evaluate_exported(task_name, config, folder, threads=None):
    """The task's `evaluate` as shipped and with the exported (e.g. quantised) network: both results.

    Args:
        task_name: str. A registered task, e.g. "lamost.rrnet".
        config: core.registry.RunConfig. The evaluation's (preset or model, options, output folder).
        folder: str or Path. The export of that model's inference network.
        threads: int or None. The runtime's intra-op threads.

    Returns:
        dict {"keras": results, "exported": results, "export": the export's record}.
    """
    import dataclasses
    import json
    import pathlib

    from core import export
    from core.registry import get_task

    task = get_task(task_name)
    keras_results = task.evaluate(dataclasses.replace(config, output_dir=pathlib.Path(config.output_dir) / "keras"))
    load_model, stand_ins = task.load_model, []

    def load_exported_model(run_config):
        model = with_exported(load_model(run_config), folder, threads)
        stand_ins.append(model if isinstance(model, ExportedNetwork) else model.preset_network())
        return model

    task.load_model = load_exported_model
    try:
        exported_results = task.evaluate(dataclasses.replace(config,
                                                             output_dir=pathlib.Path(config.output_dir) / "exported"))
    finally:
        del task.load_model
    if not any(stand_in.calls for stand_in in stand_ins):
        raise ValueError(f"{task_name}'s evaluation never ran the exported network (it reaches the Keras model "
                         f"another way): no comparison. Received: task_name={task_name!r}, folder={folder}")
    record = json.loads((pathlib.Path(folder) / export.RECORD).read_text())
    return {"keras": keras_results, "exported": exported_results, "export": record}
