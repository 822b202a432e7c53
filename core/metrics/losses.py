"""Losses shared by the domain models: Gaussian NLL with predicted variance, deep-ensemble
combination, and the two GAN objectives the suite uses (relativistic average and least squares).

The GAN losses return one value per example, shape `(B,)`, so that a custom `train_step` can
reduce them itself; under `tf.distribute` divide the per-replica sum by the *global* batch size:

```python
per_example_g_loss = tf.constant([0.2, 0.4, 0.9])        # (B,): one of the GAN losses below
g_loss = tf.nn.compute_average_loss(per_example_g_loss)  # sum / global batch size
```
"""

import keras
from keras import ops

from core.api import export


@export
class GaussianNLL(keras.losses.Loss):
    """Gaussian negative log-likelihood with a predicted mean and variance.

    The model predicts, for each of `n` targets, a mean `μ` and a variance `s`, concatenated on the
    last axis: `y_pred = [μ_1..μ_n, s_1..s_n]`, shape `(B, 2n)` for `y_true` of shape `(B, n)`.
    (A Keras loss receives a single `y_pred`, hence the concatenation; give the variance head a
    positive activation such as softplus before concatenating.) The per-example loss is

        mean_j[ log(s_j) / 2 + (y_j - μ_j)**2 / (2 s_j) ] + constant

    which is RRNet's loss (docs/papers.md §5) with `constant=5.0`. The constant does not change the
    gradients. The variance is clamped from below at `min_variance` for numerical stability.

    The loss returns per-example values and lets `keras.losses.Loss` reduce them, so the reduction
    is right under `tf.distribute` (the built-in reduction scales by the replica count).

    Args:
        constant: float. Offset added to the loss. Defaults to `0.0` (RRNet uses `5.0`).
        min_variance: float. Lower clamp of the predicted variance. Defaults to `1e-6`.
        reduction: str. A `keras.losses.Loss` reduction. Defaults to `"sum_over_batch_size"`.
        name: str. Defaults to `"gaussian_nll"`.
        dtype: dtype of the computation. Defaults to `None` (floatx).

    Example:
    ```python
    inputs = keras.Input((7200,))
    features = keras.layers.Dense(64, activation="relu")(inputs)
    mean = keras.layers.Dense(3)(features)
    variance = keras.layers.Dense(3, activation="softplus")(features)
    model = keras.Model(inputs, keras.layers.Concatenate()([mean, variance]))
    model.compile(optimizer="adam", loss=GaussianNLL(constant=5.0))
    ```

    Paper: Xiong, Li & Liao, "RRNet", ApJS 261:36 (2022), https://arxiv.org/abs/2205.15490
    """

    def __init__(
        self,
        constant=0.0,
        min_variance=1e-6,
        reduction="sum_over_batch_size",
        name="gaussian_nll",
        dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        if min_variance <= 0:
            raise ValueError(f"`min_variance` must be positive. Received: min_variance={min_variance}")
        self.constant = constant
        self.min_variance = min_variance

    def call(self, y_true, y_pred):
        y_true = ops.convert_to_tensor(y_true, dtype=self.dtype)
        y_pred = ops.convert_to_tensor(y_pred, dtype=self.dtype)
        width = y_pred.shape[-1]
        if width is None or width % 2:
            raise ValueError(
                "`y_pred` must hold [mean, variance] concatenated on its last axis, so its last "
                f"dimension must be known and even. Received: y_pred.shape={y_pred.shape}"
            )
        num_targets = width // 2
        if y_true.shape[-1] is not None and y_true.shape[-1] != num_targets:
            raise ValueError(
                f"`y_pred` holds {num_targets} means and {num_targets} variances, so `y_true` must have "
                f"{num_targets} targets on its last axis. Received: y_true.shape={y_true.shape}, "
                f"y_pred.shape={y_pred.shape}"
            )
        mean = y_pred[..., :num_targets]
        variance = ops.maximum(y_pred[..., num_targets:], self.min_variance)
        nll = 0.5 * ops.log(variance) + ops.square(y_true - mean) / (2.0 * variance)
        return ops.mean(nll, axis=-1) + self.constant

    def get_config(self):
        config = super().get_config()
        config.update({"constant": self.constant, "min_variance": self.min_variance})
        return config


def ensemble_gaussian(means, variances):
    """Combine the Gaussian predictions of a deep ensemble into one mean and variance.

    For members `i = 1..M` with means `μ_i` and variances `σ_i²`, the ensemble is the mixture's
    moments: `μ = mean_i μ_i` and `σ² = mean_i(μ_i² + σ_i²) - μ²` (Lakshminarayanan et al. 2017;
    RRNet's `predict.py`). Tiny negative values from rounding are clamped to 0.

    Args:
        means: a list of `M` tensors of the same shape, or one tensor with the members on axis 0.
        variances: the members' variances, in the same layout as `means`.

    Returns:
        A tuple `(mean, variance)` of float32 tensors with the members' shape.

    Example:
    ```python
    # Three members, e.g. [member.predict(x) for member in members]: each (B, 2n) = [mean, variance]
    outputs = [np.array([[1.0, 0.1], [2.0, 0.2]]), np.array([[1.2, 0.1], [2.2, 0.1]]),
               np.array([[0.8, 0.3], [1.8, 0.3]])]
    n = outputs[0].shape[-1] // 2
    mean, variance = ensemble_gaussian([o[:, :n] for o in outputs], [o[:, n:] for o in outputs])
    mean, variance   # [[1.0], [2.0]], [[0.193], [0.227]]: mean of the variances + spread of the means
    label_std = 100.0   # the scale the labels were standardised with
    sigma = np.sqrt(variance) * label_std  # RRNet's reported uncertainty
    ```
    """
    means = _stack_members(means, "means")
    variances = _stack_members(variances, "variances")
    if tuple(means.shape) != tuple(variances.shape):
        raise ValueError(
            "`means` and `variances` must have the same shape. "
            f"Received: means.shape={tuple(means.shape)}, variances.shape={tuple(variances.shape)}"
        )
    mean = ops.mean(means, axis=0)
    variance = ops.mean(ops.square(means) + variances, axis=0) - ops.square(mean)
    return mean, ops.maximum(variance, 0.0)


def relativistic_average_losses(real_logits, fake_logits, mean_axis=None):
    """Relativistic average GAN losses with BCE-with-logits (ESRGAN, DISGAN), per example.

    With `C(x)` the discriminator's logits and `mean` taken over the (per-replica) batch and, by
    default, every other axis too (ESRGAN's form); `mean_axis=0` averages over the batch axis
    only, position by position (DISGAN's official code for its per-voxel map):

    - generator: `BCE(C(fake) - mean C(real), 1)`;
    - discriminator: `[BCE(C(real) - mean C(fake), 1) + BCE(C(fake) - mean C(real), 0)] / 2`.

    Each element's BCE is averaged over the non-batch axes (e.g. a per-voxel discriminator map), giving
    `(B,)`. No `stop_gradient` is applied: the generator's gradient only flows through `fake_logits`
    anyway, and the discriminator loss is the formula's full gradient. Compute `fake_logits` from
    `stop_gradient(generated)` (or outside the generator tape) in the discriminator step.

    Args:
        real_logits: tensor `(B, ...)`. Discriminator logits on real (high-resolution) data.
        fake_logits: tensor `(B, ...)`. Discriminator logits on generated data, same shape.
        mean_axis: None (the mean over every axis) or 0 (over the batch axis only, one mean per
            position). Defaults to `None`.

    Returns:
        A tuple `(generator_loss, discriminator_loss)` of `(B,)` tensors.

    Example:
    ```python
    generator = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.UpSampling2D(2),
                                  keras.layers.Conv2D(1, 3, padding="same")])
    discriminator = keras.Sequential([keras.Input((16, 16, 1)), keras.layers.Conv2D(1, 3, padding="same")])
    lr = np.random.rand(2, 8, 8, 1).astype("float32")
    hr = np.random.rand(2, 16, 16, 1).astype("float32")
    with tf.GradientTape() as tape:
        sr = generator(lr, training=True)
        g_adv, _ = relativistic_average_losses(discriminator(hr), discriminator(sr))
        l1_per_example = mean_per_example(keras.ops.abs(sr - hr))
        g_loss = tf.nn.compute_average_loss(l1_per_example + 5e-3 * g_adv)
    gradients = tape.gradient(g_loss, generator.trainable_variables)
    ```

    Paper: Wang et al., "ESRGAN", ECCV Workshops 2018, https://arxiv.org/abs/1809.00219
    """
    real_logits = ops.convert_to_tensor(real_logits)
    fake_logits = ops.convert_to_tensor(fake_logits)
    if tuple(real_logits.shape) != tuple(fake_logits.shape):
        raise ValueError(
            "`real_logits` and `fake_logits` must have the same shape. "
            f"Received: real_logits.shape={real_logits.shape}, fake_logits.shape={fake_logits.shape}"
        )
    if mean_axis not in (None, 0):
        raise ValueError(f"mean_axis must be None (every axis) or 0 (the batch axis). Received: mean_axis={mean_axis!r}")
    real_relative = real_logits - ops.mean(fake_logits, axis=mean_axis, keepdims=True)
    fake_relative = fake_logits - ops.mean(real_logits, axis=mean_axis, keepdims=True)
    ones = ops.ones_like(fake_relative)
    zeros = ops.zeros_like(fake_relative)
    fake_as_real = ops.binary_crossentropy(ones, fake_relative, from_logits=True)
    fake_as_fake = ops.binary_crossentropy(zeros, fake_relative, from_logits=True)
    real_as_real = ops.binary_crossentropy(ones, real_relative, from_logits=True)
    generator_loss = mean_per_example(fake_as_real)
    discriminator_loss = 0.5 * (mean_per_example(real_as_real) + mean_per_example(fake_as_fake))
    return generator_loss, discriminator_loss


def least_squares_gan_losses(real_outputs, fake_outputs):
    """Least-squares GAN losses (LSGAN as used by HiFi-GAN and APNet), per example.

    - generator: `mean((1 - D(fake))**2)`;
    - discriminator: `mean((1 - D(real))**2) + mean(D(fake)**2)`;

    with the means over the non-batch axes of each discriminator output, giving `(B,)`. HiFi-GAN has
    several discriminators (multi-period, multi-scale): pass lists of outputs, one per
    discriminator, and the per-example losses are summed over them.

    Args:
        real_outputs: tensor `(B, ...)`, a list of such tensors, or `None`. Discriminator outputs on
            real data. `None` skips the discriminator loss (a generator step needs only fakes).
        fake_outputs: tensor `(B, ...)` or a list of tensors matching `real_outputs`. Discriminator
            outputs on generated data.

    Returns:
        A tuple `(generator_loss, discriminator_loss)` of `(B,)` tensors; `discriminator_loss` is
        `None` when `real_outputs` is `None`.

    Example:
    ```python
    discriminators = [keras.Sequential([keras.Input((64, 1)), keras.layers.Conv1D(1, 3)]) for _ in range(2)]
    audio = np.random.randn(4, 64, 1).astype("float32")
    generated = np.random.randn(4, 64, 1).astype("float32")   # the generator's output
    real = [d(audio) for d in discriminators]
    fake = [d(tf.stop_gradient(generated)) for d in discriminators]
    _, d_loss = least_squares_gan_losses(real, fake)                                    # (4,)
    g_adv, _ = least_squares_gan_losses(None, [d(generated) for d in discriminators])  # (4,)
    ```

    Paper: Mao et al., "Least Squares GANs", ICCV 2017, https://arxiv.org/abs/1611.04076
    """
    fake_outputs = _as_list(fake_outputs)
    generator_loss = _sum_over(mean_per_example(ops.square(1.0 - fake)) for fake in fake_outputs)
    if real_outputs is None:
        return generator_loss, None
    real_outputs = _as_list(real_outputs)
    if len(real_outputs) != len(fake_outputs):
        raise ValueError(
            "`real_outputs` and `fake_outputs` must hold one output per discriminator. "
            f"Received: len(real_outputs)={len(real_outputs)}, len(fake_outputs)={len(fake_outputs)}"
        )
    discriminator_loss = _sum_over(
        mean_per_example(ops.square(1.0 - real)) + mean_per_example(ops.square(fake))
        for real, fake in zip(real_outputs, fake_outputs)
    )
    return generator_loss, discriminator_loss


def mean_per_example(values):
    """The mean over every axis but the first (batch) axis: `(B, ...)` → `(B,)`.

    Turns element-wise losses (per pixel, voxel or logit) into the per-example vector that
    `tf.nn.compute_average_loss` and the suite's GAN losses work with. A `(B,)` input is
    returned as is.

    Args:
        values: tensor of rank ≥ 1 (its rank must be known).

    Returns:
        A `(B,)` tensor.

    Example:
    ```python
    errors = keras.ops.abs(np.ones((2, 4, 4, 1)) - np.zeros((2, 4, 4, 1)))
    mean_per_example(errors)   # [1., 1.]
    ```
    """
    values = ops.convert_to_tensor(values)
    rank = len(values.shape)
    if rank == 0:
        raise ValueError(f"mean_per_example needs a batch axis. Received: a scalar of shape {tuple(values.shape)}")
    if rank == 1:
        return values
    return ops.mean(values, axis=tuple(range(1, rank)))


def _as_list(outputs):
    if isinstance(outputs, (list, tuple)):
        return [ops.convert_to_tensor(output) for output in outputs]
    return [ops.convert_to_tensor(outputs)]


def _sum_over(values):
    total = None
    for value in values:
        total = value if total is None else total + value
    return total


def _stack_members(members, name):
    if isinstance(members, (list, tuple)):
        if not members:
            raise ValueError(f"`{name}` must hold at least one ensemble member. Received: {name}={members}")
        return ops.stack([ops.convert_to_tensor(member, dtype="float32") for member in members], axis=0)
    return ops.convert_to_tensor(members, dtype="float32")
