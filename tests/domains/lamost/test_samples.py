"""The registered samples of domains.lamost (domains/lamost/samples.py): registered and well-formed."""

import re

from core.data import samples

REQUIRED = ("lamost.sun", "lamost.vega", "lamost.iraf_onedstds")


def test_lamost_samples_are_registered_and_well_formed():
    lamost = {name: sample for name, sample in samples.SAMPLES.items() if name.startswith("lamost.")}
    assert set(REQUIRED) <= set(lamost)
    for name, sample in lamost.items():
        assert sample.domain == "lamost" and sample.name == name
        assert sample.registry in ("pypi", "debian") and sample.version and sample.licence
        assert re.fullmatch(r"[0-9a-f]{64}", sample.sha256), name
    assert samples.SAMPLES["lamost.iraf_onedstds"].is_directory
