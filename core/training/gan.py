"""GAN base model: a custom `train_step` with two optimizers, correct under any strategy."""

import keras
import tensorflow as tf
from keras import ops

from core.api import export
from core.metrics import mean_per_example
from core.optimizers import Adam
from core.presets import PresetMixin
from core.tasks.task import default_jit_compile


@export
class GANModel(PresetMixin, keras.Model):
    """Base for adversarial models (DISGAN, APNet): a generator, discriminator(s), two optimizers.

    One `train_step` updates the generator, then the discriminator on the same generated
    batch (as ESRGAN); with `discriminator_first = True`, the discriminator first, then the
    generator against the updated discriminator, from one generator forward pass (as HiFi-GAN
    and APNet). Subclasses define the losses as **per-example** vectors; the base
    turns them into the replica's share of the global-batch mean with
    `tf.nn.compute_average_loss`, so gradients are right whatever the number of replicas,
    and logs the true means through `keras.metrics.Mean` trackers. The networks' own
    regularisation losses (`model.losses`) are added to each total, scaled for the replicas;
    losses are scaled by the optimizer (`scale_loss`) so that a `LossScaleOptimizer` (mixed
    precision) works, and `compile` wraps the optimizers in one under a `mixed_float16` policy.

    The generator may return a tensor or a structure (a dict or tuple of outputs: the
    subclass's losses read what they need, `discriminator_sample` picks what the
    discriminators see). `discriminator` may be one model or a list, tuple or dict of models
    (HiFi-GAN's multi-period and multi-scale discriminators): the losses then receive their
    outputs in the same structure.

    `compile(adversarial=False)` trains the generator alone on the subclass's
    `reconstruction_losses` (no discriminator is run or updated): the PSNR-oriented phase that
    ESRGAN ships beside its GAN model, or a generator-only recipe on a small budget.

    Subclasses override:
    - `generator_loss_names` / `discriminator_loss_names`: the keys their losses return;
    - `generator_losses(inputs, targets, generated, real_output, fake_output)` → dict of
      per-example losses; its "loss" entry is the total the generator minimises;
    - `discriminator_losses(real_output, fake_output)` → dict, "loss" the total;
    - optionally `discriminator_input(x, training)` (e.g. instance noise), `unpack(data)`,
      `discriminator_sample(generated)` and `reconstruction_losses(inputs, targets, generated)`.

    A preset ships the generator alone (`preset_network`); a subclass's `from_preset_network`
    builds its discriminators beside it (untrained, ready to fine-tune).

    The base implements a plain non-saturating GAN (binary cross-entropy on logits) so that
    it is usable and testable on its own.

    Args:
        generator: keras.Model. Maps the input batch to generated samples (or a structure).
        discriminator: keras.Model, or a list / tuple / dict of them. Maps a sample batch to
            logits (any structure with a batch axis).

    Examples:
    ```python
    generator = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                                  keras.layers.Dense(3)])
    discriminator = keras.Sequential([keras.Input((3,)), keras.layers.Dense(8, activation="relu"),
                                      keras.layers.Dense(1)])
    gan = GANModel(generator, discriminator)
    gan.compile(generator_optimizer=keras.optimizers.Adam(1e-4),
                discriminator_optimizer=keras.optimizers.Adam(1e-4))
    inputs = np.random.randn(32, 4).astype("float32")    # what the generator maps (noise, LR images...)
    targets = np.random.randn(32, 3).astype("float32")   # real samples
    history = gan.fit(inputs, targets, batch_size=8, epochs=2, verbose=0)
    sorted(history.history)   # ['discriminator_loss', 'generator_loss']
    ```
    """

    generator_loss_names = ("loss",)
    discriminator_loss_names = ("loss",)
    # True: the discriminator always normalizes with batch statistics, also when evaluating
    # (DISGAN's official code never switches it to inference mode).
    discriminator_always_training = False
    # True: update the discriminator before the generator (HiFi-GAN); False: after (ESRGAN).
    discriminator_first = False

    def __init__(self, generator, discriminator, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.adversarial = True
        self._trackers = {
            _tracker_name(prefix, key): keras.metrics.Mean(name=_tracker_name(prefix, key))
            for prefix, keys in (("generator", self.generator_loss_names),
                                 ("discriminator", self.discriminator_loss_names))
            for key in keys
        }
        if generator.built and all(d.built for d in _each(discriminator)):
            self.built = True

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    def preset_network(self):
        """A preset stores the generator: what inference needs; the discriminators train it."""
        return self.generator

    @classmethod
    def from_preset_network(cls, network, metadata):
        raise NotImplementedError(f"{cls.__name__} must build its discriminators beside a preset's generator "
                                  "(from_preset_network)")

    @property
    def discriminator_variables(self):
        """The trainable variables of every discriminator."""
        return [v for d in _each(self.discriminator) for v in d.trainable_variables]

    # --- compile -------------------------------------------------------------------------
    def compile(self, generator_optimizer="auto", discriminator_optimizer="auto", jit_compile="auto",
                adversarial=True, **kwargs):
        """Configure the two optimizers ("auto": Adam 1e-4, betas 0.9/0.999, as DISGAN).

        Args:
            generator_optimizer: keras.optimizers.Optimizer or "auto".
            discriminator_optimizer: keras.optimizers.Optimizer or "auto".
            jit_compile: bool or "auto" (XLA only on GPU/TPU). Defaults to "auto".
            adversarial: bool. False: `fit` trains the generator alone on `reconstruction_losses`
                and evaluates with them; the discriminators are not run. Defaults to True.
        """
        if not isinstance(adversarial, bool):
            raise ValueError(f"adversarial must be True or False. Received: adversarial={adversarial!r}")
        self.adversarial = adversarial
        if generator_optimizer == "auto":
            generator_optimizer = Adam(1e-4)
        if discriminator_optimizer == "auto":
            discriminator_optimizer = Adam(1e-4)
        if jit_compile == "auto":
            jit_compile = default_jit_compile()
        super().compile(jit_compile=jit_compile, **kwargs)
        # Keras' own `optimizer` (RMSprop by default) does no work here. Built empty, it stays out of
        # the way: else `fit` builds it over every variable and a restored backup warns of a mismatch.
        self.optimizer.build([])
        self.generator_optimizer = _loss_scaled(keras.optimizers.get(generator_optimizer))
        self.discriminator_optimizer = _loss_scaled(keras.optimizers.get(discriminator_optimizer))
        # Optimizers used in a custom train_step must be built inside the strategy scope
        # before fit, or MirroredStrategy fails with "You must feed a value for placeholder".
        if self.generator.built and all(d.built for d in _each(self.discriminator)):
            with self.distribute_strategy.scope():
                self.generator_optimizer.build(self.generator.trainable_variables)
                self.discriminator_optimizer.build(self.discriminator_variables)

    def get_compile_config(self):
        if not hasattr(self, "generator_optimizer"):
            return None  # not compiled (e.g. loaded from a preset): saved without optimizers
        return {
            "generator_optimizer": keras.optimizers.serialize(self.generator_optimizer),
            "discriminator_optimizer": keras.optimizers.serialize(self.discriminator_optimizer),
            "adversarial": self.adversarial,
        }

    def compile_from_config(self, config):
        self.compile(
            generator_optimizer=keras.optimizers.deserialize(config["generator_optimizer"]),
            discriminator_optimizer=keras.optimizers.deserialize(config["discriminator_optimizer"]),
            adversarial=config.get("adversarial", True),
        )

    # --- hooks for subclasses ------------------------------------------------------------
    def unpack(self, data):
        """Split a batch into (generator inputs, real targets)."""
        inputs, targets = data[0], data[1]
        return inputs, targets

    def discriminator_input(self, x, training):
        return x

    def discriminator_sample(self, generated):
        """What the discriminators see of the generator's output (all of it by default)."""
        return generated

    def generator_losses(self, inputs, targets, generated, real_output, fake_output):
        return {"loss": _per_example_bce(ops.ones_like(fake_output), fake_output)}

    def reconstruction_losses(self, inputs, targets, generated):
        """The generator's losses without a discriminator (`compile(adversarial=False)`).

        Returns a dict of per-example losses, keys among `generator_loss_names`, "loss" the total.
        """
        raise NotImplementedError(f"{type(self).__name__} has no generator-only losses: compile it with "
                                  f"adversarial=True. Received: adversarial=False")

    def discriminator_losses(self, real_output, fake_output):
        real = _per_example_bce(ops.ones_like(real_output), real_output)
        fake = _per_example_bce(ops.zeros_like(fake_output), fake_output)
        return {"loss": (real + fake) / 2.0}

    # --- training ------------------------------------------------------------------------
    @property
    def metrics(self):
        return list(self._trackers.values())

    def _track(self, prefix, losses):
        for key, value in losses.items():
            name = _tracker_name(prefix, key)
            if name not in self._trackers:
                raise KeyError(
                    f"{type(self).__name__} returned the loss {key!r}, which is not declared in "
                    f"{prefix}_loss_names={getattr(self, prefix + '_loss_names')}"
                )
            self._trackers[name].update_state(value)

    def _discriminate(self, x, training):
        """Every discriminator's output on `x`, in the structure of `self.discriminator`."""
        x = self.discriminator_input(x, training)
        training = training or self.discriminator_always_training
        return _map(lambda d: d(x, training=training), self.discriminator)

    def _forward(self, inputs, targets, training):
        generated = self.generator(inputs, training=training)
        real_output = self._discriminate(targets, training)
        fake_output = self._discriminate(self.discriminator_sample(generated), training)
        return generated, real_output, fake_output

    def _discriminator_step(self, targets, generated):
        """One discriminator update on real `targets` and (constant) generated samples."""
        generated = ops.stop_gradient(self.discriminator_sample(generated))
        variables = self.discriminator_variables
        with tf.GradientTape() as tape:
            real_output = self._discriminate(targets, True)
            fake_output = self._discriminate(generated, True)
            d_losses = self.discriminator_losses(real_output, fake_output)
            d_loss = self._total(d_losses["loss"], _each(self.discriminator))
            scaled = self.discriminator_optimizer.scale_loss(d_loss)
        self.discriminator_optimizer.apply(tape.gradient(scaled, variables), variables)
        return d_losses

    @staticmethod
    def _total(per_example, networks):
        """The replica's share of the global-batch mean, plus the networks' regularisation losses."""
        loss = tf.nn.compute_average_loss(per_example)
        regularization = [l for network in networks for l in network.losses]
        if regularization:
            loss = loss + tf.nn.scale_regularization_loss(tf.add_n(regularization))
        return loss

    def _generator_only_step(self, inputs, targets):
        with tf.GradientTape() as tape:
            g_losses = self.reconstruction_losses(inputs, targets, self.generator(inputs, training=True))
            scaled = self.generator_optimizer.scale_loss(self._total(g_losses["loss"], [self.generator]))
        variables = self.generator.trainable_variables
        self.generator_optimizer.apply(tape.gradient(scaled, variables), variables)
        return self._track_only(g_losses)

    def _track_only(self, g_losses):
        """Track a generator-only step's losses; the logs hold those alone (no discriminator ran)."""
        self._track("generator", g_losses)
        names = {_tracker_name("generator", key) for key in g_losses}
        return {m.name: m.result() for m in self.metrics if m.name in names}

    def train_step(self, data):
        inputs, targets = self.unpack(data)
        if not self.adversarial:
            return self._generator_only_step(inputs, targets)
        with tf.GradientTape() as tape:
            generated = self.generator(inputs, training=True)
            if self.discriminator_first:
                with tape.stop_recording():
                    d_losses = self._discriminator_step(targets, generated)
            # D(real) is a constant for the generator step (relativistic losses read it).
            real_output = keras.tree.map_structure(ops.stop_gradient, self._discriminate(targets, True))
            fake_output = self._discriminate(self.discriminator_sample(generated), True)
            g_losses = self.generator_losses(inputs, targets, generated, real_output, fake_output)
            g_loss = self._total(g_losses["loss"], [self.generator])
            scaled = self.generator_optimizer.scale_loss(g_loss)
        variables = self.generator.trainable_variables
        self.generator_optimizer.apply(tape.gradient(scaled, variables), variables)
        if not self.discriminator_first:
            d_losses = self._discriminator_step(targets, generated)

        self._track("generator", g_losses)
        self._track("discriminator", d_losses)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        inputs, targets = self.unpack(data)
        if not self.adversarial:
            return self._track_only(self.reconstruction_losses(inputs, targets, self.generator(inputs, training=False)))
        generated, real_output, fake_output = self._forward(inputs, targets, training=False)
        self._track("generator", self.generator_losses(inputs, targets, generated, real_output, fake_output))
        self._track("discriminator", self.discriminator_losses(real_output, fake_output))
        return {m.name: m.result() for m in self.metrics}

    # --- serialization -------------------------------------------------------------------
    def get_config(self):
        return {
            **super().get_config(),
            "generator": keras.layers.serialize(self.generator),
            "discriminator": _map(keras.layers.serialize, self.discriminator),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["generator"] = keras.layers.deserialize(config["generator"])
        discriminator = config["discriminator"]
        if isinstance(discriminator, dict) and "class_name" in discriminator:  # one serialized model
            config["discriminator"] = keras.layers.deserialize(discriminator)
        else:
            config["discriminator"] = _map(keras.layers.deserialize, discriminator)
        return cls(**config)


def _each(networks):
    """The models of a discriminator structure (one model, a list, tuple or dict of models)."""
    if isinstance(networks, dict):
        return list(networks.values())
    if isinstance(networks, (list, tuple)):
        return list(networks)
    return [networks]


def _map(function, networks):
    """`function` applied to each element of one object, a list/tuple or a dict, keeping the structure."""
    if isinstance(networks, dict):
        return {key: function(value) for key, value in networks.items()}
    if isinstance(networks, (list, tuple)):
        return [function(value) for value in networks]
    return function(networks)


def _loss_scaled(optimizer):
    """`optimizer` in a `LossScaleOptimizer` under a mixed_float16 policy (as `Model.compile` does)."""
    if keras.config.dtype_policy().name == "mixed_float16" and not isinstance(
            optimizer, keras.optimizers.LossScaleOptimizer):
        return keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer


def _tracker_name(prefix, key):
    return f"{prefix}_loss" if key == "loss" else f"{prefix}_{key}"


def _per_example_bce(labels, logits):
    """Binary cross-entropy on logits, averaged over every axis but the batch axis."""
    return mean_per_example(ops.binary_crossentropy(labels, logits, from_logits=True))
