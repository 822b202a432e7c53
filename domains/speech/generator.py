"""APNet's generator: amplitude (ASP) and phase (PSP) spectrum predictors, then an iSTFT.

As the official `models.py` (docs/papers.md §7), every layer frame-level (no upsampling):

    ASP: mel → Conv1D(512, k7) → MRF(k 3/7/11, d 1/3/5, averaged) → LeakyReLU(0.01) → Conv1D(bins, k7) = log|X|
    PSP: mel → Conv1D(512, k7) → MRF(...)                          → LeakyReLU(0.01) → Conv1D(bins, k7) = R
                                                                                      → Conv1D(bins, k7) = I
         phase = atan2(I, R)
    re = exp(log|X|)·cos(phase), im = exp(log|X|)·sin(phase), waveform = iSTFT(re, im) (torch's centred iSTFT)

Every convolution is weight-normalised with N(0, 0.01) kernels. The paper's 16 kHz configuration
has 72,191,494 parameters with weight normalisation (72,170,499 folded), the official count.

`build_hifigan_generator` is the HiFi-GAN v1 generator (transposed-convolution upsampling plus
MRF) from the same core layers: the baseline of `bench/speech_apnet.py`.

Example:
```python
generator = build_generator(FEATURE_CONFIGS["8k"], channels=8, kernel_sizes=(3,), dilations=((1,),))
outputs = generator(np.zeros((1, 21, 80), "float32"))
{k: tuple(v.shape) for k, v in outputs.items()}
# {'log_amplitude': (1, 21, 257), 'phase': ..., 'real': ..., 'imag': ..., 'waveform': (1, 800)}
```
"""

import keras
from keras import ops

from core import spectral
from core.api import export
from core.layers import WeightNormalization
from core.layers.dilated import apply_multi_receptive_field, vocoder_conv1d
from domains.speech.features import FEATURE_CONFIGS

__all__ = ["OUTPUTS", "PAPER_PARAMETERS", "SpectrumSynthesis", "build_generator", "build_hifigan_generator",
           "fold_generator"]

PAPER_PARAMETERS = 72_191_494
OUTPUTS = ("log_amplitude", "phase", "real", "imag", "waveform")
OUTPUT_SLOPE = 0.01  # F.leaky_relu's default, after the MRF


@export
class SpectrumSynthesis(keras.layers.Layer):
    """(log-amplitude, R, I) → (phase, real, imag, waveform): APNet's atan2 phase and iSTFT.

    Args:
        n_fft: int.
        hop_length: int.
        win_length: int.
        inverse: "fft" or "matmul", the inverse DFT of `core.spectral.istft` ("matmul" for a
            TFLite export with builtin ops only). Defaults to "fft".
        **kwargs: base layer arguments.

    Example:
    ```python
    layer = SpectrumSynthesis(512, 40, 160)
    zeros = np.zeros((1, 11, 257), "float32")
    phase, real, imag, waveform = layer([zeros, zeros + 1, zeros])
    tuple(waveform.shape)   # (1, 400)
    ```
    """

    def __init__(self, n_fft, hop_length, win_length, inverse="fft", **kwargs):
        super().__init__(**kwargs)
        self.n_fft, self.hop_length, self.win_length = int(n_fft), int(hop_length), int(win_length)
        if inverse not in spectral.INVERSE_METHODS:
            raise ValueError(f"inverse must be one of {spectral.INVERSE_METHODS}. Received: inverse={inverse!r}")
        self.inverse = inverse

    def call(self, inputs):
        log_amplitude, r, i = inputs
        phase = ops.arctan2(i, r)
        amplitude = ops.exp(log_amplitude)
        real, imag = amplitude * ops.cos(phase), amplitude * ops.sin(phase)
        waveform = spectral.istft(real, imag, self.n_fft, self.hop_length, self.win_length, method=self.inverse)
        return phase, real, imag, waveform

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape[0])
        frames = shape[1]
        samples = None if frames is None else (frames - 1) * self.hop_length
        return shape, shape, shape, (shape[0], samples)

    def get_config(self):
        return {**super().get_config(), "n_fft": self.n_fft, "hop_length": self.hop_length,
                "win_length": self.win_length, "inverse": self.inverse}


def build_generator(feature_config=None, channels=512, kernel_sizes=(3, 7, 11), dilations=((1, 3, 5),) * 3,
                    input_kernel=7, output_kernel=7, name="apnet_generator"):
    """APNet's generator as a functional `keras.Model`: log-mel `(batch, frames, mels)` → dict.

    Args:
        feature_config: `FeatureConfig` or None (the paper's 16 kHz one). Sets the mels, bins
            and the iSTFT.
        channels: int. Width of both branches (the paper: 512).
        kernel_sizes: tuple of int. MRF kernels (the paper: 3, 7, 11).
        dilations: tuple of tuples. MRF dilations (the paper: (1, 3, 5) for each).
        input_kernel: int. Defaults to 7.
        output_kernel: int. Defaults to 7.
        name: str. Defaults to "apnet_generator".

    Returns:
        keras.Model whose output is a dict of `OUTPUTS`: `log_amplitude`, `phase`, `real`,
        `imag` `(batch, frames, bins)` and `waveform` `(batch, (frames - 1) · hop)`.
    """
    config = feature_config or FEATURE_CONFIGS["16k"]
    mel = keras.Input((None, config.num_mels), name="mel")

    def branch(prefix):
        x = vocoder_conv1d(channels, input_kernel, name=f"{prefix}_input_conv")(mel)
        x = apply_multi_receptive_field(x, channels, kernel_sizes, dilations, name=f"{prefix}_mrf")
        return keras.layers.LeakyReLU(OUTPUT_SLOPE, name=f"{prefix}_act")(x)

    log_amplitude = vocoder_conv1d(config.num_bins, output_kernel, name="asp_output_conv")(branch("asp"))
    psp = branch("psp")
    r = vocoder_conv1d(config.num_bins, output_kernel, name="psp_output_r_conv")(psp)
    i = vocoder_conv1d(config.num_bins, output_kernel, name="psp_output_i_conv")(psp)
    # float32 under a mixed_float16 policy too: exp, atan2 and the iSTFT (no half-precision FFT).
    phase, real, imag, waveform = SpectrumSynthesis(config.n_fft, config.hop_length, config.win_length,
                                                    dtype="float32", name="synthesis")([log_amplitude, r, i])
    outputs = {"log_amplitude": log_amplitude, "phase": phase, "real": real, "imag": imag, "waveform": waveform}
    return keras.Model(mel, outputs, name=name)


def build_hifigan_generator(num_mels=80, upsample_rates=(8, 8, 2, 2), upsample_kernel_sizes=(16, 16, 4, 4),
                            channels=512, kernel_sizes=(3, 7, 11), dilations=((1, 3, 5),) * 3,
                            name="hifigan_generator"):
    """HiFi-GAN's generator (v1 by default): mel `(batch, frames, mels)` → waveform `(batch, frames · hop)`.

    Conv1D(channels, k7) → per upsampling stage: LeakyReLU(0.1) → ConvTranspose(channels / 2^s,
    kernel, stride) → MRF; then LeakyReLU(0.01) → Conv1D(1, k7) → tanh. The hop is the product
    of `upsample_rates` (256 for v1 at 22.05 kHz; pass e.g. (5, 4, 2, 2) for a hop of 80).

    The numerics of the official `models.py` (github.com/jik876/hifi-gan; `domains.speech.official`
    converts its weights): every convolution weight-normalised, the transposed ones with one gain
    per input channel as torch's; "same" padding of a transposed convolution crops
    `(kernel - rate) // 2` samples in front, as torch's `padding=(k-u)//2`, so that the outputs are
    equal when `kernel - rate` is even (every official configuration). When it is odd, torch's
    stage gives one sample more (`frames · rate + 1`) and ours stops at `frames · rate`.

    Args:
        num_mels: int. Defaults to 80.
        upsample_rates: tuple of int. Defaults to (8, 8, 2, 2).
        upsample_kernel_sizes: tuple of int. Defaults to (16, 16, 4, 4).
        channels: int. Defaults to 512.
        kernel_sizes, dilations: the MRF's. Default to v1's.
        name: str.

    Example:
    ```python
    hifigan = build_hifigan_generator(upsample_rates=(5, 4, 2, 2), upsample_kernel_sizes=(10, 8, 4, 4))
    ```
    """
    mel = keras.Input((None, num_mels), name="mel")
    x = vocoder_conv1d(channels, 7, name="conv_pre")(mel)
    for stage, (rate, kernel) in enumerate(zip(upsample_rates, upsample_kernel_sizes)):
        width = channels // 2 ** (stage + 1)
        x = keras.layers.LeakyReLU(0.1, name=f"up{stage}_act")(x)
        up = keras.layers.Conv1DTranspose(width, kernel, strides=rate, padding="same",
                                          kernel_initializer=keras.initializers.RandomNormal(0.0, 0.01),
                                          name=f"up{stage}")
        # torch's weight_norm(ConvTranspose1d) keeps one gain per *input* channel (dim 0 of its
        # (in, out, k) weight): axis -1 of our (k, out, in) kernel.
        x = WeightNormalization(up, axis=-1, name=f"up{stage}_wn")(x)
        x = apply_multi_receptive_field(x, width, kernel_sizes, dilations, name=f"mrf{stage}")
    x = keras.layers.LeakyReLU(OUTPUT_SLOPE, name="post_act")(x)
    x = vocoder_conv1d(1, 7, name="conv_post")(x)
    waveform = keras.layers.Activation("tanh", name="tanh")(x)
    waveform = keras.layers.Reshape((-1,), name="waveform")(waveform)
    return keras.Model(mel, waveform, name=name)


def fold_generator(generator, inverse="fft"):
    """A copy of `generator` with every `WeightNormalization` folded into a plain layer (same outputs).

    The counterpart of torch's `remove_weight_norm` on every layer (`core.layers.fold_weight_normalization`).
    The folded 1-D convolutions are `core.layers.TimeSplitConv1D`s: the same outputs, computed on two
    halves of each utterance side by side in the batch, which TensorFlow's CPU kernels run about
    twice as fast as one long sequence for the long kernels of the MRF.

    Args:
        generator: keras.Model. An APNet or HiFi-GAN generator (built).
        inverse: "fft" or "matmul": the iSTFT of the copy's `SpectrumSynthesis` ("matmul" for a
            TFLite export with builtin ops only). Defaults to "fft".

    Example:
    ```python
    generator = build_generator(FEATURE_CONFIGS["8k"], channels=8, kernel_sizes=(3,), dilations=((1,),))
    folded = fold_generator(generator)
    generator.count_params() - folded.count_params()   # the weight-norm gains
    ```
    """
    from core.layers import TimeSplitConv1D, WeightNormalization, fold_weight_normalization

    def clone(layer):
        if isinstance(layer, WeightNormalization):
            # One utterance at a time: its convolutions run as two halves in a batch of 2 (twice as fast on CPU).
            return fold_weight_normalization(layer, TimeSplitConv1D if type(layer.layer) is keras.layers.Conv1D else None)
        if isinstance(layer, SpectrumSynthesis):
            return SpectrumSynthesis.from_config({**layer.get_config(), "inverse": inverse})
        return layer

    return keras.models.clone_model(generator, clone_function=clone)
