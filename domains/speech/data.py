"""Speech data: the LJSpeech layout, any folder of audio files, the real Asterisk and ARCTIC samples.

- `ljspeech_files(root)`: LJSpeech-1.1's layout, `metadata.csv` (`id|transcription|normalized`,
  no header, `|`-separated) beside `wavs/<id>.wav`; every listed file must exist.
- `find_audio(root)` (from `core.data.audio`): every WAV/FLAC/OGG under a folder.
- `asterisk_files()`: the 558 real 8 kHz recordings of the Asterisk sample (`speech.asterisk_allison`),
  without its `silence/` folder (digital silence, which `read_audio` refuses).
- `asterisk_transcripts()`: what each of those recordings says (`speech.asterisk_transcripts`),
  e.g. "[this is an error beep tone]" for `beeperr.wav`: kept beside a report's per-file rows.
- `arctic_utterance()`: the real 16 kHz CMU ARCTIC utterance (`speech.arctic_a0009_wav`).
- `unseen_speaker_utterances()` / `unseen_speakers()`: one real utterance each of four more speakers
  that no preset trained on (16, 16, 48 and 8 kHz; `UNSEEN_SPEAKERS`), with who speaks and where
  the file comes from.
- `split_files`: whole files held out for validation and test (scikit-learn, seeded).
- `load_waveforms`: read and resample (`core.data.audio.read_audio`).
- `segment_dataset` / `fixed_segments`: random training segments as a `tf.data.Dataset`, fixed
  validation segments as an array.

Example:
```python
files = asterisk_files()
split = split_files(files, validation=0.05, test=0.05, seed=0)
train = load_waveforms(split["train"], 8000)
dataset = segment_dataset(train, segment_length=4000, batch_size=16, seed=0)
```
"""

import pathlib

import numpy as np

from core.data import samples
from core.data.audio import find_audio, random_segment, read_audio

__all__ = ["ASTERISK", "ASTERISK_TRANSCRIPTS", "ARCTIC", "UNSEEN_SPEAKERS", "arctic_utterance", "asterisk_files",
           "asterisk_transcripts", "find_audio", "fixed_segments", "ljspeech_files", "load_waveforms",
           "segment_dataset", "split_files", "unseen_speaker_utterances", "unseen_speakers"]

ASTERISK = "speech.asterisk_allison"
ASTERISK_TRANSCRIPTS = "speech.asterisk_transcripts"
ARCTIC = "speech.arctic_a0009_wav"
ASTERISK_EXCLUDED = ("silence",)  # folders of digital silence
# The unseen-speaker samples (samples.py) and who speaks in each; of the four, only awb (a CMU ARCTIC speaker
# code) is named in its package.
UNSEEN_SPEAKERS = {
    "speech.arctic_awb_a0007_wav": "awb (CMU ARCTIC): male, Scottish English, a read sentence",
    "speech.librivox_0870_wav": "a LibriVox reader: male, English, Sense and Sensibility ch. 1 (audiobook)",
    "speech.alsa_front_center_wav": "ALSA speaker-test's voice: female, English, 'front center'",
    "speech.codec2_forig_wav": "Codec2's reference speaker forig: female",
}


def ljspeech_files(root):
    """The wav files listed in an LJSpeech-layout folder's `metadata.csv`, in its order.

    Args:
        root: str or Path. The folder holding `metadata.csv` and `wavs/`.

    Returns:
        list of Path.

    Raises:
        FileNotFoundError: no `metadata.csv`, or a listed file missing from `wavs/` (named).
        ValueError: a line that is not `id|text[|normalized text]` (its number is given).
    """
    root = pathlib.Path(root)
    metadata = root / "metadata.csv"
    if not metadata.is_file():
        raise FileNotFoundError(f"{metadata}: no such file (an LJSpeech folder holds metadata.csv and wavs/)")
    files = []
    for number, line in enumerate(metadata.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split("|")
        if len(fields) not in (2, 3) or not fields[0].strip():
            raise ValueError(f"{metadata}, line {number}: expected 'id|text|normalized text'. Received: {line!r}")
        path = root / "wavs" / f"{fields[0].strip()}.wav"
        if not path.is_file():
            raise FileNotFoundError(f"{path}: listed in {metadata} (line {number}) but missing")
        files.append(path)
    if not files:
        raise ValueError(f"{metadata}: lists no recordings")
    return files


def asterisk_files():
    """The real Asterisk recordings (8 kHz), without the `silence/` folder, sorted."""
    root = samples.fetch(ASTERISK, verbose=False)
    return [p for p in find_audio(root) if not set(p.relative_to(root).parts) & set(ASTERISK_EXCLUDED)]


def asterisk_transcripts():
    """What each real Asterisk recording says: {path (as `asterisk_files` gives it): text}.

    Read from the Debian package's `core-sounds-en.txt.gz` (one `name: text` per line, `name`
    the recording's path under the sounds folder without `.wav`); non-speech prompts are
    described in brackets ("[this is a simple beep tone]").

    Returns:
        dict {Path: str}, for the recordings that have a line.

    Example:
    ```python
    texts = asterisk_transcripts()
    texts[next(p for p in asterisk_files() if p.name == "activated.wav")]   # 'Activated.'
    ```
    """
    import gzip

    root = samples.fetch(ASTERISK, verbose=False)
    text = gzip.decompress(samples.fetch(ASTERISK_TRANSCRIPTS, verbose=False).read_bytes()).decode("utf-8")
    lines = (line.split(":", 1) for line in text.splitlines() if ":" in line and not line.startswith(";"))
    return {root / f"{name.strip()}.wav": words.strip() for name, words in lines}


def arctic_utterance():
    """Path of the real 16 kHz CMU ARCTIC utterance arctic_a0009 (3.1 s)."""
    return samples.fetch(ARCTIC, verbose=False)


def unseen_speakers():
    """The unseen speakers' utterances, fetched: {path: {"speaker", "sample", "source", "licence", "sample_rate"}}.

    One real recording each of four speakers that no preset trained on (the Asterisk voice and the
    ARCTIC a0009 speaker are not among them), at their own rates: 16 kHz (CMU ARCTIC awb, from
    pysptk's source archive; a LibriVox reader, from pocketsphinx's), 48 kHz (ALSA's speaker-test
    voice, Debian alsa-utils) and 8 kHz (Codec2's forig, Debian codec2-examples). A damaged copy
    raises `core.data.samples.SampleDataError` naming the file and its package.

    Returns:
        dict {Path: dict of str (and the file's `sample_rate`, int)}, in `UNSEEN_SPEAKERS`' order.

    Example:
    ```python
    for path, who in unseen_speakers().items():
        print(path.name, who["sample_rate"], who["speaker"], who["source"])
    ```
    """
    import soundfile

    out = {}
    for name, speaker in UNSEEN_SPEAKERS.items():
        path = samples.fetch(name, verbose=False)
        sample = samples.SAMPLES[name]
        out[path] = {"speaker": speaker, "sample": name, "source": sample.source, "licence": sample.licence,
                     "sample_rate": soundfile.info(str(path)).samplerate}
    return out


def unseen_speaker_utterances():
    """Paths of the unseen speakers' real utterances (`unseen_speakers`), fetched on first use.

    Returns:
        list of Path, in `UNSEEN_SPEAKERS`' order.

    Example:
    ```python
    waveforms = load_waveforms(unseen_speaker_utterances(), 8000)   # resampled from 16, 48 and 8 kHz
    ```
    """
    return [samples.fetch(name, verbose=False) for name in UNSEEN_SPEAKERS]


def split_files(files, validation=0.05, test=0.05, seed=0):
    """Whole files held out: `{"train", "validation", "test"}` lists of paths (seeded, scikit-learn).

    Args:
        files: list of paths.
        validation: float. Fraction held out for validation. Defaults to 0.05.
        test: float. Fraction held out for the test. Defaults to 0.05.
        seed: int. Defaults to 0.
    """
    from sklearn.model_selection import train_test_split

    files = sorted(map(pathlib.Path, files))
    held = validation + test
    if len(files) < 3 or not 0 < held < 1:
        raise ValueError(f"Splitting needs at least 3 files and 0 < validation + test < 1. "
                         f"Received: {len(files)} files, validation={validation}, test={test}")
    train, rest = train_test_split(files, test_size=max(held, 2 / len(files)), random_state=seed)
    val, test_files = train_test_split(rest, test_size=test / held, random_state=seed)
    return {"train": sorted(train), "validation": sorted(val), "test": sorted(test_files)}


def load_waveforms(paths, sample_rate, channels="refuse"):
    """Read each file at `sample_rate` (`core.data.audio.read_audio`: resampled, checked).

    Files at another rate are resampled with one `UserWarning` for them all (how many, from
    which rates, the first such file), not one per file.

    Args:
        paths: list of paths.
        sample_rate: int.
        channels: "refuse", "mix" or "first", for multi-channel files. Defaults to "refuse".

    Returns:
        list of float32 arrays `(samples,)`.

    Example:
    ```python
    waveforms = load_waveforms(asterisk_files()[:2], 8000)
    ```
    """
    import warnings

    import soundfile

    paths = [pathlib.Path(p) for p in paths]
    waveforms = [read_audio(p, sample_rate, channels=channels, warn_resampling=False) for p in paths]
    rates = {p: soundfile.info(str(p)).samplerate for p in paths}  # every file was read: the header is sound
    resampled = [p for p in paths if rates[p] != sample_rate]
    if resampled:
        warnings.warn(f"{len(resampled)} of {len(paths)} audio files resampled to {sample_rate} Hz from "
                      f"{', '.join(f'{r} Hz' for r in sorted({rates[p] for p in resampled}))} "
                      f"(the first: {resampled[0]})", stacklevel=2)
    return waveforms


def segment_dataset(waveforms, segment_length, batch_size, seed=0):
    """An endless `tf.data.Dataset` of `(batch_size, segment_length)` random segments.

    Each element picks an utterance uniformly, then a random segment of it (zero-padded when
    the utterance is shorter), as HiFi-GAN's and APNet's loaders do; seeded and repeatable.

    Args:
        waveforms: list of float32 arrays.
        segment_length: int (a multiple of the hop).
        batch_size: int.
        seed: int. Defaults to 0.
    """
    import tensorflow as tf

    if not waveforms:
        raise ValueError("segment_dataset needs at least one waveform. Received: 0")

    def segments():
        rng = np.random.default_rng(seed)
        while True:
            yield random_segment(waveforms[int(rng.integers(len(waveforms)))], segment_length, rng)

    signature = tf.TensorSpec((segment_length,), tf.float32)
    dataset = tf.data.Dataset.from_generator(segments, output_signature=signature)
    return dataset.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def fixed_segments(waveforms, segment_length, per_file=1):
    """Deterministic segments for validation: `per_file` evenly spaced ones of each waveform.

    Returns:
        float32 array `(n, segment_length)`.
    """
    out = []
    for waveform in waveforms:
        span = max(waveform.size - segment_length, 0)
        for k in range(per_file):
            start = span * (k + 1) // (per_file + 1)
            piece = waveform[start:start + segment_length]
            out.append(np.pad(piece, (0, segment_length - piece.size)))
    return np.stack(out).astype("float32")
