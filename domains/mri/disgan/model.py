"""The DISGAN training model: generator, wavelet UNet discriminator and perceptual extractor.

Losses (docs/papers.md §1, `mains/ln_DDP_train.py` of wqlevi/DISGAN):

    G:  L1(SR, HR) + 5e-3 · BCE(D(SR) − mean_b D(HR), 1) + 1e-2 · L1(FE(SR), FE(HR))
    D:  [BCE(D(HR) − mean_b D(SR), 1) + BCE(D(SR) − mean_b D(HR), 0)] / 2

`mean_b` is the mean over the batch axis only, voxel by voxel (the official
`pred.mean(0, keepdim=True)`; under data parallelism, the replica's batch, as DDP). Gaussian
instance noise of standard deviation σ is added to both discriminator inputs, with σ decaying
linearly from 1 to 0 over the epochs (`InstanceNoiseSchedule`). Adam 1e-4 for both networks.
"""

import keras
from keras import ops

from core.api import export
from core.metrics import mean_per_example, relativistic_average_losses
from core.training import GANModel
from domains.mri.disgan.discriminator import build_discriminator
from domains.mri.disgan.feature_extractor import build_feature_extractor, extract_features
from domains.mri.disgan.generator import OFFICIAL_GENERATOR_PARAMETERS, build_generator

RELATIVISTIC_MEANS = {"batch": 0, "all": None}  # relativistic_mean → mean_axis of the core loss


@export
class DISGAN(GANModel):
    """DISGAN: 3-D MRI super-resolution GAN with a wavelet-informed UNet discriminator.

    `model(lr)` / `model.predict(lr)` run the generator. `fit` on `(lr_patches, hr_patches)`
    batches takes one generator and one discriminator step per batch (core's `GANModel`); the
    logs are `generator_loss` (the total), `generator_l1`, `generator_adversarial`,
    `generator_perceptual` and `discriminator_loss`. Add `InstanceNoiseSchedule(epochs)` to
    the callbacks for the paper's decaying instance noise.

    The discriminator is always run with batch statistics (`training=True`), as in the
    official code, which never switches it to inference mode: with the paper's N(0, 1)
    initialisation its untrained moving statistics would overflow float32.

    Reference: Wang et al., "DISGAN: Wavelet-informed discriminator guides GAN to MRI
    super-resolution with noise cleaning", ICCV Workshops 2023, https://arxiv.org/abs/2308.12084.

    Args:
        generator: keras.Model or None. See `build_generator`; None builds the paper's
            (16,042,881 parameters). Defaults to None.
        discriminator: keras.Model or None. See `build_discriminator`; None builds the paper's.
            Defaults to None.
        feature_extractor: keras.Model, "paper" or None. Frozen extractor of the perceptual term
            (see `build_feature_extractor`); "paper" builds MedicalNet's ResNet-10 (random
            features, with a warning, until you load its weights: nothing can be downloaded
            here); None drops the term. Defaults to "paper".
        l1_weight: float. Defaults to `1.0`.
        adversarial_weight: float. Defaults to `5e-3`.
        perceptual_weight: float. Defaults to `1e-2`.
        instance_noise: float. Initial instance-noise standard deviation (the schedule
            overwrites it every epoch). Defaults to `1.0`.
        relativistic_mean: "batch" (the relativistic means over the batch axis only, voxel by
            voxel: the official code) or "all" (over every axis, as ESRGAN). Defaults to `"batch"`.
        seed: int or None. Seed of the instance noise (the model's own `keras.random.SeedGenerator`):
            two models built alike with the same seed train alike. `None` draws one from Keras'
            global seed (`keras.utils.set_random_seed`). Defaults to `None`.

    Example:
    ```python
    model = DISGAN()                                  # the paper's networks
    model = DISGAN(build_generator(filters=16, num_rrdb=1), build_discriminator(filters=4, num_levels=5),
                   feature_extractor=None)            # a small one, without the perceptual term
    model.compile()                                   # Adam 1e-4 for both, as the paper
    model.fit(train_pairs, epochs=20, callbacks=[InstanceNoiseSchedule(20)])
    sr = model.predict(lr_patches)
    small = DISGAN.from_preset("disgan_mni_small")   # a trained small generator, shipped
    ```
    """

    # The paper's generator, as the official code counts it (what a preset ships: `preset_network`).
    paper_parameters = OFFICIAL_GENERATOR_PARAMETERS
    generator_loss_names = ("loss", "l1", "adversarial", "perceptual")
    discriminator_loss_names = ("loss",)
    discriminator_always_training = True  # see the class docstring

    def __init__(
        self,
        generator=None,
        discriminator=None,
        feature_extractor="paper",
        l1_weight=1.0,
        adversarial_weight=5e-3,
        perceptual_weight=1e-2,
        instance_noise=1.0,
        relativistic_mean="batch",
        seed=None,
        **kwargs,
    ):
        if isinstance(feature_extractor, str):
            if feature_extractor != "paper":
                raise ValueError(f'feature_extractor is a model, "paper" or None. Received: {feature_extractor!r}')
            feature_extractor = build_feature_extractor()
        generator = build_generator() if generator is None else generator
        discriminator = build_discriminator() if discriminator is None else discriminator
        super().__init__(generator, discriminator, **kwargs)
        if relativistic_mean not in RELATIVISTIC_MEANS:
            raise ValueError(
                f"relativistic_mean must be one of {tuple(RELATIVISTIC_MEANS)}. "
                f"Received: relativistic_mean={relativistic_mean!r}"
            )
        self.feature_extractor = feature_extractor
        if feature_extractor is not None:
            feature_extractor.trainable = False
        self.l1_weight = float(l1_weight)
        self.adversarial_weight = float(adversarial_weight)
        self.perceptual_weight = float(perceptual_weight)
        self.instance_noise = float(instance_noise)
        self.relativistic_mean = relativistic_mean
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed, name="instance_noise_seed")
        self.noise_stddev = self.add_weight(
            shape=(), initializer=keras.initializers.Constant(self.instance_noise), trainable=False,
            name="instance_noise_stddev",
        )

    @classmethod
    def from_preset(cls, name=None):
        """A shipped preset (`presets()` lists them); without a name, `presets.DEFAULT_PRESET`.

        Args:
            name: str or None. The preset's name. Defaults to `None` (the default preset).

        Raises:
            ValueError: an unknown name (listing the presets).

        Example:
        ```python
        DISGAN.from_preset().generator.count_params()   # the default preset's generator
        ```
        """
        from domains.mri.disgan.presets import DEFAULT_PRESET

        return super().from_preset(DEFAULT_PRESET if name is None else name)

    @classmethod
    def from_preset_network(cls, network, metadata):
        """A DISGAN around a preset's generator: an untrained discriminator of the recorded shape, no perceptual term.

        `DISGAN.from_preset(name)` calls it: ready to `predict`, or to fine-tune with your own
        feature extractor.

        Args:
            network: keras.Model. The preset's generator.
            metadata: dict. The preset's metadata; its "discriminator" entry holds the keyword
                arguments of `build_discriminator` (e.g. {"filters": 8, "num_levels": 5}).

        Raises:
            ValueError: metadata without a "discriminator" entry.

        Example:
        ```python
        model = DISGAN.from_preset("disgan_mni_small")   # calls from_preset_network
        model.feature_extractor is None                  # True
        ```
        """
        shape = metadata.get("discriminator")
        if not isinstance(shape, dict):
            raise ValueError(f"A DISGAN preset's metadata records its discriminator's shape ('discriminator': "
                             f"{{'filters': ..., 'num_levels': ...}}). Received: discriminator={shape!r} in "
                             f"preset {metadata.get('name')!r}")
        return cls(network, build_discriminator(**shape), feature_extractor=None)

    # --- the paper's losses -------------------------------------------------------------
    def relativistic_losses(self, real_output, fake_output):
        return relativistic_average_losses(real_output, fake_output, RELATIVISTIC_MEANS[self.relativistic_mean])

    def discriminator_input(self, x, training):
        if not training:
            return x
        noise = keras.random.normal(ops.shape(x), dtype=x.dtype, seed=self.seed_generator)
        return x + ops.cast(self.noise_stddev, x.dtype) * noise

    def generator_losses(self, inputs, targets, generated, real_output, fake_output):
        l1 = mean_per_example(ops.abs(generated - targets))
        adversarial, _ = self.relativistic_losses(real_output, fake_output)
        if self.feature_extractor is not None and self.perceptual_weight:
            # One patch at a time: TensorFlow's batched 3-D conv input gradient is ~1000× slower
            # on CPU for the extractor's stem (see `extract_features`).
            fake_features = extract_features(self.feature_extractor, generated)
            real_features = ops.stop_gradient(extract_features(self.feature_extractor, targets))
            perceptual = mean_per_example(ops.abs(fake_features - real_features))
        else:
            perceptual = ops.zeros_like(l1)
        loss = self.l1_weight * l1 + self.adversarial_weight * adversarial + self.perceptual_weight * perceptual
        return {"loss": loss, "l1": l1, "adversarial": adversarial, "perceptual": perceptual}

    def discriminator_losses(self, real_output, fake_output):
        _, discriminator = self.relativistic_losses(real_output, fake_output)
        return {"loss": discriminator}

    # --- serialization -------------------------------------------------------------------
    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "feature_extractor": None
                if self.feature_extractor is None
                else keras.layers.serialize(self.feature_extractor),
                "l1_weight": self.l1_weight,
                "adversarial_weight": self.adversarial_weight,
                "perceptual_weight": self.perceptual_weight,
                "instance_noise": self.instance_noise,
                "relativistic_mean": self.relativistic_mean,
                "seed": self.seed,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if config.get("feature_extractor") is not None:
            config["feature_extractor"] = keras.layers.deserialize(config["feature_extractor"])
        return super().from_config(config)


class InstanceNoiseSchedule(keras.callbacks.Callback):
    """Instance noise σ = initial · max(0, 1 − epoch / epochs), set at the start of each epoch.

    DISGAN's schedule (σ from 1 down towards 0 over the run). The value lives in the model's
    `noise_stddev` variable, so it is saved with the model and follows a resumed run.

    Args:
        epochs: int. The run's total number of epochs (`max_epochs`).
        initial: float. σ at epoch 0. Defaults to `1.0`.

    Example:
    ```python
    model.fit(data, epochs=20, callbacks=[InstanceNoiseSchedule(20)])
    ```
    """

    def __init__(self, epochs, initial=1.0):
        super().__init__()
        if not isinstance(epochs, int) or epochs < 1:
            raise ValueError(f"InstanceNoiseSchedule needs a positive integer epochs. Received: epochs={epochs!r}")
        self.epochs = epochs
        self.initial = float(initial)

    def value(self, epoch):
        return self.initial * max(0.0, 1.0 - epoch / self.epochs)

    def on_epoch_begin(self, epoch, logs=None):
        self.model.noise_stddev.assign(self.value(epoch))

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["instance_noise"] = self.value(epoch)
