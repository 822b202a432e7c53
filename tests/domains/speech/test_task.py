"""`speech.apnet` from the CLI side: a tiny training run on the real samples, predict IN.wav → OUT.wav, bad input."""

import pathlib

import numpy as np
import pytest
import soundfile as sf

from core.data.audio import read_audio
from core.registry import RunConfig, get_task
from core.testing import TestCase
from tests.domains.speech.conftest import TINY_OPTIONS


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One tiny training run through the task (2 steps on the Asterisk recordings), shared by the tests."""
    output = tmp_path_factory.mktemp("apnet")
    config = RunConfig(output_dir=output, epochs=1, verbose=0, options=dict(TINY_OPTIONS))
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

    def test_predict_writes_the_resynthesised_wav_and_refuses_bad_input(self):
        task = get_task("speech.apnet")
        folder = pathlib.Path(self.get_temp_dir())
        model = str(self.output / "best.keras")
        tone = (0.3 * np.sin(np.arange(16000) / 5.0)).astype("float32")
        sf.write(folder / "in.wav", tone, 16000)  # another rate: resampled to the model's 8 kHz
        np.save(folder / "mel.npy", np.zeros((11, 80), "float32"))
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

    def test_options_are_checked(self):
        task = get_task("speech.apnet")
        with self.assertRaisesRegex(ValueError, "must be one of"):
            task.resolve_options({"features": "44k"})
        self.assertEqual(task.resolve_options({})["channels"], 512)  # the paper's width by default
        with self.assertRaisesRegex(ValueError, "Give a model"):
            task.evaluate(RunConfig(output_dir=pathlib.Path(self.get_temp_dir())))
