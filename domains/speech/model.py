"""APNet: the amplitude-and-phase vocoder as a GAN on `core.training.GANModel`.

`APNet()` is the paper's model: the 16 kHz generator (72,191,494 parameters), HiFi-GAN's MPD
and MSD, the paper's loss weights, discriminator-first updates (as the official `train.py`,
inherited from HiFi-GAN). `fit` takes batches of waveforms `(batch, samples)` (samples a
multiple of the hop); the log-mel input and the spectral targets are computed in the graph from
them (`domains.speech.features`), so a data pipeline is only audio.

Generator loss (docs/papers.md §7), logged under `generator_<name>`:

    loss = 45·amplitude + 100·phase + 20·spectrum + adversarial + 2·feature_matching + 45·mel
    phase = instantaneous_phase + group_delay + instantaneous_frequency
    spectrum = consistency + 2.25·real_imaginary

Discriminator loss: LSGAN over the five MPD periods and three MSD scales.

`build_model(...)` builds an APNet of another width from the `speech.apnet` task's options; a
preset ships the generator alone and `APNet.from_preset(name)` rebuilds untrained discriminators
of its recorded shape beside it (`from_preset_network`).
"""

import keras
from keras import ops

from core import spectral
from core.api import export
from core.metrics import feature_matching_loss, least_squares_gan_losses, mel_l1_loss
from core.optimizers import AdamW
from core.training import GANModel
from domains.speech import losses
from domains.speech.discriminator import PERIODS, build_discriminators
from domains.speech.features import FEATURE_CONFIGS, FeatureConfig, mel_spectrogram, spectral_features
from domains.speech.generator import PAPER_PARAMETERS, build_generator

__all__ = ["APNet", "MODEL_OPTIONS", "build_model", "default_optimizer"]

# The task options that shape the networks (`build_model`'s arguments but the loss's
# `phase_wrapping`): what a preset records so that `APNet.from_preset` rebuilds its discriminators.
MODEL_OPTIONS = ("features", "channels", "kernel_sizes", "discriminator_scale", "periods", "msd_scales")


def default_optimizer(learning_rate=2e-4):
    """The paper's optimizer: AdamW, betas (0.8, 0.99), weight decay 0.01 (torch's default).

    Args:
        learning_rate: float or a `keras.optimizers.schedules` schedule. Defaults to 2e-4.
    """
    return AdamW(learning_rate, beta_1=0.8, beta_2=0.99, weight_decay=0.01)


def _feature_config(value):
    if isinstance(value, FeatureConfig):
        return value
    if isinstance(value, str):
        if value not in FEATURE_CONFIGS:
            raise ValueError(f"feature_config must be one of {tuple(FEATURE_CONFIGS)} or a FeatureConfig. "
                             f"Received: feature_config={value!r}")
        return FEATURE_CONFIGS[value]
    return FeatureConfig(**value)


def _sub_discriminator_outputs(outputs):
    """The flat list of sub-discriminator outputs (each a list of feature maps, score last).

    `outputs` holds one dict per discriminator (`{"mpd": {"period_2": [...], ...}, "msd": ...}`).
    """
    groups = outputs.values() if isinstance(outputs, dict) else outputs
    return [sub for group in groups for sub in group.values()]


def _float32(structure):
    """Every tensor of `structure` in float32: the losses' precision under a mixed_float16 policy."""
    return keras.tree.map_structure(lambda x: ops.cast(x, "float32"), structure)


@export
class APNet(GANModel):
    """APNet vocoder: mel → log-amplitude and phase spectra → waveform by iSTFT.

    `model(mel)` / `model.predict(mel)` run the generator: log-mel `(batch, frames, mels)` → a
    dict of `log_amplitude`, `phase`, `real`, `imag` `(batch, frames, bins)` and `waveform`
    `(batch, (frames − 1)·hop)`. `model.vocode(waveform, sample_rate)` resynthesises audio (copy synthesis; other rates resampled,
    with a warning).

    Reference: Ai & Ling, "APNet: An All-Frame-Level Neural Vocoder Incorporating Direct
    Prediction of Amplitude and Phase Spectra", IEEE/ACM TASLP 2023, https://arxiv.org/abs/2305.07952.

    Args:
        generator: keras.Model or None. See `build_generator`; None builds the paper's for
            `feature_config`. Defaults to None.
        discriminator: dict of keras.Model or None. None builds HiFi-GAN's
            `{"mpd": ..., "msd": ...}` at the paper's widths (`build_discriminators`). Defaults to None.
        feature_config: "16k", "8k", a `FeatureConfig` or its dict. Defaults to "16k" (the paper).
        phase_wrapping: "paper" (f_AW) or "cosine" (the official code's −cos). Defaults to "paper".
        loss_weights: dict or None. Overrides of `losses.LOSS_WEIGHTS`. Defaults to None.

    Example:
    ```python
    model = APNet()                         # the paper's 16 kHz model (72,191,494 generator parameters)
    small = APNet(build_generator(FEATURE_CONFIGS["8k"], channels=32), build_discriminators(width=0.125),
                  feature_config="8k")
    small.compile()                         # AdamW 2e-4, betas (0.8, 0.99), for both networks
    small.fit(waveform_batches, epochs=2)   # batches (batch, 4000) of 8 kHz audio
    audio = small.vocode(waveforms, 8000)   # copy synthesis
    preset = APNet.from_preset("apnet_asterisk_8k_small")   # a trained 8 kHz generator
    ```
    """

    generator_loss_names = ("loss", "amplitude", "phase", "instantaneous_phase", "group_delay",
                            "instantaneous_frequency", "spectrum", "consistency", "real_imaginary", "mel",
                            "adversarial", "feature_matching")
    discriminator_loss_names = ("loss",)
    discriminator_first = True
    # The official code's generator, weight-normalisation gains included (trainable in torch's weight_norm).
    paper_parameters = PAPER_PARAMETERS

    def __init__(self, generator=None, discriminator=None, feature_config="16k", phase_wrapping="paper",
                 loss_weights=None, **kwargs):
        config = _feature_config(feature_config)
        if phase_wrapping not in losses.WRAPPINGS:
            raise ValueError(f"phase_wrapping must be one of {losses.WRAPPINGS}. Received: {phase_wrapping!r}")
        unknown = set(loss_weights or {}) - set(losses.LOSS_WEIGHTS)
        if unknown:
            raise ValueError(f"loss_weights keys are {sorted(losses.LOSS_WEIGHTS)}. Received: {sorted(unknown)}")
        generator = build_generator(config) if generator is None else generator
        if discriminator is None:
            discriminator = build_discriminators()
        if generator.input_shape[-1] != config.num_mels:
            raise ValueError(f"The generator takes {generator.input_shape[-1]} mels; feature_config has "
                             f"{config.num_mels}. Received: feature_config={config}")
        super().__init__(generator, discriminator, **kwargs)
        self.feature_config = config
        self.phase_wrapping = phase_wrapping
        self.loss_weights = {**losses.LOSS_WEIGHTS, **(loss_weights or {})}

    @classmethod
    def from_preset_network(cls, network, metadata):
        """An APNet around a preset's generator, with untrained discriminators of the recorded shape.

        `APNet.from_preset(name)` calls it: a preset ships the generator alone (what vocoding
        needs); the discriminators are built as the preset was trained (`metadata["options"]`:
        the task options of `MODEL_OPTIONS`), ready to fine-tune.

        Args:
            network: keras.Model. The preset's generator (log-mel → spectra and waveform).
            metadata: dict. The preset's metadata; its "options" hold `features`,
                `discriminator_scale`, `periods` and `msd_scales`.

        Raises:
            ValueError: metadata without the model's options, or a network that is not a generator.

        Example:
        ```python
        model = APNet.from_preset("apnet_asterisk_8k_small")   # calls from_preset_network
        model.feature_config.sample_rate, model.trainable_parameter_count()   # 8000, 1455686
        ```
        """
        options = metadata.get("options", {})
        missing = [key for key in ("features", "discriminator_scale", "periods", "msd_scales") if key not in options]
        if missing:
            raise ValueError(f"An APNet preset's metadata records the model's options {list(MODEL_OPTIONS)}. "
                             f"Received: options={options} (missing {missing})")
        if not isinstance(network, keras.Model) or isinstance(network, GANModel):
            raise ValueError(f"An APNet preset holds its generator alone (a keras.Model). "
                             f"Received: {type(network).__name__}")
        discriminator = build_discriminators(options["periods"], options["msd_scales"], options["discriminator_scale"])
        return cls(network, discriminator, feature_config=options["features"])

    # --- inference ------------------------------------------------------------------------
    def mel(self, waveform):
        """The generator's input: log-mel `(batch, frames, mels)` of waveforms `(batch, samples)`."""
        return mel_spectrogram(waveform, self.feature_config)

    def vocode(self, waveform, sample_rate, batch_size=1, resample=True):
        """Copy synthesis: waveforms `(batch, samples)` at `sample_rate` → mel → generated waveforms (NumPy).

        The output is at the model's rate (`feature_config.sample_rate`). Audio at another rate is
        resampled to it first (`core.data.audio.resample`, with a `UserWarning` naming both rates
        and the rate of the output) or, with `resample=False`, refused. The samples are then cut
        to a multiple of the hop; the output has that many samples.

        Args:
            waveform: array `(samples,)` or `(batch, samples)`.
            sample_rate: int. The rate of `waveform` in Hz.
            batch_size: int. Waveforms per generator call. Defaults to 1.
            resample: bool. Resample audio at another rate (True) or refuse it (False). Defaults to True.

        Returns:
            float32 array `(batch, samples)` at `feature_config.sample_rate`.

        Raises:
            ValueError: another rate with `resample=False`, a rate that is not positive, or fewer
                than `feature_config.min_samples` samples (one whole analysis window) at the model's rate.

        Example:
        ```python
        model = APNet.from_preset("apnet_asterisk_8k_small")   # an 8 kHz model
        waveform_48k = np.random.default_rng(0).normal(0, 0.1, 48000).astype("float32")   # 1 s at 48 kHz
        audio = model.vocode(waveform_48k, 48000)   # warns: resampled from 48000 Hz to 8000 Hz; (1, 8000) at 8 kHz
        ```
        """
        import warnings

        import numpy as np

        from core.data.audio import resample as resample_audio

        config = self.feature_config
        hop = config.hop_length
        waveform = np.asarray(waveform, dtype="float32")
        if waveform.ndim == 1:
            waveform = waveform[None]
        if isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, np.integer)) or sample_rate <= 0:
            raise ValueError(f"vocode needs the waveform's sample rate in Hz, a positive integer (this model runs at "
                             f"{config.sample_rate} Hz). Received: sample_rate={sample_rate!r}")
        if sample_rate != config.sample_rate:
            if not resample:
                raise ValueError(f"This model runs at {config.sample_rate} Hz; vocode(..., resample=True) resamples "
                                 f"other rates. Received: sample_rate={sample_rate}")
            warnings.warn(f"vocode: resampled from {sample_rate} Hz to {config.sample_rate} Hz (the model's rate); "
                          f"the output is at {config.sample_rate} Hz", stacklevel=2)
            waveform = np.stack([resample_audio(w, sample_rate, config.sample_rate) for w in waveform])
        if waveform.shape[-1] < config.min_samples:
            raise ValueError(f"vocode needs at least {config.min_samples} samples ({config.min_seconds:.3f} s at "
                             f"{config.sample_rate} Hz: one {config.n_fft}-sample analysis window, in whole "
                             f"{hop}-sample hops). Received: waveform of shape {waveform.shape}")
        waveform = waveform[:, : waveform.shape[1] // hop * hop]
        outputs = [self.generator(self.mel(waveform[i:i + batch_size]), training=False)["waveform"]
                   for i in range(0, len(waveform), batch_size)]
        return np.concatenate([ops.convert_to_numpy(o) for o in outputs])

    # --- the GAN's hooks ---------------------------------------------------------------------
    def unpack(self, data):
        waveform = data[0] if isinstance(data, (tuple, list)) else data
        return self.mel(waveform), waveform

    def discriminator_sample(self, generated):
        return generated["waveform"]

    def spectral_losses(self, targets, generated):
        """The generator's non-adversarial losses `(B,)` each: what a generator-only fit (an overfit) trains on.

        Args:
            targets: natural waveforms `(B, samples)`.
            generated: the generator's output dict (`log_amplitude`, `phase`, `real`, `imag`, `waveform`).

        Returns:
            dict: `loss` (45·amplitude + 100·phase + 20·spectrum + 45·mel, the paper's weights),
            `amplitude`, `phase`, `instantaneous_phase`, `group_delay`, `instantaneous_frequency`,
            `spectrum`, `consistency`, `real_imaginary`, `mel`.

        Example:
        ```python
        model = build_model("8k", channels=8)
        mel, waveform = model.unpack(np.random.default_rng(0).normal(0, 0.1, (2, 4000)).astype("float32"))
        model.spectral_losses(waveform, model.generator(mel))["phase"]   # (B,)
        ```
        """
        config, weights = self.feature_config, self.loss_weights
        targets, generated = _float32((targets, generated))
        target = spectral_features(targets, config)
        amplitude = losses.amplitude_loss(target["log_amplitude"], generated["log_amplitude"])
        ip, gd, iaf = losses.phase_losses(target["phase"], generated["phase"], self.phase_wrapping)
        real_rebuilt, imag_rebuilt = spectral.stft(generated["waveform"], **config.stft_args())
        consistency = losses.consistency_loss(generated["real"], generated["imag"], real_rebuilt, imag_rebuilt)
        real_imaginary = losses.real_imaginary_loss(generated["real"], generated["imag"], target["real"],
                                                    target["imag"])
        spectrum = consistency + weights["real_imaginary"] * real_imaginary
        mel = mel_l1_loss(targets, generated["waveform"], config.filterbank(), **config.stft_args())
        phase = ip + gd + iaf
        loss = (weights["amplitude"] * amplitude + weights["phase"] * phase + weights["spectrum"] * spectrum
                + weights["mel"] * mel)
        return {"loss": loss, "amplitude": amplitude, "phase": phase, "instantaneous_phase": ip, "group_delay": gd,
                "instantaneous_frequency": iaf, "spectrum": spectrum, "consistency": consistency,
                "real_imaginary": real_imaginary, "mel": mel}

    def reconstruction_losses(self, inputs, targets, generated):
        """The generator-only recipe's losses (`compile(adversarial=False)`): `spectral_losses`."""
        return self.spectral_losses(targets, generated)

    def generator_losses(self, inputs, targets, generated, real_output, fake_output):
        weights = self.loss_weights
        spectral_terms = self.spectral_losses(targets, generated)
        real_output, fake_output = _float32((real_output, fake_output))
        real_subs, fake_subs = _sub_discriminator_outputs(real_output), _sub_discriminator_outputs(fake_output)
        adversarial, _ = least_squares_gan_losses(None, [sub[-1] for sub in fake_subs])
        matching = feature_matching_loss(real_subs, fake_subs)
        loss = spectral_terms["loss"] + adversarial + weights["feature_matching"] * matching
        return {**spectral_terms, "loss": loss, "adversarial": adversarial, "feature_matching": matching}

    def discriminator_losses(self, real_output, fake_output):
        real_output, fake_output = _float32((real_output, fake_output))
        real = [sub[-1] for sub in _sub_discriminator_outputs(real_output)]
        fake = [sub[-1] for sub in _sub_discriminator_outputs(fake_output)]
        _, loss = least_squares_gan_losses(real, fake)
        return {"loss": loss}

    def compile(self, generator_optimizer="auto", discriminator_optimizer="auto", **kwargs):
        """AdamW 2e-4, betas (0.8, 0.99) for both networks by default (the paper's); see GANModel."""
        super().compile(default_optimizer() if generator_optimizer == "auto" else generator_optimizer,
                        default_optimizer() if discriminator_optimizer == "auto" else discriminator_optimizer,
                        **kwargs)

    # --- serialization -------------------------------------------------------------------
    def get_config(self):
        return {**super().get_config(), "feature_config": self.feature_config.to_dict(),
                "phase_wrapping": self.phase_wrapping, "loss_weights": self.loss_weights}


def build_model(features="16k", channels=512, kernel_sizes=(3, 7, 11), discriminator_scale=1.0, periods=PERIODS,
                msd_scales=3, phase_wrapping="paper"):
    """An `APNet` of a given width: the paper's with the defaults; the `speech.apnet` task's options.

    Args:
        features: "16k" or "8k" (`FEATURE_CONFIGS`). Defaults to "16k" (the paper).
        channels: int. Generator width of both branches. Defaults to 512 (the paper).
        kernel_sizes: sequence of int. MRF kernels, each with dilations 1, 3, 5. Defaults to (3, 7, 11).
        discriminator_scale: float. MPD and MSD widths relative to HiFi-GAN's. Defaults to 1.0.
        periods: sequence of int. MPD periods. Defaults to (2, 3, 5, 7, 11).
        msd_scales: int. MSD scales. Defaults to 3.
        phase_wrapping: "paper" or "cosine" (see `APNet`). Defaults to "paper".

    Raises:
        ValueError: an unknown `features` name.

    Example:
    ```python
    small = build_model("8k", channels=64, discriminator_scale=0.125)   # the preset's shape
    small.trainable_parameter_count()   # 1455686 (the generator's)
    ```
    """
    if features not in FEATURE_CONFIGS:
        raise ValueError(f"features must be one of {tuple(FEATURE_CONFIGS)}. Received: features={features!r}")
    config = FEATURE_CONFIGS[features]
    kernels = tuple(kernel_sizes)
    generator = build_generator(config, channels=channels, kernel_sizes=kernels, dilations=((1, 3, 5),) * len(kernels))
    discriminator = build_discriminators(tuple(periods), msd_scales, discriminator_scale)
    return APNet(generator, discriminator, feature_config=config, phase_wrapping=phase_wrapping)
