"""Audio files: reading any WAV/FLAC/OGG through `soundfile`, checks, resampling, cropping.

`read_audio` returns a float32 mono waveform in [-1, 1] at the sample rate asked for, or raises
a `ValueError` naming the file and what was wrong:

- an empty file (0 bytes), not an audio file (soundfile cannot read it), or no samples at all;
- several channels: refused by default (`channels="refuse"`); `channels="mix"` averages them
  (a downmix, as `librosa.to_mono`), `channels="first"` keeps the first;
- shorter than `min_seconds` (when given): refused;
- another sample rate: resampled (`scipy.signal.resample_poly`, a polyphase low-pass FIR) with a
  `UserWarning` naming the file and both rates (`warn_resampling=False` for callers that say it
  once for many files); refused with `allow_resampling=False`;
- silent (peak below `silence_threshold`, -60 dBFS by default) or clipped (more than
  `clip_fraction` of the samples at full scale): refused unless `check=False`.

Every message quotes the file's own sample count and rate (checks run before resampling).

Example:
```python
import soundfile as sf
tone = 0.5 * np.sin(2 * np.pi * 440 * np.arange(8000) / 8000).astype("float32")
sf.write("tone8k.wav", tone, 8000)
x = read_audio("tone8k.wav", sample_rate=16000)   # resampled to 16 kHz (with a UserWarning)
x.shape, x.dtype   # ((16000,), dtype('float32'))
crop_or_pad(x, 4000).shape   # (4000,)
```
"""

import math
import pathlib
import warnings

import numpy as np

from core.data.files import find_files

__all__ = ["AUDIO_SUFFIXES", "check_waveform", "crop_or_pad", "find_audio", "random_segment", "read_audio",
           "resample", "write_audio"]

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg")
CHANNEL_MODES = ("refuse", "mix", "first")


def read_audio(path, sample_rate=None, channels="refuse", allow_resampling=True, check=True,
               silence_threshold=1e-3, clip_fraction=1e-3, min_seconds=None, warn_resampling=True):
    """A mono float32 waveform from an audio file, at `sample_rate`.

    Args:
        path: str or Path. A file soundfile reads (WAV, FLAC, OGG, ...).
        sample_rate: int or None. The rate to return; None keeps the file's. Defaults to None.
        channels: str. What to do with a multi-channel file: "refuse" (a ValueError), "mix"
            (average the channels) or "first". Defaults to "refuse".
        allow_resampling: bool. Resample a file at another rate (True) or refuse it. Defaults to True.
        check: bool. Refuse silent and clipped audio (see `check_waveform`). Defaults to True.
        silence_threshold: float. Peak amplitude below which a file is silent. Defaults to 1e-3
            (-60 dBFS).
        clip_fraction: float. Fraction of samples at full scale above which a file is clipped.
            Defaults to 1e-3.
        min_seconds: float or None. Refuse a file shorter than this (e.g. what a model needs).
            Defaults to None (no minimum).
        warn_resampling: bool. Warn (`UserWarning`, naming the file and both rates) when a file
            is resampled. Defaults to True.

    Returns:
        np.ndarray float32 `(samples,)`; with `sample_rate=None`, `(waveform, file_rate)`.

    Raises:
        FileNotFoundError: no such file.
        ValueError: an empty file, not audio, no samples, multi-channel (with "refuse"), shorter
            than `min_seconds`, another rate (with `allow_resampling=False`), silent or clipped;
            the message names the file and quotes its own sample count and rate.

    Example:
    ```python
    import soundfile as sf
    sf.write("short.wav", 0.5 * np.ones(400, "float32"), 8000)
    try:
        read_audio("short.wav", 8000, min_seconds=0.065)
    except ValueError as error:
        print(error)   # short.wav: too short: 0.050 s (400 samples at 8000 Hz); at least 0.065 s needed. ...
    ```
    """
    import soundfile

    path = pathlib.Path(path)
    if channels not in CHANNEL_MODES:
        raise ValueError(f"channels must be one of {CHANNEL_MODES}. Received: channels={channels!r}")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such audio file")
    if path.stat().st_size == 0:
        raise ValueError(f"{path}: empty file (0 bytes); expected an audio file (WAV, FLAC, OGG). "
                         f"Received: size=0 bytes")
    try:
        data, file_rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError) as error:
        raise ValueError(f"{path}: not an audio file soundfile can read (WAV, FLAC, OGG). "
                         f"Received: {error}") from None
    if data.shape[0] == 0:
        raise ValueError(f"{path}: empty audio file (0 samples). Received: {data.shape[0]} samples at {file_rate} Hz")
    if data.shape[1] > 1:
        if channels == "refuse":
            raise ValueError(f"{path}: expected mono audio. Received: {data.shape[1]} channels "
                             f"(read_audio(..., channels='mix') averages them)")
        data = data.mean(axis=1, keepdims=True) if channels == "mix" else data[:, :1]
    waveform = data[:, 0]
    if min_seconds is not None and waveform.size < min_seconds * file_rate - 1e-6:
        raise ValueError(f"{path}: too short: {waveform.size / file_rate:.3f} s ({waveform.size} samples at "
                         f"{file_rate} Hz); at least {min_seconds:.3f} s needed. Received: {waveform.size} samples "
                         f"at {file_rate} Hz")
    if check:  # on the file's own samples, so that messages quote its count and rate
        check_waveform(waveform, name=str(path), silence_threshold=silence_threshold, clip_fraction=clip_fraction,
                       sample_rate=file_rate)
    if sample_rate is not None and file_rate != sample_rate:
        if not allow_resampling:
            raise ValueError(f"{path}: expected audio at {sample_rate} Hz. Received: {file_rate} Hz "
                             f"(read_audio(..., allow_resampling=True) resamples it)")
        if warn_resampling:
            warnings.warn(f"{path}: resampled from {file_rate} Hz to {sample_rate} Hz", stacklevel=2)
        waveform = resample(waveform, file_rate, sample_rate)
    return waveform if sample_rate is not None else (waveform, file_rate)


def check_waveform(waveform, name="waveform", silence_threshold=1e-3, clip_fraction=1e-3, sample_rate=None):
    """Raise a ValueError naming `name` for an empty, non-finite, silent or clipped waveform.

    Args:
        waveform: array `(samples,)` in [-1, 1].
        name: str. What to call it in messages (a file name). Defaults to "waveform".
        silence_threshold: float. Peak below which it is silent. Defaults to 1e-3.
        clip_fraction: float. Largest fraction of samples at |x| ≥ 0.999. Defaults to 1e-3.
        sample_rate: int or None. Quoted beside the sample count in messages. Defaults to None.

    Example:
    ```python
    check_waveform(0.1 * np.sin(np.arange(1000) / 5))   # passes
    ```
    """
    waveform = np.asarray(waveform)
    at = f" at {sample_rate} Hz" if sample_rate is not None else ""
    if waveform.ndim != 1 or waveform.size == 0:
        raise ValueError(f"{name}: expected a non-empty mono waveform (samples,). Received: shape {waveform.shape}")
    if not np.all(np.isfinite(waveform)):
        raise ValueError(f"{name}: the waveform holds NaN or infinite samples")
    peak = float(np.max(np.abs(waveform)))
    if peak < silence_threshold:
        raise ValueError(f"{name}: silent audio (peak {peak:.2g} < {silence_threshold:g}, "
                         f"{20 * math.log10(max(peak, 1e-12)):.0f} dBFS). Received: {waveform.size} samples{at}")
    clipped = float(np.mean(np.abs(waveform) >= 0.999))
    if clipped > clip_fraction:
        raise ValueError(f"{name}: clipped audio ({100 * clipped:.2f} % of the samples at full scale, more than "
                         f"{100 * clip_fraction:g} %). Received: {waveform.size} samples{at}")


def resample(waveform, orig_rate, target_rate):
    """Resample with `scipy.signal.resample_poly` (polyphase FIR, Kaiser window); float32 out.

    Args:
        waveform: array `(samples,)`.
        orig_rate: int. Its sample rate.
        target_rate: int. The rate wanted.

    Example:
    ```python
    resample(np.zeros(16000, "float32"), 16000, 8000).shape   # (8000,)
    ```
    """
    from scipy.signal import resample_poly

    orig_rate, target_rate = int(orig_rate), int(target_rate)
    if orig_rate <= 0 or target_rate <= 0:
        raise ValueError(f"Sample rates must be positive. Received: orig_rate={orig_rate}, target_rate={target_rate}")
    if orig_rate == target_rate:
        return np.asarray(waveform, dtype="float32")
    g = math.gcd(orig_rate, target_rate)
    return resample_poly(np.asarray(waveform, dtype="float64"), target_rate // g, orig_rate // g).astype("float32")


def crop_or_pad(waveform, length, offset=0):
    """`length` samples from `offset`, padded with zeros at the end when the waveform is shorter.

    Example:
    ```python
    crop_or_pad(np.ones(3, "float32"), 5)   # array([1., 1., 1., 0., 0.], dtype=float32)
    ```
    """
    waveform = np.asarray(waveform, dtype="float32")[offset:offset + length]
    return np.pad(waveform, (0, length - waveform.size)) if waveform.size < length else waveform


def random_segment(waveform, length, rng):
    """A random `length`-sample segment (zero-padded when the waveform is shorter).

    Args:
        waveform: array `(samples,)`.
        length: int.
        rng: np.random.Generator.

    Example:
    ```python
    random_segment(np.arange(10, dtype="float32"), 4, np.random.default_rng(0)).shape   # (4,)
    ```
    """
    start = int(rng.integers(0, waveform.size - length + 1)) if waveform.size > length else 0
    return crop_or_pad(waveform, length, start)


def write_audio(path, waveform, sample_rate):
    """Write a mono waveform as 16-bit PCM WAV (values clipped to [-1, 1]); returns the path.

    Example:
    ```python
    write_audio("out/beep.wav", 0.1 * np.ones(800, "float32"), 8000)
    ```
    """
    import soundfile

    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(str(path), np.clip(np.asarray(waveform, dtype="float32"), -1.0, 1.0), int(sample_rate),
                    subtype="PCM_16")
    return path


def find_audio(root, suffixes=AUDIO_SUFFIXES):
    """Every audio file under `root` (recursively), sorted; a clear error if there is none (`find_files`).

    Example:
    ```python
    # example: not run (needs a folder of recordings)
    find_audio("my_recordings")[:2]
    ```
    """
    return find_files(root, suffixes, "audio files")
