"""Tests of the sample registry and its offline fetcher (core/data/samples.py).

The network tests fetch only small artifacts from the registries (nibabel's 3.3 MB wheel, the 23 kB
asterisk-core-sounds-en deb); the failure paths use a local fake wheel.
"""

import dataclasses
import hashlib
import gzip
import pathlib
import re
import shutil
import subprocess
import zipfile

import pytest

from core.data import samples

NIBABEL = ("mri.anatomical", "mri.example4d")


@pytest.fixture(scope="module")
def nibabel_cache(tmp_path_factory):
    """One real download of nibabel's wheel shared by the tests that need fetched samples."""
    cache = tmp_path_factory.mktemp("resuite-data")
    calls = []
    real = samples._download

    def counting(sample, tmp, verbose):
        calls.append(sample.package)
        return real(sample, tmp, verbose)

    samples._download = counting
    try:
        results = samples.fetch_all(names=NIBABEL, cache_dir=cache, verbose=False)
    finally:
        samples._download = real
    return cache, results, calls


def _fake_wheel(tmp, sample, content):
    """A wheel-like zip holding `content` at the sample's member path."""
    wheel = pathlib.Path(tmp) / f"{sample.package}-{sample.version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr(sample.member, content)
    return wheel


def test_registry_integrity():
    assert len(samples.SAMPLES) == len({s.name for s in samples.SAMPLES.values()})
    for name, sample in samples.SAMPLES.items():
        assert name == sample.name
        assert name.split(".")[0] == sample.domain
        assert sample.registry in ("pypi", "debian")
        assert sample.artifact in (("wheel", "sdist") if sample.registry == "pypi" else ("deb",))
        assert sample.version and sample.member and sample.description and sample.licence
        assert re.fullmatch(r"[0-9a-f]{64}", sample.sha256), name
        assert sample.nbytes > 0 and sample.artifact_mb > 0
        assert not sample.member.startswith("/")
    shared = {}
    for sample in samples.SAMPLES.values():  # one artifact has one size
        assert shared.setdefault(sample.artifact_key, sample.artifact_mb) == sample.artifact_mb
    for required in ("mri.mni152_1mm", "mri.anatomical", "mri.example4d", "fundus.retina",
                     "fundus.microaneurysms", "har.basicmotions_train", "har.basicmotions_test",
                     "lamost.sun", "lamost.vega", "lamost.iraf_onedstds", "speech.asterisk_allison",
                     "speech.asterisk_transcripts", "speech.arctic_a0009_wav", "speech.arctic_a0009_lab",
                     "aramaic.noto_imperial_aramaic"):
        assert required in samples.SAMPLES
    assert samples.SAMPLES["speech.asterisk_allison"].is_directory
    assert set(samples.__all__) <= set(dir(samples))


def test_data_dir_precedence(tmp_path, monkeypatch):
    monkeypatch.delenv(samples.ENV_VAR, raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert samples.data_dir() == pathlib.Path.home() / ".cache" / "resuite" / "data"
    monkeypatch.setenv(samples.ENV_VAR, str(tmp_path / "env"))
    assert samples.data_dir() == tmp_path / "env"
    assert samples.data_dir(tmp_path / "arg") == tmp_path / "arg"


def test_directory_checksum_is_sorted_manifest(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x.dat").write_bytes(b"x")
    (tmp_path / "a.dat").write_bytes(b"a")
    sha = lambda b: hashlib.sha256(b).hexdigest()
    manifest = f"{sha(b'a')}  a.dat\n{sha(b'x')}  b/x.dat\n"
    assert samples._checksum(tmp_path) == sha(manifest.encode())


def test_fetch_real_wheel_once_and_load(nibabel_cache):
    nibabel = pytest.importorskip("nibabel")
    cache, results, calls = nibabel_cache
    assert calls == ["nibabel"], "two samples of one wheel must share one download"
    path = results["mri.anatomical"]
    assert path == cache / "mri.anatomical" / "anatomical.nii"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == samples.SAMPLES["mri.anatomical"].sha256
    assert nibabel.load(path).shape == (33, 41, 25)
    assert nibabel.load(results["mri.example4d"]).shape == (128, 96, 24, 2)
    # the wheel was deleted: only the two sample folders remain
    assert sorted(p.name for p in cache.iterdir()) == sorted(NIBABEL)


def test_second_fetch_does_not_download(nibabel_cache, monkeypatch):
    cache, results, _ = nibabel_cache
    mtime = results["mri.anatomical"].stat().st_mtime_ns

    def fail(*args):
        raise AssertionError("downloaded again")

    monkeypatch.setattr(samples, "_download", fail)
    assert samples.fetch("mri.anatomical", cache_dir=cache, verbose=False) == results["mri.anatomical"]
    assert samples.path("mri.anatomical", cache_dir=cache) == results["mri.anatomical"]
    assert results["mri.anatomical"].stat().st_mtime_ns == mtime
    rows = {row["name"]: row for row in samples.status(cache_dir=cache)}
    assert rows["mri.anatomical"]["fetched"] and not rows["lamost.sun"]["fetched"]
    assert set(rows) == set(samples.SAMPLES)


def test_checksum_mismatch_raises_and_keeps_nothing(tmp_path, monkeypatch):
    sample = samples.SAMPLES["mri.anatomical"]
    monkeypatch.setattr(samples, "_download", lambda s, tmp, verbose: _fake_wheel(tmp, s, b"not the file"))
    cache = tmp_path / "cache"
    with pytest.raises(samples.SampleDataError, match="mri.anatomical.*checksum mismatch"):
        samples.fetch(sample.name, cache_dir=cache, verbose=False)
    assert list(cache.iterdir()) == []


def test_damaged_file_is_fetched_again(tmp_path, monkeypatch):
    sample = dataclasses.replace(samples.SAMPLES["mri.anatomical"], sha256=hashlib.sha256(b"good").hexdigest())
    monkeypatch.setitem(samples.SAMPLES, sample.name, sample)
    monkeypatch.setattr(samples, "_download", lambda s, tmp, verbose: _fake_wheel(tmp, s, b"good"))
    path = samples.fetch(sample.name, cache_dir=tmp_path, verbose=False)
    path.write_bytes(b"bad")
    with pytest.raises(samples.SampleDataError, match="damaged"):
        samples.path(sample.name, cache_dir=tmp_path)
    assert samples.fetch(sample.name, cache_dir=tmp_path, verbose=False).read_bytes() == b"good"


def test_unknown_version_names_package_and_version(tmp_path, monkeypatch):
    bad = dataclasses.replace(samples.SAMPLES["mri.anatomical"], version="0.0.0.dev987")
    monkeypatch.setitem(samples.SAMPLES, bad.name, bad)
    results = samples.fetch_all(names=[bad.name], cache_dir=tmp_path, verbose=False)
    error = results[bad.name]
    assert isinstance(error, samples.SampleDataError)
    assert "mri.anatomical" in str(error) and "nibabel==0.0.0.dev987" in str(error)
    with pytest.raises(samples.SampleDataError, match="nibabel==0.0.0.dev987"):
        samples.fetch(bad.name, cache_dir=tmp_path, verbose=False)
    assert not (tmp_path / bad.name).exists()


def test_path_of_missing_sample_tells_fetch_command(tmp_path):
    with pytest.raises(samples.SampleDataError, match=r"not fetched.*resuite data fetch lamost\.vega"):
        samples.path("lamost.vega", cache_dir=tmp_path)
    with pytest.raises(ValueError, match="known samples: .*mri.anatomical"):
        samples.path("mri.nope", cache_dir=tmp_path)
    with pytest.raises(ValueError, match="unknown domain"):
        samples.fetch_all(domain="astrology", cache_dir=tmp_path)


def _apt_knows(package):
    if not shutil.which("apt-cache") or not shutil.which("dpkg-deb"):
        return False
    return subprocess.run(["apt-cache", "show", package], capture_output=True).returncode == 0


@pytest.mark.skipif(not _apt_knows("asterisk-core-sounds-en"), reason="needs Debian's apt with updated lists")
def test_fetch_small_debian_sample(tmp_path):
    name = "speech.asterisk_transcripts"
    path = samples.fetch(name, cache_dir=tmp_path, verbose=False)
    assert path == tmp_path / name / "core-sounds-en.txt.gz"
    assert samples.path(name, cache_dir=tmp_path) == path
    assert b"activated: Activated." in gzip.decompress(path.read_bytes())
    assert [p.name for p in tmp_path.iterdir()] == [name]  # the .deb was deleted
