"""`AramaicSynth`: deterministic by seed, streamed and exported, stages switched off exactly (the stages: test_<stage>.py)."""

import pathlib

import numpy as np
import pytest

from core.data import read_tfrecord_shards
from core.testing import TestCase
from domains.aramaic.damage import DAMAGE_KINDS
from domains.aramaic.letters import NUM_CLASSES
from domains.aramaic.synth import ABLATIONS, STAGES, AramaicSynth, Columns


def same(a, b):
    """Equal plan values: numbers, strings, arrays, and lists or tuples of them."""
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(map(same, a, b))
    return np.array_equal(a, b)


@pytest.mark.usefixtures("noto_font")
class AramaicSynthTest(TestCase):
    def setUp(self):
        super().setUp()
        self.synth = AramaicSynth(image_size=48, fonts=self.noto_font, seed=5)

    def test_deterministic_by_seed_and_index(self):
        synth = self.synth
        a, b = synth.example(7), synth.example(7)
        np.testing.assert_array_equal(a.image, b.image)
        self.assertEqual(a.params, b.params)
        self.assertEqual(a.label, 7)
        self.assertFalse(np.array_equal(a.image, synth.example(7, seed=6).image))
        self.assertEqual(synth.example(7 + NUM_CLASSES).label, 7)
        self.assertEqual((a.image.shape, a.image.dtype), ((48, 48, 3), np.uint8))
        # Asking for the stages does not change the image.
        np.testing.assert_array_equal(synth.example(7, stages=True).image, a.image)

    def test_stream_equals_examples_and_is_parallel_safe(self):
        import tensorflow as tf

        synth = self.synth
        images, labels, params = synth.arrays(6, seed=9, start=3)
        self.assertEqual(list(labels), [3, 4, 5, 6, 7, 8])
        np.testing.assert_array_equal(images[2], synth.example(5, seed=9).image)
        self.assertAlmostEqual(float(params[2, 0]), synth.example(5, seed=9).params["severity"], places=6)
        # One thread, and chunks of 4 (examples 3-6, then 7-8) instead of one chunk of 6: the same images.
        serial = np.stack([x for x, _ in synth.dataset(9, 6, start=3, num_parallel_calls=1, chunk_size=4)
                           .as_numpy_iterator()])
        np.testing.assert_array_equal(serial, images)
        self.assertEqual(synth.dataset(0).element_spec[0], tf.TensorSpec((48, 48, 3), tf.uint8))

    def test_forcing_the_drawn_severity_renders_the_same_example(self):
        # The severity is drawn even when forced, so forcing the value an example drew renders that
        # example bit for bit, and another severity keeps its font, stone, relief and light.
        drawn = self.synth.example(5)
        forced = self.synth.example(5, severity=drawn.params["severity"])
        np.testing.assert_array_equal(forced.image, drawn.image)
        other = self.synth.example(5, severity=0.9)
        for key in ("font", "stone", "relief", "azimuth", "elevation"):
            self.assertEqual(other.params[key], drawn.params[key])

    def test_columns_gather_a_condition_across_the_chunk(self):
        plans = self.synth.conditions(4)
        column = Columns(plans)
        self.assertEqual(column("severity").dtype, np.float32)
        self.assertAllClose(column("severity"), [plan["severity"] for plan in plans])
        self.assertEqual(column("white_balance").shape, (4, 3))
        self.assertIs(column("severity"), column("severity"))  # gathered once

    def test_export_folder_and_tfrecord(self):
        from domains.aramaic.data import load_letter_folder

        synth, root = self.synth, pathlib.Path(self.get_temp_dir())
        counts = synth.export_folder(root / "train", 25, seed=1)
        self.assertEqual((counts["Alef"], counts["No Letter"], sum(counts.values())), (2, 1, 25))
        self.assertEqual(sorted(p.name for p in (root / "train" / "Bet").iterdir()), ["00000001.png", "00000024.png"])
        images, labels, _ = load_letter_folder(root / "train", image_size=48)
        self.assertEqual(len(images), 25)
        self.assertEqual(sorted(labels.tolist()), sorted(i % 23 for i in range(25)))
        np.testing.assert_allclose(images[0] * 255, synth.example(0, seed=1).image, atol=0.01)  # PNG is lossless

        shards = synth.export_tfrecord(root / "tf" / "train", 5, seed=1, num_shards=2)
        self.assertEqual(len(shards), 2)
        records = list(read_tfrecord_shards(f"{root}/tf/train-*.tfrecord", deterministic=True).as_numpy_iterator())
        self.assertEqual([r["label"] for r in records], [0, 1, 2, 3, 4])
        np.testing.assert_array_equal(records[3]["image"], synth.example(3, seed=1).image)

    def test_preview_grid(self):
        path = pathlib.Path(self.get_temp_dir()) / "preview.png"
        figure = self.synth.preview_grid(path, labels=[0, 22])
        self.assertGreater(path.stat().st_size, 10_000)
        self.assertEqual(len(figure.axes), 2 * len(STAGES))
        self.assertEqual([axis.get_ylabel() for axis in figure.axes[::len(STAGES)]], ["Alef", "No Letter"])


@pytest.mark.usefixtures("noto_font", "font_without_bet_and_tav")
class SettingsTest(TestCase):
    def test_mixed_fonts_and_bad_settings(self):
        mixed = AramaicSynth(image_size=32, fonts=[self.noto_font, self.noto_font])
        self.assertEqual(len(mixed.glyphs), 2)
        with self.assertRaisesRegex(ValueError, "Bet"):
            AramaicSynth(image_size=32, fonts=[self.noto_font, self.font_without_bet_and_tav])
        with self.assertRaisesRegex(ValueError, "image_size"):
            AramaicSynth(image_size=16)
        with self.assertRaisesRegex(ValueError, "severity"):
            AramaicSynth(severity=(0.5, 1.5))
        with self.assertRaisesRegex(ValueError, "stones"):
            AramaicSynth(stones=("granite",))
        with self.assertRaisesRegex(ValueError, "min_legibility"):
            AramaicSynth(min_legibility=-1.0)

    def test_bad_stage_names_are_refused(self):
        with self.assertRaisesRegex(ValueError, r"Received: ablate=\('damage', 'rust'\)"):
            AramaicSynth(image_size=32, ablate=("damage", "rust"))
        with self.assertRaisesRegex(ValueError, "Received: ablate='stones'"):
            AramaicSynth(image_size=32, ablate="stones")


@pytest.mark.usefixtures("noto_font")
class AblateTest(TestCase):
    def test_ablated_conditions_are_drawn_then_neutralised(self):
        settings = {"image_size": 32, "fonts": self.noto_font, "severity": (0.5, 1.0), "stroke_variation": 0.5}
        full = AramaicSynth(**settings).conditions(23, seed=4)
        for name in ABLATIONS:
            ablated = AramaicSynth(ablate=name, **settings)
            switched = set(ablated._neutral)
            self.assertTrue(switched and switched <= set(full[0]))
            changed = set()
            for plan, reference in zip(ablated.conditions(23, seed=4), full):
                # Every other condition, the noise fields' choices included, is drawn as without `ablate`.
                self.assertTrue(all(same(plan[key], reference[key]) for key in set(reference) - switched), name)
                self.assertTrue(all(same(plan[key], ablated._neutral[key]) for key in switched), name)
                changed |= {key for key in switched if not same(plan[key], reference[key])}
            self.assertEqual(changed, switched, name)  # each switch neutralises a condition that was drawn otherwise
        images = AramaicSynth(**settings).arrays(4, seed=4)[0]
        np.testing.assert_array_equal(AramaicSynth(ablate=(), **settings).arrays(4, seed=4)[0], images)
        no_damage = AramaicSynth(ablate=("damage",), **settings).arrays(4, seed=4)[0]
        np.testing.assert_array_equal(AramaicSynth(ablate=DAMAGE_KINDS, **settings).arrays(4, seed=4)[0], no_damage)
        self.assertFalse(np.array_equal(no_damage, images))


@pytest.mark.usefixtures("noto_font")
class StrokeVariationTest(TestCase):
    def test_stroke_draws_come_last_and_vary_only_the_letter_form(self):
        plain = AramaicSynth(image_size=32, fonts=self.noto_font)
        varied = AramaicSynth(image_size=32, fonts=self.noto_font, stroke_variation=1.0)
        # Its draws come after every other: switched off, the stream is the one without it.
        np.testing.assert_array_equal(
            AramaicSynth(image_size=32, fonts=self.noto_font, stroke_variation=1.0, ablate="strokes").arrays(8, seed=3)[0],
            plain.arrays(8, seed=3)[0])
        for plan, reference in zip(varied.conditions(8, seed=3), plain.conditions(8, seed=3)):
            self.assertTrue(all(same(plan[key], reference[key]) for key in reference))
            self.assertTrue(plan["stroke_form"])
            self.assertEqual(plan["segments"].shape, (varied._num_segments, 2, 2))
        for label in (0, 12, 21):
            a = plain.example(label, seed=3, severity=0.0, stages=True).stages
            b = varied.example(label, seed=3, severity=0.0, stages=True).stages
            np.testing.assert_array_equal(a["font"], b["font"])
            self.assertFalse(np.array_equal(a["letter form"], b["letter form"]))
            overlap = np.minimum(a["letter form"], b["letter form"]).sum() / np.maximum(a["letter form"],
                                                                                            b["letter form"]).sum()
            self.assertBetween(overlap, 0.1, 0.95)  # the same letter, in another hand
        with self.assertRaisesRegex(ValueError, "stroke_variation must be in"):
            AramaicSynth(image_size=32, stroke_variation=1.5)
        with self.assertRaisesRegex(ValueError, "fonts must name at least one"):
            AramaicSynth(image_size=32, fonts=[])
