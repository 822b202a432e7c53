"""The real samples of domains.mri (domains/mri/samples.py): what they are, and fetchable from PyPI.

Registration and use by the domain are checked for every domain by tests/domains/test_template.py.
The network tests fetch only nibabel's 3.3 MB wheel.
"""

import hashlib
import re

import pytest

from core.data import samples

NIBABEL = ("mri.anatomical",)
REQUIRED = ("mri.mni152_1mm",) + NIBABEL


def test_mri_samples_are_well_formed():
    mri = {name: sample for name, sample in samples.SAMPLES.items() if name.startswith("mri.")}
    assert set(mri) == set(REQUIRED)
    for name, sample in mri.items():
        assert sample.domain == "mri" and sample.name == name
        assert sample.registry == "pypi" and sample.artifact == "wheel"
        assert sample.version and sample.member and sample.description and sample.licence
        assert re.fullmatch(r"[0-9a-f]{64}", sample.sha256), name
        assert sample.nbytes > 0 and sample.artifact_mb > 0
        assert not sample.member.startswith("/") and not sample.is_directory
    assert {mri[n].package for n in NIBABEL} == {"nibabel"}
    assert mri["mri.anatomical"].sha256 == "1c089f37b6597a38bb4157a1e1b3f7f13f1bc9d4e7a8cfdfaf91d85cd8f66594"


@pytest.fixture(scope="module")
def nibabel_cache(tmp_path_factory):
    """One real download of nibabel's wheel shared by the tests that need fetched samples."""
    cache = tmp_path_factory.mktemp("resuite-data")
    calls = []
    real = samples.archives.download

    def counting(sample, tmp, verbose):
        calls.append(sample.package)
        return real(sample, tmp, verbose)

    samples.archives.download = counting
    try:
        results = samples.fetch_all(names=NIBABEL, cache_dir=cache, verbose=False)
    finally:
        samples.archives.download = real
    return cache, results, calls


@pytest.mark.network
def test_fetch_real_wheel_once_and_load(nibabel_cache):
    nibabel = pytest.importorskip("nibabel")
    cache, results, calls = nibabel_cache
    assert calls == ["nibabel"]
    path = results["mri.anatomical"]
    assert path == cache / "mri.anatomical" / "anatomical.nii"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == samples.SAMPLES["mri.anatomical"].sha256
    assert nibabel.load(path).shape == (33, 41, 25)
    # the wheel was deleted: only the sample folder remains
    assert sorted(p.name for p in cache.iterdir()) == sorted(NIBABEL)


@pytest.mark.network
def test_second_fetch_does_not_download(nibabel_cache, monkeypatch):
    cache, results, _ = nibabel_cache
    mtime = results["mri.anatomical"].stat().st_mtime_ns

    def fail(*args):
        raise AssertionError("downloaded again")

    monkeypatch.setattr(samples.archives, "download", fail)
    assert samples.fetch("mri.anatomical", cache_dir=cache, verbose=False) == results["mri.anatomical"]
    assert samples.path("mri.anatomical", cache_dir=cache) == results["mri.anatomical"]
    assert results["mri.anatomical"].stat().st_mtime_ns == mtime
    rows = {row["name"]: row for row in samples.status(cache_dir=cache)}
    assert rows["mri.anatomical"]["fetched"] and not rows["mri.mni152_1mm"]["fetched"]
    assert set(rows) == set(samples.SAMPLES)
    assert samples.verify(cache_dir=cache) == {name: results[name] for name in NIBABEL}
