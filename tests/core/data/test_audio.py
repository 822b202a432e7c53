"""core.data.audio on real recordings and on every kind of bad file, each error naming the file."""

import pathlib
import warnings

import numpy as np
import soundfile as sf

from core.data import samples
from core.data.audio import check_waveform, crop_or_pad, find_audio, random_segment, read_audio, resample, write_audio
from core.testing import TestCase

ARCTIC = "speech.arctic_a0009_wav"


def _tone(rate, seconds=0.5, amplitude=0.5, frequency=440.0):
    t = np.arange(int(rate * seconds)) / rate
    return (amplitude * np.sin(2 * np.pi * frequency * t)).astype("float32")


class ReadAudioTest(TestCase):
    def test_real_recording_reads_and_resamples_to_the_same_spectrum(self):
        path = samples.fetch(ARCTIC, verbose=False)
        native, rate = read_audio(path)
        self.assertEqual((rate, native.dtype, native.ndim), (16000, np.float32, 1))
        down = read_audio(path, 8000)
        self.assertEqual(down.size, native.size // 2)
        # Below 3.5 kHz the resampled signal keeps the original's spectrum: with half the samples,
        # bin k of either FFT is the same frequency, k · 16000 / len(native) Hz.
        band = slice(100, 3500 * native.size // 16000)
        ours = 2 * np.abs(np.fft.rfft(down))[band]
        theirs = np.abs(np.fft.rfft(native[: 2 * down.size]))[band]
        self.assertGreater(np.corrcoef(ours, theirs)[0, 1], 0.99)
        self.assertAllClose(ours.sum() / theirs.sum(), 1.0, atol=0.02)

    def test_bad_files_are_refused_naming_the_file(self):
        folder = self.get_temp_dir()
        cases = {
            "stereo.wav": (np.stack([_tone(8000), _tone(8000)], axis=1), 8000, "expected mono"),
            "empty.wav": (np.zeros((0,), "float32"), 8000, "empty audio file"),
            "silent.wav": (np.zeros(4000, "float32"), 8000, "silent audio"),
            "clipped.wav": (np.clip(4 * _tone(8000), -1, 1), 8000, "clipped audio"),
        }
        for name, (data, rate, message) in cases.items():
            sf.write(f"{folder}/{name}", data, rate)
            with self.assertRaisesRegex(ValueError, f"{name}.*{message}"):
                read_audio(f"{folder}/{name}", 8000)
        with open(f"{folder}/notes.wav", "w") as f:
            f.write("not audio")
        with self.assertRaisesRegex(ValueError, "notes.wav: not an audio file"):
            read_audio(f"{folder}/notes.wav")
        sf.write(f"{folder}/tone16k.wav", _tone(16000), 16000)
        with self.assertRaisesRegex(ValueError, "tone16k.wav: expected audio at 8000 Hz. Received: 16000"):
            read_audio(f"{folder}/tone16k.wav", 8000, allow_resampling=False)
        with self.assertRaisesRegex(FileNotFoundError, "missing.wav"):
            read_audio(f"{folder}/missing.wav")

    def test_empty_file_short_clip_and_resampling_are_said_with_the_files_own_numbers(self):
        folder = pathlib.Path(self.get_temp_dir())
        (folder / "zero.wav").write_bytes(b"")
        with self.assertRaisesRegex(ValueError, r"zero\.wav: empty file \(0 bytes\).*Received: size=0 bytes"):
            read_audio(folder / "zero.wav", 8000)
        # 0.05 s at 48 kHz: the messages quote 2400 samples at 48000 Hz, not the 400 after resampling to 8 kHz.
        sf.write(folder / "short48k.wav", _tone(48000, seconds=0.05), 48000)
        with self.assertRaisesRegex(ValueError, r"short48k\.wav: too short: 0\.050 s \(2400 samples at 48000 Hz\); "
                                                r"at least 0\.065 s needed"):
            read_audio(folder / "short48k.wav", 8000, min_seconds=0.065)
        sf.write(folder / "silent48k.wav", np.zeros(4800, "float32"), 48000)
        with self.assertRaisesRegex(ValueError, r"silent48k\.wav: silent audio.*Received: 4800 samples at 48000 Hz"):
            read_audio(folder / "silent48k.wav", 8000)
        sf.write(folder / "tone48k.wav", _tone(48000), 48000)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            x = read_audio(folder / "tone48k.wav", 8000)
            self.assertEqual(x.size, 4000)
            read_audio(folder / "tone48k.wav", 8000, warn_resampling=False)
            read_audio(folder / "tone48k.wav", 48000)  # the file's own rate: no warning
        self.assertEqual([str(w.message) for w in caught],
                         [f"{folder / 'tone48k.wav'}: resampled from 48000 Hz to 8000 Hz"])
        self.assertEqual(caught[0].category, UserWarning)
        # Exactly the minimum passes (0.065 s = 520 samples at 8 kHz).
        sf.write(folder / "just.wav", _tone(8000, seconds=0.065), 8000)
        self.assertEqual(read_audio(folder / "just.wav", 8000, min_seconds=520 / 8000).size, 520)

    def test_stereo_downmix_averages_the_channels(self):
        folder = self.get_temp_dir()
        left, right = _tone(8000, amplitude=0.2), _tone(8000, amplitude=0.6)
        sf.write(f"{folder}/stereo.wav", np.stack([left, right], axis=1), 8000, subtype="FLOAT")
        self.assertAllClose(read_audio(f"{folder}/stereo.wav", 8000, channels="mix"), (left + right) / 2, atol=1e-6)
        self.assertAllClose(read_audio(f"{folder}/stereo.wav", 8000, channels="first"), left, atol=1e-6)


class WaveformHelpersTest(TestCase):
    def test_crop_pad_segment_and_resample(self):
        x = np.arange(10, dtype="float32")
        self.assertAllClose(crop_or_pad(x, 4, offset=3), [3, 4, 5, 6])
        self.assertAllClose(crop_or_pad(x, 12)[-2:], [0, 0])
        segment = random_segment(x, 4, np.random.default_rng(0))
        self.assertEqual(segment.size, 4)
        self.assertAllClose(np.diff(segment), np.ones(3))  # contiguous
        self.assertEqual(resample(_tone(8000), 8000, 16000).size, 8000)
        with self.assertRaisesRegex(ValueError, "NaN"):
            check_waveform(np.array([0.5, np.nan]))

    def test_write_then_find_and_read_back(self):
        folder = self.get_temp_dir()
        write_audio(f"{folder}/a/b.wav", _tone(8000), 8000)
        files = find_audio(folder)
        self.assertEqual([p.name for p in files], ["b.wav"])
        self.assertAllClose(read_audio(files[0], 8000), _tone(8000), atol=1e-4)  # PCM16
        (pathlib.Path(folder) / "empty").mkdir()
        with self.assertRaisesRegex(ValueError, "empty: no audio files"):
            find_audio(f"{folder}/empty")
