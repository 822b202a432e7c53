"""A 1-D convolution that convolves each sequence as pieces side by side in the batch (fast at batch 1 on CPU).

TensorFlow's CPU convolution runs a batch of one long sequence well below the rate it reaches on a
batch of several shorter ones: a 512-channel `Conv1D` of kernel 11 over 1,000 frames took 46 ms at
batch 1 and 23 ms as two halves of 505 frames in a batch of 2 (the same products, bit-identical
outputs; 2-core Xeon, TF 2.21). A vocoder vocodes one utterance at a time, so its inference copy
(`domains.speech.generator.fold_generator`) uses this layer; `python -m bench official --models apnet`
times the whole generator against the official code.

Example:
```python
conv = TimeSplitConv1D(8, 5, padding="same", splits=2)
tuple(conv(np.zeros((1, 21, 4), "float32")).shape)   # (1, 21, 8)
```
"""

import keras
from keras import ops

from core.api import export

__all__ = ["TimeSplitConv1D"]


@export
class TimeSplitConv1D(keras.layers.Conv1D):
    """`keras.layers.Conv1D` computed on `splits` pieces of each sequence stacked on the batch axis.

    Each piece carries the `dilation · (kernel − 1)` neighbouring frames it needs, so the outputs
    equal `Conv1D`'s; variables, shapes and config are `Conv1D`'s plus `splits`. Strided, grouped,
    causal and channels-first convolutions are computed as `Conv1D` computes them.

    Args:
        *args, **kwargs: as `keras.layers.Conv1D`.
        splits: int >= 1. Pieces per sequence. Defaults to 2.

    Example:
    ```python
    conv = TimeSplitConv1D(8, 3, dilation_rate=2, padding="same", splits=3)
    x = np.random.default_rng(0).normal(size=(2, 17, 4)).astype("float32")
    reference = keras.layers.Conv1D(8, 3, dilation_rate=2, padding="same")
    reference.build(x.shape)
    conv.build(x.shape)
    conv.set_weights(reference.get_weights())
    np.allclose(conv(x), reference(x), atol=1e-6)   # True
    ```
    """

    def __init__(self, *args, splits=2, **kwargs):
        super().__init__(*args, **kwargs)
        if not isinstance(splits, int) or splits < 1:
            raise ValueError(f"splits must be an integer >= 1. Received: splits={splits!r}")
        self.splits = splits

    def _splittable(self):
        return (self.splits > 1 and self.strides[0] == 1 and self.groups == 1 and self.padding in ("same", "valid")
                and self.data_format == "channels_last")

    def call(self, inputs):
        if not self._splittable():
            return super().call(inputs)
        span = self.dilation_rate[0] * (self.kernel_size[0] - 1)
        if self.padding == "same":  # Keras' "same": the extra frame of an odd span goes to the end
            inputs = ops.pad(inputs, [[0, 0], [span // 2, span - span // 2], [0, 0]])
        length = ops.shape(inputs)[1] - span  # frames of the output
        piece = (length + self.splits - 1) // self.splits
        inputs = ops.pad(inputs, [[0, 0], [0, piece * self.splits - length], [0, 0]])
        pieces = [inputs[:, i * piece:i * piece + piece + span] for i in range(self.splits)]
        outputs = ops.conv(ops.concatenate(pieces, axis=0), self.kernel, strides=1, padding="valid",
                           dilation_rate=self.dilation_rate, data_format=self.data_format)
        outputs = ops.concatenate(ops.split(outputs, self.splits, axis=0), axis=1)[:, :length]
        if self.use_bias:
            outputs = outputs + self.bias
        return outputs if self.activation is None else self.activation(outputs)

    def get_config(self):
        return {**super().get_config(), "splits": self.splits}
