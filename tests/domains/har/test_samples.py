"""The real samples of domains.har (domains/har/samples.py): registered and well-formed."""

import re

from core.data import samples

REQUIRED = ("har.basicmotions_train", "har.basicmotions_test")


def test_har_samples_are_registered_and_well_formed():
    har = {name: sample for name, sample in samples.SAMPLES.items() if name.startswith("har.")}
    assert set(REQUIRED) <= set(har)
    for name, sample in har.items():
        assert sample.domain == "har" and sample.name == name
        assert sample.registry in ("pypi", "debian")
        assert sample.artifact in (("wheel", "sdist") if sample.registry == "pypi" else ("deb",))
        assert sample.version and sample.member and sample.description and sample.licence
        assert re.fullmatch(r"[0-9a-f]{64}", sample.sha256), name
        assert sample.nbytes > 0 and sample.artifact_mb > 0
        assert not sample.member.startswith("/")
    # both splits come out of one aeon wheel, as .ts text files
    assert {har[n].artifact_key for n in REQUIRED} == {("pypi", "aeon", "1.6.0", "wheel")}
    assert all(har[n].filename.endswith(".ts") for n in REQUIRED)
