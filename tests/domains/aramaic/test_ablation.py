"""Stage ablation: `AramaicSynth(ablate=...)` switches stages off exactly, and `stage_ablation` scores it."""

import json

import numpy as np
import pytest

from domains.aramaic.data import TEST_SEVERITY, split_seed
from domains.aramaic.evaluation import ABLATION_VARIANTS, QUARTILE_CONDITIONS, stage_ablation
from domains.aramaic.letters import NO_LETTER_CLASS, NUM_CLASSES
from domains.aramaic.synth import ABLATIONS, DAMAGE_KINDS, AramaicSynth


def same(a, b):
    """Equal plan values: numbers, strings, arrays, and lists or tuples of them."""
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(map(same, a, b))
    return np.array_equal(a, b)


def test_ablated_conditions_are_drawn_then_neutralised(noto_font):
    settings = {"image_size": 32, "fonts": noto_font, "severity": (0.5, 1.0)}
    full = AramaicSynth(**settings).conditions(23, seed=4)
    for name in ABLATIONS:
        ablated = AramaicSynth(ablate=name, **settings)
        switched = set(ablated._neutral)
        assert switched and switched <= set(full[0])
        changed = set()
        for plan, reference in zip(ablated.conditions(23, seed=4), full):
            # Every other condition, the noise fields' choices included, is drawn as without `ablate`.
            assert all(same(plan[key], reference[key]) for key in set(reference) - switched), name
            assert all(same(plan[key], ablated._neutral[key]) for key in switched), name
            changed |= {key for key in switched if not same(plan[key], reference[key])}
        assert changed == switched, name  # each switch neutralises a condition that was drawn otherwise
    images = AramaicSynth(**settings).arrays(4, seed=4)[0]
    np.testing.assert_array_equal(AramaicSynth(ablate=(), **settings).arrays(4, seed=4)[0], images)
    no_damage = AramaicSynth(ablate=("damage",), **settings).arrays(4, seed=4)[0]
    np.testing.assert_array_equal(AramaicSynth(ablate=DAMAGE_KINDS, **settings).arrays(4, seed=4)[0], no_damage)
    assert not np.array_equal(no_damage, images)


def test_each_switch_turns_its_stage_into_the_identity(noto_font):
    def stages(ablate, index, label, **options):
        synth = AramaicSynth(image_size=32, fonts=noto_font, min_legibility=0.0, ablate=ablate, **options)
        return synth.example(index, label=label, severity=1.0, stages=True).stages

    # Damage off: the damaged surface is the undamaged one, bit for bit, even at severity 1.
    for index in range(3):
        off = stages(("damage",), index, 7)
        np.testing.assert_array_equal(off["damage"], off["stone"])
        assert not np.array_equal(stages((), index, 7)["damage"], off["stone"])
    # Stone off: a blank stone ("No Letter", no neighbour) is one flat colour.
    flat = stages(("stone",), 0, NO_LETTER_CLASS, neighbour_probability=0.0)["stone"]
    assert np.ptp(flat, axis=(0, 1)).max() == 0
    assert np.ptp(stages((), 0, NO_LETTER_CLASS, neighbour_probability=0.0)["stone"], axis=(0, 1)).max() > 0.01
    # Form off: the stroke (where the carved profile passes half depth) is the glyph's own, whatever the draws.
    strokes = [stages(("form",), index, 5)["letter form"] > 0.5 for index in (5, 28, 51)]
    assert strokes[0].any() and all(np.array_equal(stroke, strokes[0]) for stroke in strokes)
    assert not np.array_equal(stages((), 5, 5)["letter form"] > 0.5, stages((), 28, 5)["letter form"] > 0.5)
    # Photograph off: the lit surface exposed to a mean of 0.5, gamma 2.2, no noise, blur or JPEG.
    off = stages(("photo",), 2, 9)
    lit = off["damage"].astype("float64")
    expected = np.clip(lit * 0.5 / (lit.mean() + 1e-4), 0, 1) ** (1 / 2.2)
    np.testing.assert_allclose(off["photograph"], expected, atol=1.01 / 255)


def test_bad_stage_names_are_refused():
    with pytest.raises(ValueError, match=r"Received: ablate=\('damage', 'rust'\)"):
        AramaicSynth(image_size=32, ablate=("damage", "rust"))
    with pytest.raises(ValueError, match="Received: ablate='stones'"):
        AramaicSynth(image_size=32, ablate="stones")


class Oracle:
    """A stand-in model that knows the test split's images: right on them, "Alef" on any other image."""

    def __init__(self, images, labels):
        self.image_size = images.shape[1]
        self.known = {image.tobytes(): label for image, label in zip(images, labels)}

    def probabilities(self, images):
        found = [self.known.get(np.round(image * 255).astype("uint8").tobytes(), 0) for image in images]
        return np.eye(NUM_CLASSES, dtype="float32")[found]


def test_stage_ablation_scores_every_variant_on_the_test_stream(noto_font, tmp_path):
    images, labels, _ = AramaicSynth(image_size=32, fonts=noto_font, severity=TEST_SEVERITY).arrays(
        46, seed=split_seed(3, "test"))
    table = stage_ablation(Oracle(images, labels), tmp_path, num_examples=23, quartile_examples=46, seed=3,
                           fonts=noto_font)
    accuracy = {row["name"]: row["accuracy"] for row in table["variants"]}
    assert list(accuracy) == list(ABLATION_VARIANTS) and all(row["n"] == 23 for row in table["variants"])
    # Only the full pipeline renders the test split's images; every variant changes all 23 of them.
    assert accuracy.pop("all (the test split)") == 1.0
    assert all(value == pytest.approx(1 / 23) for value in accuracy.values())
    letters = int((labels != NO_LETTER_CLASS).sum())
    assert table["quartile_letters"] == letters == 44 and table["quartile_accuracy"] == 1.0
    assert set(table["quartiles"]) == {*QUARTILE_CONDITIONS, "legibility before the floor"}
    assert table["quartiles"]["legibility before the floor"][0]["range"][0] < 2.0  # below the default floor
    assert 0 < table["raised_by_floor"]["fraction"] <= 1 and table["raised_by_floor"]["accuracy"] == 1.0
    for rows in table["quartiles"].values():
        assert len(rows) == 4 and sum(row["n"] for row in rows) == letters
        assert all(row["accuracy"] in (None, 1.0) for row in rows)
    severity = table["quartiles"]["severity"]
    assert TEST_SEVERITY[0] <= severity[0]["range"][0] < severity[-1]["range"][1] <= TEST_SEVERITY[1]
    assert sum(value["n"] for value in table["categories"]["stone"].values()) == letters
    assert json.loads((tmp_path / "ablation.json").read_text())["variants"][0]["name"] == "clean (relief and light only)"
    assert (tmp_path / "ablation.png").stat().st_size > 10_000
    with pytest.raises(ValueError, match="Received: num_examples=0"):
        stage_ablation(Oracle(images, labels), tmp_path, num_examples=0)
