"""The real samples of domains.speech (domains/speech/samples.py): registered, well-formed, fetchable."""

import gzip
import re
import shutil
import subprocess

import pytest

from core.data import samples

REQUIRED = ("speech.asterisk_allison", "speech.asterisk_transcripts", "speech.arctic_a0009_wav",
            "speech.arctic_a0009_lab")


def test_speech_samples_are_registered_and_well_formed():
    chosen = {name: sample for name, sample in samples.SAMPLES.items() if name.startswith("speech.")}
    assert set(REQUIRED) <= set(chosen)
    for name, sample in chosen.items():
        assert sample.domain == "speech" and sample.name == name
        assert sample.registry in ("pypi", "debian")
        assert sample.artifact in (("wheel", "sdist") if sample.registry == "pypi" else ("deb",))
        assert sample.version and sample.member and sample.description and sample.licence
        assert re.fullmatch(r"[0-9a-f]{64}", sample.sha256), name
        assert sample.nbytes > 0 and sample.artifact_mb > 0
        assert not sample.member.startswith("/")


def test_folder_samples():
    assert samples.SAMPLES["speech.asterisk_allison"].is_directory
    assert samples.SAMPLES["lamost.iraf_onedstds"].is_directory
    assert not samples.SAMPLES["speech.asterisk_transcripts"].is_directory


def _apt_knows(package):
    if not shutil.which("apt-cache") or not shutil.which("dpkg-deb"):
        return False
    return subprocess.run(["apt-cache", "show", package], capture_output=True).returncode == 0


@pytest.mark.network
@pytest.mark.skipif(not _apt_knows("asterisk-core-sounds-en"), reason="needs Debian's apt with updated lists")
def test_fetch_small_debian_sample(tmp_path):
    name = "speech.asterisk_transcripts"
    path = samples.fetch(name, cache_dir=tmp_path, verbose=False)
    assert path == tmp_path / name / "core-sounds-en.txt.gz"
    assert samples.path(name, cache_dir=tmp_path) == path
    assert b"activated: Activated." in gzip.decompress(path.read_bytes())
    assert [p.name for p in tmp_path.iterdir()] == [name]  # the .deb was deleted
