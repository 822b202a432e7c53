"""A task's evaluation with its inference network run by an exported (e.g. quantised) runtime.

`core.export.export_model(..., quantize="int8")` checks a lower precision on a random input; what
it costs in quality shows only on the task's own held-out data and metric (PSNR, PESQ, MAE,
accuracy). `evaluate_exported` runs the task's `evaluate` twice, as shipped and with the inference
network (a GAN's generator) running the exported file, and returns both results.

`ExportedRuntime` makes the Keras network itself run the exported file: its `call` is replaced by
the runtime (through `tf.numpy_function`, so that `model(x)`, `model.predict`, the network class's
own methods and `tf.function`s around it all reach the runtime), everything else is the network's.

```python
# example: not run (a trained RRNet `model` and ONNX Runtime)
record = export.export_model(model, "exported/rrnet-int8", "onnx", quantize="int8")
runtime = ExportedRuntime(model, "exported/rrnet-int8")
model.predict(x)     # the int8 runtime's outputs
runtime.calls        # how many times the runtime ran
runtime.restore()    # the Keras model again
```
"""

import numpy as np


class ExportedRuntime:
    """Make a Keras network run an exported file (`core.export.load_exported`) in place of its layers.

    Args:
        network: keras.Model. The network the folder was exported from (one input).
        folder: str or Path. A folder `core.export.export_model` wrote.
        threads: int or None. The runtime's intra-op threads.

    Example:
    ```python
    from core import export

    inputs = keras.Input((3,))
    network = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    export.export_model(network, "/tmp/tiny", "savedmodel")
    runtime = ExportedRuntime(network, "/tmp/tiny")
    network.predict(np.ones((4, 3), "float32")).shape, runtime.calls   # ((4, 2), 1)
    ```
    """

    def __init__(self, network, folder, threads=None):
        import keras
        import tensorflow as tf

        from core import export

        self.network = network
        self.calls = 0  # runs of the exported file: an evaluation that never ran it compared nothing
        run = export.load_exported(folder, threads=threads)
        dtype = str(network.inputs[0].dtype)
        try:
            structure = network.output  # a Functional model's own structure (a dict of heads stays a dict)
        except AttributeError:  # a Sequential model's
            structure = network.outputs
        outputs = keras.tree.flatten(structure)

        def run_counted(x):
            self.calls += 1
            return [np.asarray(y, dtype=str(o.dtype)) for y, o in zip(run(np.asarray(x, dtype=dtype)), outputs)]

        def call(inputs, training=False, **kwargs):
            results = tf.numpy_function(run_counted, [tf.convert_to_tensor(inputs, dtype)],
                                        [tf.as_dtype(str(o.dtype)) for o in outputs], stateful=True)
            results = list(results) if isinstance(results, (list, tuple)) else [results]  # eager: one tensor
            for result, output in zip(results, outputs):
                result.set_shape(output.shape)
            return keras.tree.pack_sequence_as(structure, results) if len(results) > 1 else results[0]

        object.__setattr__(network, "call", call)

    def restore(self):
        """The network runs its own layers again."""
        if "call" in vars(self.network):
            object.__delattr__(self.network, "call")


def with_exported(model, folder, threads=None):
    """Make the task model's inference network (a GAN's generator) run the exported file; the `ExportedRuntime`.

    Args:
        model: keras.Model. What the task's `load_model` returns; it is changed in place.
        folder: str or Path. The export of `core.export.inference_network(model)`.
        threads: int or None. The runtime's intra-op threads.
    """
    from core import export

    return ExportedRuntime(export.inference_network(model), folder, threads)


def evaluate_exported(task_name, config, folder, threads=None):
    """The task's `evaluate` as shipped and with the exported (e.g. quantised) network: both results.

    Args:
        task_name: str. A registered task, e.g. "lamost.rrnet".
        config: core.registry.RunConfig. The evaluation's (preset or model, options, output folder).
        folder: str or Path. The export of that model's inference network.
        threads: int or None. The runtime's intra-op threads.

    Returns:
        dict {"keras": results, "exported": results, "export": the export's record, "runtime_calls": int}.

    Raises:
        ValueError: the evaluation never ran the exported network (nothing was compared).
    """
    import dataclasses
    import json
    import pathlib

    from core import export
    from core.registry import get_task

    task = get_task(task_name)
    keras_results = task.evaluate(dataclasses.replace(config, output_dir=pathlib.Path(config.output_dir) / "keras"))
    load_model, runtimes = task.load_model, []

    def load_exported_model(run_config):
        model = load_model(run_config)
        runtimes.append(with_exported(model, folder, threads))
        return model

    task.load_model = load_exported_model
    try:
        exported_results = task.evaluate(dataclasses.replace(config,
                                                             output_dir=pathlib.Path(config.output_dir) / "exported"))
    finally:
        del task.load_model
    calls = sum(runtime.calls for runtime in runtimes)
    if not calls:
        raise ValueError(f"{task_name}'s evaluation never ran the exported network: no comparison. "
                         f"Received: task_name={task_name!r}, folder={folder}")
    record = json.loads((pathlib.Path(folder) / export.RECORD).read_text())
    return {"keras": keras_results, "exported": exported_results, "export": record, "runtime_calls": calls}
