"""The real samples of domains.fundus (domains/fundus/samples.py): registered, well-formed, fetched."""

import re

from core.data import samples

REQUIRED = ("fundus.retina", "fundus.microaneurysms")


def test_fundus_samples_are_registered_and_well_formed(retina_path):
    fundus = {name: sample for name, sample in samples.SAMPLES.items() if name.startswith("fundus.")}
    assert set(REQUIRED) <= set(fundus)
    for name, sample in fundus.items():
        assert sample.domain == "fundus" and sample.name == name
        assert sample.registry == "pypi" and sample.artifact == "wheel" and sample.package == "scikit-image"
        assert sample.version and sample.member and sample.description and sample.licence
        assert re.fullmatch(r"[0-9a-f]{64}", sample.sha256), name
    assert retina_path.name == "retina.jpg" and retina_path.stat().st_size == fundus["fundus.retina"].nbytes
