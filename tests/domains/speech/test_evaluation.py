"""Copy-synthesis metrics: exact values on identical audio, ordering on degraded real speech, the report."""

import json
import pathlib

import numpy as np

from core.data.audio import read_audio
from core.testing import TestCase
from domains.speech.data import asterisk_files
from domains.speech.evaluation import (
    METRICS,
    compare,
    griffin_lim,
    mel_cepstral_distortion,
    phase_errors,
    report,
)
from domains.speech.features import FEATURE_CONFIGS, mel_spectrogram

CONFIG = FEATURE_CONFIGS["8k"]


def short_file():  # "activated.wav", a 1.06 s prompt: pyin costs about a second per second
    return next(p for p in asterisk_files() if p.name == "activated.wav")


class IdentityVocoder:
    """Returns its input: the perfect vocoder, for checking the report's plumbing."""

    feature_config = CONFIG

    def mel(self, waveform):
        return mel_spectrogram(waveform, CONFIG)

    def vocode(self, waveform, sample_rate):
        return np.asarray(waveform)[None]


class EvaluationTest(TestCase):
    def test_metrics_on_real_speech(self):
        natural = read_audio(short_file(), 8000)
        perfect = compare(natural, natural, CONFIG)
        self.assertAlmostEqual(perfect["lsd_db"], 0.0, places=5)
        self.assertAlmostEqual(perfect["mcd_db"], 0.0, places=5)
        # A gain is c0 only (with c0 the distortion would be (10 / ln 10) sqrt(2) ln 2 = 4.3 dB); what
        # remains comes from the 1e-5 floor of the log-mel in near-silent bands.
        halved = compare(natural, 0.5 * natural, CONFIG)
        self.assertLess(halved["mcd_db"], 0.3)
        self.assertAlmostEqual(halved["level_db"], 20 * np.log10(0.5), places=4)
        self.assertAlmostEqual(perfect["level_db"], 0.0, places=6)
        self.assertGreater(perfect["snr_db"], 100)
        self.assertAlmostEqual(perfect["vuv_error"], 0.0)
        self.assertAlmostEqual(perfect["ip_error"], 0.0, places=6)
        self.assertGreater(perfect["stoi"], 0.99)
        noisy = natural + 0.05 * np.random.default_rng(0).normal(size=natural.size).astype("float32")
        degraded = compare(natural, noisy, CONFIG)
        self.assertGreater(degraded["lsd_db"], 1.0)
        self.assertLess(degraded["stoi"], perfect["stoi"])
        self.assertLess(degraded["pesq"], perfect["pesq"])
        # A time shift of one sample leaves amplitudes, moves every phase: only the phase errors see it.
        shifted = phase_errors(natural[1:], natural[:-1], CONFIG)
        self.assertGreater(shifted["ip_error"], 0.1)
        # Under ~0.4 s of speech STOI is undefined (pystoi returns 1e-5): NaN, left out of the means,
        # not a score of 0 (beeperr.wav, 0.36 s, is one of the held-out files).
        short = natural[:2400]
        self.assertTrue(np.isnan(compare(short, short, CONFIG)["stoi"]))

    def test_mel_cepstral_distortion_scale(self):
        # Adding 2 δ cos(k ω_m) to a log-mel at the band centres ω_m = π (m + ½) / M moves exactly
        # c_k by δ: the distortion is (10 / ln 10) · sqrt(2) · δ for k ≤ 24, and 0 beyond.
        log_mel = np.random.default_rng(0).normal(size=(50, 80))
        omega = np.pi * (np.arange(80) + 0.5) / 80
        for k, expected in ((3, 10 / np.log(10) * np.sqrt(2) * 0.1), (30, 0.0)):
            moved = log_mel + 2 * 0.1 * np.cos(k * omega)
            self.assertAlmostEqual(mel_cepstral_distortion(log_mel, moved), expected, places=6)
        self.assertAlmostEqual(mel_cepstral_distortion(log_mel, log_mel + 3.0), 0.0, places=6)
        with self.assertRaisesRegex(ValueError, "one shape"):
            mel_cepstral_distortion(log_mel, log_mel[:, :40])

    def test_griffin_lim_baseline_and_report(self):
        path = short_file()
        natural = read_audio(path, 8000)
        natural = natural[: natural.size // CONFIG.hop_length * CONFIG.hop_length]
        mel = mel_spectrogram(natural[None], CONFIG).numpy()[0]
        baseline = griffin_lim(mel, CONFIG, iterations=8)
        self.assertEqual(baseline.size, natural.size)
        self.assertAllClose(baseline, griffin_lim(mel, CONFIG, iterations=8))  # seeded: repeatable
        scores = compare(natural, baseline, CONFIG)
        self.assertLess(scores["lsd_db"], 15)  # a fair spectral match ...
        self.assertLess(scores["snr_db"], 5)  # ... with the wrong phase
        output = pathlib.Path(self.get_temp_dir())
        results = report(IdentityVocoder(), [path], output, "identity", baseline=False, plots=1, name="identity",
                         file_details={"transcripts": {path.name: "Activated.", "other.wav": "not scored"},
                                       "speakers": {}})
        self.assertEqual(set(results), {"title", "metrics", "baselines", "figures", "details", "report_json"})
        self.assertEqual(set(results["metrics"]), set(METRICS))
        self.assertAlmostEqual(results["metrics"]["lsd_db"], 0.0, places=5)
        self.assertEqual(results["baselines"], {})
        self.assertEqual(results["figures"], [str(output / f"spectra_{path.stem}.png")])
        self.assertTrue((output / f"spectra_{path.stem}.png").is_file())
        self.assertTrue((output / "wavs" / f"{path.stem}_identity.wav").is_file())
        details = json.loads((output / "report.json").read_text())["details"]
        self.assertEqual((details["sample_rate"], details["model"]), (8000, "identity"))
        self.assertAlmostEqual(details["files"][path.name]["identity"]["lsd_db"], 0.0, places=5)
        # Each file's details, written once with the rest: only the files scored, None for one not named.
        self.assertEqual(details["transcripts"], {path.name: "Activated."})
        self.assertEqual(details["speakers"], {path.name: None})
        with self.assertRaisesRegex(ValueError, "at least one audio file. Received: data=\\[\\]"):
            report(IdentityVocoder(), [], output, "nothing")
        with self.assertRaisesRegex(ValueError, "may not replace the report's own details.*keys=\\['files'\\]"):
            report(IdentityVocoder(), [path], output, "clash", file_details={"files": {}})

    def test_report_scores_griffin_lim_under_the_models_keys(self):
        path = short_file()
        output = pathlib.Path(self.get_temp_dir())
        results = report(IdentityVocoder(), [path], output, "identity and Griffin-Lim", plots=0)
        self.assertEqual(list(results["baselines"]), ["Griffin-Lim"])
        self.assertEqual(set(results["baselines"]["Griffin-Lim"]), set(results["metrics"]))
        self.assertGreater(results["baselines"]["Griffin-Lim"]["lsd_db"], results["metrics"]["lsd_db"])
        self.assertEqual(results["figures"], [])
        self.assertEqual(sorted(results["details"]["files"][path.name]), ["APNet", "Griffin-Lim"])
        self.assertTrue((output / "wavs" / f"{path.stem}_griffin-lim.wav").is_file())

    def test_learning_curve_draws_every_scored_set_per_metric(self):
        import matplotlib.image

        from domains.speech.evaluation import CURVE_PANELS, plot_learning_curve

        scores = {key: 1.0 for key, _, _ in CURVE_PANELS}
        rows = [{"epoch": epoch, "step": 100 * epoch, "validation": scores, "arctic": {"pesq": 2.0}}
                for epoch in (1, 2)]
        path = plot_learning_curve(rows, pathlib.Path(self.get_temp_dir()) / "curve.png", "two sets")
        self.assertEqual(matplotlib.image.imread(path).shape[:2], (640, 1200))
        with self.assertRaises(KeyError):  # a row without its step is not a curve
            plot_learning_curve([{"validation": scores}], pathlib.Path(self.get_temp_dir()) / "x.png")
