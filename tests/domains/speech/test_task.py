"""`speech.apnet` from the CLI side: a tiny training run on the real samples, evaluate, predict IN.wav → OUT.wav,
bad input. (The demo's smoke run is `tests/domains/test_template.py`'s.)"""

import json
import pathlib
import warnings
from unittest import mock

import numpy as np
import pytest
import soundfile as sf

from core.data import samples
from core.data.audio import read_audio
from core.registry import RunConfig, get_task
from core.testing import TestCase
from domains.speech import data as speech_data
from domains.speech.evaluation import BASELINE, METRICS
from domains.speech.model import APNet
from tests.domains.speech.conftest import TINY_BATCH_SIZE, TINY_OPTIONS


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One tiny training run through the task (2 steps on the Asterisk recordings), shared by the tests."""
    output = tmp_path_factory.mktemp("apnet")
    config = RunConfig(output_dir=output, epochs=1, batch_size=TINY_BATCH_SIZE, verbose=0, options=dict(TINY_OPTIONS))
    return get_task("speech.apnet").train(config), output


@pytest.mark.usefixtures("trained")
class APNetTaskTest(TestCase):
    @pytest.fixture(autouse=True)
    def _run(self, trained):
        self.results, self.output = trained

    def test_train_writes_the_run_and_scores_held_out_files(self):
        results, output = self.results, self.output
        for name in ("best.keras", "final.keras", "generator.keras", "log.csv", "split.json",
                     "test/report.json"):
            self.assertTrue((output / name).exists(), name)
        self.assertEqual((results["data"], results["steps"]), ("asterisk", 2))
        self.assertEqual(results["train_files"], 558 - 2 * round(0.05 * 558))
        self.assertTrue(np.isfinite(results["test_apnet_lsd_db"]))
        self.assertTrue(np.isfinite(results["best_val_mel"]))
        self.assertEqual(results["report_json"], {"test": str(output / "test" / "report.json")})

    def test_evaluate_returns_the_report_of_the_held_out_files(self):
        folder = pathlib.Path(self.get_temp_dir())
        config = RunConfig(output_dir=folder, model_path=str(self.output / "best.keras"), verbose=0,
                           options={**TINY_OPTIONS, "arctic": True})
        results = get_task("speech.apnet").evaluate(config)
        self.assertEqual(set(results["metrics"]), set(METRICS))
        self.assertEqual(results["baselines"], {})  # the tiny options leave Griffin-Lim out
        self.assertEqual(len(results["details"]["files"]), 1)  # test_files=1
        (name,) = results["details"]["files"]
        self.assertTrue(results["details"]["transcripts"][name])  # what the Asterisk prompt says
        self.assertEqual(results["arctic"]["details"]["sample_rate"], 8000)
        self.assertEqual(results["model"], str(self.output / "best.keras"))
        self.assertTrue((folder / "test" / "report.json").is_file())

    def test_evaluate_scores_unseen_speakers_beside_griffin_lim_and_the_option_skips_them(self):
        # Two of the four (the 48 kHz and the 8 kHz one, the shortest): the rows, not the whole set, are checked here.
        chosen = ("speech.alsa_front_center_wav", "speech.codec2_forig_wav")
        two = {name: speech_data.UNSEEN_SPEAKERS[name] for name in chosen}
        task, folder = get_task("speech.apnet"), pathlib.Path(self.get_temp_dir())
        options = {**TINY_OPTIONS, "baseline": True, "unseen": True}
        config = RunConfig(output_dir=folder / "on", model_path=str(self.output / "best.keras"), verbose=0,
                           options=options)
        with mock.patch.dict(speech_data.UNSEEN_SPEAKERS, two, clear=True), \
                warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            results = task.evaluate(config)
        unseen = results["unseen"]
        files = {samples.path(name).name: (name, samples.path(name)) for name in chosen}
        self.assertEqual(set(unseen["details"]["files"]), set(files))
        self.assertEqual(unseen["details"]["sample_rate"], 8000)
        for file_name, (name, path) in files.items():
            rows = unseen["details"]["files"][file_name]
            self.assertEqual(set(rows), {"APNet", BASELINE})
            self.assertEqual(set(rows["APNet"]), set(METRICS))
            # Two steps of a tiny generator against 32 Griffin-Lim iterations from the same mel.
            self.assertLess(rows[BASELINE]["lsd_db"], rows["APNet"]["lsd_db"])
            who = unseen["details"]["speakers"][file_name]
            self.assertEqual((who["sample"], who["speaker"]), (name, two[name]))
            self.assertEqual(who["source"], samples.SAMPLES[name].source)
        self.assertEqual(unseen["details"]["speakers"]["Front_Center.wav"]["sample_rate"], 48000)
        self.assertIn(f"{files['Front_Center.wav'][1]}: resampled from 48000 Hz to 8000 Hz",
                      [str(w.message) for w in caught])  # said aloud; forig is at the model's rate already
        self.assertFalse(any("forig.wav: resampled" in str(w.message) for w in caught))
        self.assertEqual(set(unseen["baselines"]), {BASELINE})
        self.assertIn("2 unseen speakers (recorded at 8, 48 kHz, scored at 8 kHz)", unseen["title"])
        written = json.loads((folder / "on" / "unseen" / "report.json").read_text())
        self.assertEqual(written["details"]["speakers"], unseen["details"]["speakers"])
        self.assertEqual(written["details"]["files"], unseen["details"]["files"])
        self.assertEqual(len(results["details"]["files"]), 1)  # the held-out files' report is unchanged
        self.assertNotIn("arctic", results)
        config = RunConfig(output_dir=folder / "off", model_path=str(self.output / "best.keras"), verbose=0,
                           options={**options, "unseen": False})
        self.assertNotIn("unseen", task.evaluate(config))
        self.assertFalse((folder / "off" / "unseen").exists())
        self.assertTrue(task.resolve_options({})["unseen"])  # scored unless asked not to

    def test_predict_writes_the_resynthesised_wav_and_refuses_bad_input(self):
        task = get_task("speech.apnet")
        folder = pathlib.Path(self.get_temp_dir())
        model = str(self.output / "best.keras")
        tone = (0.3 * np.sin(np.arange(16000) / 5.0)).astype("float32")
        sf.write(folder / "in.wav", tone, 16000)  # another rate: resampled to the model's 8 kHz
        np.save(folder / "mel.npy", np.zeros((21, 80), "float32"))
        config = RunConfig(output_dir=folder / "out", model_path=model, verbose=0)
        results = task.predict(config, [str(folder / "in.wav"), str(folder / "mel.npy")])
        self.assertEqual(results["files"], 2)
        out = read_audio(folder / "out" / "in_apnet.wav", check=False)
        self.assertEqual(out[1], 8000)
        self.assertEqual(out[0].size, 8000)
        np.save(folder / "bad.npy", np.zeros((11, 64), "float32"))
        with self.assertRaisesRegex(ValueError, "bad.npy: expected a log-mel of shape \\(frames, 80\\)"):
            task.predict(RunConfig(output_dir=folder / "out", model_path=model), [str(folder / "bad.npy")])
        sf.write(folder / "stereo.wav", np.stack([tone, tone], axis=1), 16000)
        with self.assertRaisesRegex(ValueError, "stereo.wav: expected mono"):
            task.predict(RunConfig(output_dir=folder / "out", model_path=model), [str(folder / "stereo.wav")])

    def test_predict_refuses_short_clips_and_empty_files_before_vocoding_any_and_says_resampling(self):
        task = get_task("speech.apnet")
        folder = pathlib.Path(self.get_temp_dir())
        model = str(self.output / "best.keras")
        tone = (0.3 * np.sin(np.arange(48000) / 5.0)).astype("float32")
        sf.write(folder / "good48k.wav", tone, 48000)
        sf.write(folder / "short48k.wav", tone[:2400], 48000)  # 0.05 s: under one 512-sample window at 8 kHz
        (folder / "zero.wav").write_bytes(b"")
        np.save(folder / "short.npy", np.zeros((13, 80), "float32"))
        out = folder / "out"
        cases = {"short48k.wav": r"short48k\.wav: too short: 0\.050 s \(2400 samples at 48000 Hz\); at least 0\.065 s "
                                 r"needed",
                 "zero.wav": r"zero\.wav: empty file \(0 bytes\)",
                 "short.npy": r"short\.npy: too short: 13 frames; at least 14 needed \(0\.065 s at 8000 Hz\)"}
        for name, message in cases.items():
            with self.assertRaisesRegex(ValueError, message):  # the good file first: nothing written for it
                task.predict(RunConfig(output_dir=out, model_path=model, verbose=0),
                             [str(folder / "good48k.wav"), str(folder / name)])
            self.assertFalse((out / "good48k_apnet.wav").exists(), name)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            results = task.predict(RunConfig(output_dir=out, model_path=model, verbose=0), [str(folder / "good48k.wav")])
        self.assertEqual(results["files"], 1)
        self.assertIn(f"{folder / 'good48k.wav'}: resampled from 48000 Hz to 8000 Hz", [str(w.message) for w in caught])

    def test_options_are_checked(self):
        task = get_task("speech.apnet")
        with self.assertRaisesRegex(ValueError, "must be one of"):
            task.resolve_options({"features": "44k"})
        self.assertEqual(task.resolve_options({})["channels"], 512)  # the paper's width by default
        with self.assertRaisesRegex(ValueError, "needs a model: --model PATH .* or --preset NAME"):
            task.evaluate(RunConfig(output_dir=pathlib.Path(self.get_temp_dir())))
        with self.assertRaisesRegex(ValueError, "does not use --dataset"):
            task.evaluate(RunConfig(output_dir=pathlib.Path(self.get_temp_dir()), dataset="ljspeech"))
        self.assertEqual((task.model_class, task.epochs, task.batch_size), (APNet, 10, 16))
        self.assertNotIn("batch_size", task.resolve_options({}))  # --batch-size, declared once

    def test_the_preset_of_a_run_ships_the_generator_with_what_rebuilds_the_model(self):
        config = RunConfig(output_dir=self.output, epochs=1, batch_size=TINY_BATCH_SIZE,
                           verbose=0, options=get_task("speech.apnet").resolve_options(TINY_OPTIONS))
        model, metadata = get_task("speech.apnet").preset_from_results(config, self.results)
        self.assertIsInstance(model, APNet)
        self.assertEqual(set(metadata), {"options", "training", "metrics", "test_files"})
        self.assertEqual(metadata["options"]["channels"], TINY_OPTIONS["channels"])
        self.assertEqual(metadata["training"]["steps"], TINY_OPTIONS["steps_per_epoch"])
        self.assertEqual(len(metadata["test_files"]), round(0.05 * 558))
        self.assertIn("test_apnet_lsd_db", metadata["metrics"])
        json.dumps(metadata)  # what save_preset writes
        rebuilt = APNet.from_preset_network(model.preset_network(), {"options": metadata["options"]})
        waveform = np.zeros((1, 800), "float32")
        self.assertAllClose(rebuilt.vocode(waveform, 8000), model.vocode(waveform, 8000))

    def test_training_from_a_preset_needs_its_options(self):
        config = RunConfig(output_dir=pathlib.Path(self.get_temp_dir()), epochs=1, batch_size=TINY_BATCH_SIZE,
                           preset="apnet_asterisk_8k_small", verbose=0, options=dict(TINY_OPTIONS))
        with self.assertRaisesRegex(ValueError, "another shape than the options build .*--preset apnet_asterisk_8k"):
            get_task("speech.apnet").train(config)
