"""Copy-synthesis evaluation of a vocoder on held-out recordings, beside a Griffin-Lim baseline.

For each file: the natural waveform → log-mel → the vocoder → a waveform, compared with the
natural one by

- `lsd_db`: log-spectral distance (dB), per frame sqrt(mean over bins of (10·log10 P − 10·log10 P̂)²);
- `snr_db`: signal-to-noise ratio of the waveform (dB; phase-sensitive, so low for any vocoder);
- `mcd_db`: mel-cepstral distortion (dB), (10 / ln 10) · sqrt(2 Σ_{k=1..24} (c_k − ĉ_k)²) per
  frame, averaged: c_k are the cepstral coefficients of the vocoder's own log-mel (natural log of
  the clamped mel magnitude, `features.mel_spectrogram`), i.e. the cosine series of the
  log-amplitude on the mel-warped axis (`mel_cepstral_distortion`). c0 (the gain) is left out.
  SPTK's all-pass mel-cepstra, which papers use, are not available here, so the values are close
  to but not the same as published MCDs;
- `f0_rmse_hz` (frames voiced in both) and `vuv_error` (fraction of frames whose voicing
  differs), with `librosa.pyin`;
- `stoi` (pystoi) and `pesq` (the `pesq` package: narrow band at 8 kHz, wide band at 16 kHz);
- `ip_error`, `gd_error`, `iaf_error`: the anti-wrapped instantaneous-phase, group-delay and
  instantaneous-angular-frequency errors (radians), weighted by the natural amplitude so that
  the phase of silent bins (noise) does not dominate — the errors APNet trains on and no
  vocoder paper reports.

The baseline is Griffin-Lim (32 iterations) from the same mel (`librosa.feature.inverse.mel_to_audio`).
`report` returns `core.evaluation.report_result` (the model's mean metrics, Griffin-Lim's under
the same keys, the per-file rows in `details`) and writes `report.json`, the vocoded wavs, and
spectrogram/phase plots.

Example:
```python
# example: not run (needs a trained model)
results = report(model, split["test"], "runs/apnet/eval", "APNet 8 kHz")
results["metrics"]["lsd_db"], results["baselines"]["Griffin-Lim"]["lsd_db"]
```
"""

import pathlib

import numpy as np

from core.data.audio import read_audio, write_audio
from core.evaluation import save_figure
from domains.speech.features import mel_spectrogram

__all__ = ["BASELINE", "METRICS", "compare", "griffin_lim", "level_difference_db", "mel_cepstral_distortion",
           "phase_errors", "plot_learning_curve", "plot_spectra", "report"]

METRICS = ("lsd_db", "snr_db", "mcd_db", "f0_rmse_hz", "vuv_error", "stoi", "pesq", "ip_error", "gd_error",
           "iaf_error", "level_db")
GRIFFIN_LIM_ITERATIONS = 32
BASELINE = "Griffin-Lim"  # the baseline's name in a report's `baselines` and per-file rows
MCD_ORDER = 24  # c1..c24, as the usual 24th-order mel-cepstrum


def _stft(waveform, config):
    import librosa

    return librosa.stft(waveform, n_fft=config.n_fft, hop_length=config.hop_length, win_length=config.win_length,
                        window="hann", center=True, pad_mode="reflect").T  # (frames, bins), as core.spectral


def phase_errors(natural, generated, config):
    """Amplitude-weighted anti-wrapped IP, GD and IAF errors (radians) between two waveforms."""
    natural_spec, generated_spec = _stft(natural, config), _stft(generated, config)
    weight = np.abs(natural_spec)
    weight = weight / weight.sum()

    def wrap(x):
        return np.abs(x - 2 * np.pi * np.round(x / (2 * np.pi)))

    p, q = np.angle(natural_spec), np.angle(generated_spec)
    return {"ip_error": float((wrap(p - q) * weight).sum()),
            "gd_error": float((wrap(np.diff(p, axis=1, prepend=0) - np.diff(q, axis=1, prepend=0)) * weight).sum()),
            "iaf_error": float((wrap(np.diff(p, axis=0, prepend=0) - np.diff(q, axis=0, prepend=0)) * weight).sum())}


def mel_cepstral_distortion(log_mel, other_log_mel, order=MCD_ORDER):
    """Mean mel-cepstral distortion (dB) between two log-mel spectrograms `(frames, mels)`.

    The cepstrum of a log-amplitude sampled at the centres of `M` bands, log|X|(ω) = c0 + 2 Σ c_k
    cos(k ω), is its DCT-II divided by 2M; the distortion per frame is (10 / ln 10) ·
    sqrt(2 Σ_{k=1..order} (c_k − ĉ_k)²), without c0 (the gain), averaged over frames.

    Args:
        log_mel, other_log_mel: arrays `(frames, mels)`: natural logs of mel amplitudes.
        order: int. Highest coefficient compared. Defaults to 24.
    """
    import scipy.fft

    log_mel, other_log_mel = np.asarray(log_mel, "float64"), np.asarray(other_log_mel, "float64")
    if log_mel.shape != other_log_mel.shape or log_mel.ndim != 2 or not 0 < order < log_mel.shape[1]:
        raise ValueError("mel_cepstral_distortion needs two (frames, mels) arrays of one shape and "
                         f"0 < order < mels. Received: shapes {log_mel.shape}, {other_log_mel.shape}, order={order}")
    cepstra = scipy.fft.dct(log_mel - other_log_mel, type=2, axis=1)[:, 1:order + 1] / (2 * log_mel.shape[1])
    return float(np.mean(10 / np.log(10) * np.sqrt(2 * np.sum(cepstra ** 2, axis=1))))


def _f0(waveform, sample_rate):
    import librosa

    f0, voiced, _ = librosa.pyin(waveform, fmin=65.0, fmax=min(800.0, sample_rate / 2 - 1), sr=sample_rate,
                                 frame_length=int(0.064 * sample_rate), hop_length=int(0.01 * sample_rate))
    return f0, voiced


def level_difference_db(natural, generated):
    """The generated waveform's level minus the natural one's (mean power, dB): 0 when the level is kept."""
    return float(10 * np.log10(np.mean(np.square(generated, dtype="float64")) / np.mean(np.square(natural, dtype="float64"))))


def compare(natural, generated, config):
    """Every metric of `METRICS` between a natural and a generated waveform at `config.sample_rate`."""
    n = min(natural.size, generated.size)
    natural, generated = natural[:n].astype("float64"), generated[:n].astype("float64")
    sr = config.sample_rate
    p = np.abs(_stft(natural, config)) ** 2 + 1e-10
    q = np.abs(_stft(generated, config)) ** 2 + 1e-10
    lsd = float(np.mean(np.sqrt(np.mean((10 * np.log10(p) - 10 * np.log10(q)) ** 2, axis=1))))
    snr = float(10 * np.log10(np.sum(natural ** 2) / max(np.sum((natural - generated) ** 2), 1e-12)))
    mcd = mel_cepstral_distortion(*(np.asarray(mel_spectrogram(w.astype("float32"), config))
                                    for w in (natural, generated)))
    f0_a, voiced_a = _f0(natural, sr)
    f0_b, voiced_b = _f0(generated, sr)
    both = voiced_a & voiced_b
    f0_rmse = float(np.sqrt(np.mean((f0_a[both] - f0_b[both]) ** 2))) if both.any() else float("nan")
    results = {"lsd_db": lsd, "snr_db": snr, "mcd_db": mcd, "f0_rmse_hz": f0_rmse,
               "vuv_error": float(np.mean(voiced_a != voiced_b)), **phase_errors(natural, generated, config),
               "level_db": level_difference_db(natural, generated)}
    results.update(_intelligibility(natural, generated, sr))
    return results


def _intelligibility(natural, generated, sample_rate):
    """STOI and PESQ where the packages are installed (the speech extra) and apply."""
    import warnings

    out = {"stoi": float("nan"), "pesq": float("nan")}
    try:
        from pystoi import stoi

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            value = float(stoi(natural, generated, sample_rate, extended=False))
        # Under 30 speech frames (~0.4 s) pystoi warns and returns 1e-5: undefined, not "unintelligible".
        too_short = [w for w in caught if "Not enough STFT frames" in str(w.message)]
        for w in caught:
            if w not in too_short:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        if not too_short:
            out["stoi"] = value
    except ImportError:
        pass
    try:
        from pesq import PesqError, pesq

        if sample_rate in (8000, 16000):
            mode = "nb" if sample_rate == 8000 else "wb"
            out["pesq"] = float(pesq(sample_rate, natural, generated, mode))
    except ImportError:
        pass
    except PesqError:  # e.g. no utterance detected in a short prompt
        pass
    return out


def griffin_lim(mel, config, iterations=GRIFFIN_LIM_ITERATIONS, seed=0):
    """The baseline: a waveform from a log-mel `(frames, mels)` by mel inversion (NNLS) and Griffin-Lim.

    Args:
        mel: array `(frames, num_mels)`, the model's log-mel input.
        config: FeatureConfig.
        iterations: int. Griffin-Lim iterations. Defaults to 32.
        seed: int. The random initial phase (librosa's default is unseeded). Defaults to 0.
    """
    import librosa

    magnitude = librosa.feature.inverse.mel_to_stft(
        np.exp(np.asarray(mel, dtype="float64")).T, sr=config.sample_rate, n_fft=config.n_fft, power=1.0,
        fmin=config.fmin, fmax=config.fmax)
    return librosa.griffinlim(
        magnitude, n_iter=iterations, hop_length=config.hop_length, win_length=config.win_length,
        n_fft=config.n_fft, window="hann", center=True, length=(mel.shape[0] - 1) * config.hop_length,
        random_state=seed).astype("float32")


def plot_spectra(natural, rows, config, path, title=""):
    """Log-amplitude and phase spectrograms of the natural waveform and each vocoded one (PNG)."""
    from matplotlib.figure import Figure

    waves = {"natural": natural, **rows}
    figure = Figure(figsize=(12, 2.6 * len(waves)))
    axes = figure.subplots(len(waves), 2, squeeze=False)
    extent = [0, natural.size / config.sample_rate, 0, config.sample_rate / 2000]
    for row, (name, wave) in enumerate(waves.items()):
        spec = _stft(np.asarray(wave, "float64"), config).T
        axes[row, 0].imshow(20 * np.log10(np.abs(spec) + 1e-5), origin="lower", aspect="auto", extent=extent,
                            cmap="magma", vmin=-100, vmax=20)
        axes[row, 0].set_title(f"{name}: log-amplitude (dB)")
        axes[row, 1].imshow(np.angle(spec), origin="lower", aspect="auto", extent=extent, cmap="twilight",
                            vmin=-np.pi, vmax=np.pi)
        axes[row, 1].set_title(f"{name}: phase (rad)")
        for axis in axes[row]:
            axis.set_ylabel("kHz")
    for axis in axes[-1]:
        axis.set_xlabel("s")
    figure.suptitle(title)
    figure.tight_layout()
    return save_figure(figure, path, dpi=100)


CURVE_PANELS = (("pesq", "PESQ (nb)", 3.0), ("stoi", "STOI", None), ("f0_rmse_hz", "F0 RMSE (Hz)", 10.0),
                ("vuv_error", "V/UV error", 0.10), ("level_db", "level, output − input (dB)", None),
                ("lsd_db", "LSD (dB)", None))


def plot_learning_curve(rows, path, title="", goals=True):
    """The learning curve in a listener's terms: one panel per metric against training steps (PNG).

    Args:
        rows: list of dicts, the rows `--option score_every` writes (`curve.json`, a preset's
            `learning_curve`): `step` and, per scored set (e.g. `validation`, `arctic`), the
            means of `compare` and `level_db`.
        path: str or Path of the PNG.
        title: str. Defaults to "".
        goals: bool. Draw the goals (PESQ 3.0, F0 RMSE 10 Hz, V/UV 10 %, level ±1 dB) as dashed
            lines. Defaults to True.

    Returns:
        pathlib.Path of the PNG.

    Example:
    ```python
    rows = [{"epoch": 1, "step": 100, "validation": {"pesq": 1.2, "stoi": 0.6, "f0_rmse_hz": 50.0,
             "vuv_error": 0.3, "level_db": -9.0, "lsd_db": 14.0}}]
    plot_learning_curve(rows, "curve.png", "one scoring")
    ```
    """
    from matplotlib.figure import Figure

    sets = [key for key, value in rows[0].items() if isinstance(value, dict)]
    figure = Figure(figsize=(12, 6.4))
    steps = [row["step"] for row in rows]
    for index, (key, label, goal) in enumerate(CURVE_PANELS):
        axis = figure.add_subplot(2, 3, index + 1)
        for name in sets:
            axis.plot(steps, [row[name].get(key, np.nan) for row in rows], marker=".", label=name)
        if goals and goal is not None:
            axis.axhline(goal, color="grey", linestyle="--", linewidth=1, label="goal")
        if goals and key == "level_db":
            for bound in (-1.0, 1.0):
                axis.axhline(bound, color="grey", linestyle="--", linewidth=1)
        axis.set(xlabel="training steps", title=label)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    figure.suptitle(title)
    figure.tight_layout()
    return save_figure(figure, path, dpi=100)


def _mean_of_defined(values):
    """Mean over the values that are not NaN (STOI is undefined on short clips); NaN if none is."""
    defined = np.asarray(values, "float64")
    defined = defined[~np.isnan(defined)]
    return float(defined.mean()) if defined.size else float("nan")


# The keys `report` itself writes into `details` (a `file_details` key may not replace one).
_DETAILS = ("model", "files", "seconds_of_audio", "rtf", "sample_rate")


def report(model, data, output_dir, title, *, baseline=True, plots=2, name="APNet", file_details=None):
    """Copy synthesis of the audio files `data` by `model` (and Griffin-Lim): metrics, wavs, plots.

    Args:
        model: APNet (or anything with `feature_config`, `mel(waveform)` and `vocode(waveform, sample_rate)`).
        data: list of audio paths: the held-out files (read at the model's rate: resampled when needed).
        output_dir: str or Path. Gets `report.json`, `wavs/` and the plots.
        title: str. Heads the plots and the report.
        baseline: bool. Also score Griffin-Lim (32 iterations) from the same mel. Defaults to True.
        plots: int. Spectrogram/phase plots of the first `plots` files. Defaults to 2.
        name: str. The model's name in the per-file rows and the wav names. Defaults to "APNet".
        file_details: dict or None. {details key: {file name: anything JSON can hold}}: what is
            known of each file, kept in `details` under its key beside the per-file rows (a file
            it does not name gets None), e.g. `{"transcripts": {name: what is said}}`
            (`data.asterisk_transcripts`) or `{"speakers": {name: who}}` (`data.unseen_speakers`).
            Written into `report.json` with the rest. Defaults to None.

    Returns:
        dict: `core.evaluation.report_result`: `metrics` (the model's mean of each of `METRICS`
        over the files, NaNs skipped), `baselines` ({"Griffin-Lim": the same keys} when
        `baseline`), `figures` (the spectra plots) and `details`: `files` ({file name: {row:
        metrics}}), `model` (its row name), `seconds_of_audio`, `rtf` (the model's real-time
        factor over the files), `sample_rate` and each key of `file_details`.

    Raises:
        ValueError: no files, or a `file_details` key that `details` already holds.

    Example:
    ```python
    # example: not run (needs the Asterisk sample)
    model = APNet.from_preset("apnet_asterisk_8k_small")
    result = report(model, split["test"][:12], "runs/apnet/eval", "APNet 8 kHz")
    result["metrics"]["lsd_db"], result["baselines"]["Griffin-Lim"]["lsd_db"]
    result["details"]["files"]["60.wav"]["APNet"]["pesq"]
    ```
    """
    import time

    from core.evaluation import report_result

    paths = [pathlib.Path(path) for path in data]
    if not paths:
        raise ValueError(f"report needs at least one audio file. Received: data={data!r}")
    file_details = dict(file_details or {})
    if set(file_details) & set(_DETAILS):
        raise ValueError(f"file_details may not replace the report's own details {list(_DETAILS)}. "
                         f"Received: file_details keys={sorted(file_details)}")
    output_dir = pathlib.Path(output_dir)
    config = model.feature_config
    files, figures, audio_seconds, model_seconds = {}, [], 0.0, 0.0
    for index, path in enumerate(paths):
        natural = read_audio(path, config.sample_rate, min_seconds=config.min_seconds)
        natural = natural[: natural.size // config.hop_length * config.hop_length]
        start = time.perf_counter()
        generated = model.vocode(natural, config.sample_rate)[0]
        model_seconds += time.perf_counter() - start
        audio_seconds += natural.size / config.sample_rate
        rows = {name: generated}
        if baseline:
            rows[BASELINE] = griffin_lim(np.asarray(model.mel(natural[None]))[0], config)
        files[path.name] = {row: compare(natural, wave, config) for row, wave in rows.items()}
        for row, wave in rows.items():
            write_audio(output_dir / "wavs" / f"{path.stem}_{row.lower().replace(' ', '_')}.wav", wave,
                        config.sample_rate)
        if index < plots:
            figures.append(plot_spectra(natural, rows, config, output_dir / f"spectra_{path.stem}.png",
                                        f"{title}: {path.name}"))
    mean = {row: {metric: _mean_of_defined([files[f][row][metric] for f in files]) for metric in METRICS}
            for row in next(iter(files.values()))}
    details = {"model": name, "files": files, "seconds_of_audio": audio_seconds,
               "rtf": model_seconds / max(audio_seconds, 1e-9), "sample_rate": config.sample_rate}
    for key, per_file in file_details.items():
        details[key] = {path.name: per_file.get(path.name) for path in paths}
    return report_result(title, mean.pop(name), mean, figures, output_dir, details)
