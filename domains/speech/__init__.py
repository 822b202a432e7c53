"""domains.speech — neural vocoding of speech: APNet (Ai & Ling, IEEE/ACM TASLP 2023).

APNet predicts the log-amplitude and the phase spectra of speech from its log-mel spectrogram,
frame by frame (no upsampling), and synthesises the waveform by an inverse STFT; trained as a
GAN with HiFi-GAN's discriminators and anti-wrapping phase losses. With loaders for the
LJSpeech layout and any folder of audio files, the real Asterisk (8 kHz) and CMU ARCTIC (16 kHz)
samples, a copy-synthesis evaluation beside Griffin-Lim, and the CLI task `speech.apnet`.

Modules: `features` (log-mel and spectral targets, the 16k / 8k configurations), `generator`
(APNet's generator; HiFi-GAN's for the benchmark), `discriminator` (MPD, MSD), `losses`, `model`
(APNet), `data`, `training` (the paper's recipe, the generator-only spectral recipe, the overfit), `evaluation`, `official` (the
authors' PyTorch state dict into our generator), `presets`, `task`.

Example:
```python
from domains.speech import APNet
model = APNet.from_preset("apnet_asterisk_8k_spectral")   # the 8 kHz preset that speaks
audio = model.vocode(waveform, 16000)   # resampled to 8 kHz (a warning says so), copy synthesis
```
"""

from domains.speech import task  # noqa: F401  (registers the CLI task)
from domains.speech.features import FEATURE_CONFIGS, FeatureConfig
from domains.speech.model import APNet

__all__ = ["APNet", "FEATURE_CONFIGS", "FeatureConfig"]
