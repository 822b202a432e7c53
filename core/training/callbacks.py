"""Small training callbacks that any domain can use: a wall-time budget and a step counter."""

import time

import keras


class TimeBudget(keras.callbacks.Callback):
    """Stop training (after the current batch) once `seconds` have passed since `fit` began.

    Args:
        seconds: float or None. The budget; None or 0 means no limit.

    Example:
    ```python
    x, y = np.zeros((64, 4), "float32"), np.zeros((64, 1), "float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    budget = TimeBudget(2)
    model.fit(x, y, epochs=1000, callbacks=[budget], verbose=0)   # about 2 s, whatever the epoch count
    budget.stopped_at                                   # the batch it stopped after, or None
    ```
    """

    def __init__(self, seconds):
        super().__init__()
        self.seconds = seconds
        self.stopped_at = None

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if self.seconds and time.perf_counter() - self.start > self.seconds:
            self.model.stop_training = True
            self.stopped_at = batch


class StepCounter(keras.callbacks.Callback):
    """Counts the batches actually trained and the wall time of `fit` (for honest reports).

    Example:
    ```python
    x, y = np.zeros((64, 4), "float32"), np.zeros((64, 1), "float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    counter = StepCounter()
    model.fit(x, y, batch_size=32, epochs=2, callbacks=[counter], verbose=0)
    counter.steps, counter.seconds   # (4, ...)
    ```
    """

    def on_train_begin(self, logs=None):
        self.steps, self.start = 0, time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1

    def on_train_end(self, logs=None):
        self.seconds = time.perf_counter() - self.start
