"""`AramaicSynth`: deterministic by seed, every stage physically sensible, streamed and exported."""

import numpy as np
import pytest

from core.data import read_tfrecord_shards
from domains.aramaic.letters import NO_LETTER_CLASS, NUM_CLASSES
from domains.aramaic.synth import STAGES, AramaicSynth


@pytest.fixture(scope="module")
def synth(noto_font):
    return AramaicSynth(image_size=48, fonts=noto_font, seed=5)


def test_deterministic_by_seed_and_index(synth):
    a, b = synth.example(7), synth.example(7)
    np.testing.assert_array_equal(a.image, b.image)
    assert a.params == b.params and a.label == 7
    assert not np.array_equal(a.image, synth.example(7, seed=6).image)
    assert synth.example(7 + NUM_CLASSES).label == 7
    assert a.image.shape == (48, 48, 3) and a.image.dtype == np.uint8
    # Asking for the stages does not change the image.
    np.testing.assert_array_equal(synth.example(7, stages=True).image, a.image)


def test_stream_equals_examples_and_is_parallel_safe(synth):
    import tensorflow as tf

    images, labels, params = synth.arrays(6, seed=9, start=3)
    assert list(labels) == [3, 4, 5, 6, 7, 8]
    np.testing.assert_array_equal(images[2], synth.example(5, seed=9).image)
    assert params[2, 0] == pytest.approx(synth.example(5, seed=9).params["severity"])
    # One thread, and chunks of 4 (examples 3-6, then 7-8) instead of one chunk of 6: the same images.
    serial = np.stack([x for x, _ in synth.dataset(9, 6, start=3, num_parallel_calls=1, chunk_size=4)
                       .as_numpy_iterator()])
    np.testing.assert_array_equal(serial, images)
    assert synth.dataset(0).element_spec[0] == tf.TensorSpec((48, 48, 3), tf.uint8)


def test_letter_is_carved_where_the_glyph_is(synth):
    r = synth.example(0, label=3, severity=0.0, stages=True)  # Dalet, no damage
    form = r.stages["letter form"]
    assert set(STAGES) == set(r.stages)
    assert 0.02 < form.mean() < 0.5 and form.max() == pytest.approx(1.0)
    empty = synth.example(0, label=NUM_CLASSES - 1, stages=True).stages
    assert empty["font"].max() == 0


def test_raking_light_casts_shadows_on_the_far_side_of_a_groove(synth):
    # A vertical groove 8 px wide and 4 deep, lit from +x at 15 degrees: the edge sloping down
    # towards +x (x = 19) faces the light and is bright; the floor lies in the shadow of the far
    # wall (4 / tan 15° = 15 px > 8 px); the wall rising towards +x faces away from the light.
    size = 48
    height = np.zeros((size, size), "float32")
    height[:, 20:28] = -4.0
    albedo = np.full((size, size, 3), 0.5, "float32")
    light = synth._light_vector([0.0], [15.0])  # the renderer works on chunks: a chunk of one
    shaded = synth._shade(height[None], albedo[None], light, [0.1], [0.0])[0, ..., 0]
    flat = shaded[:, 5].mean()
    assert shaded[:, 19].mean() > 1.5 * flat
    assert shaded[:, 21:27].max() < 0.3 * flat   # cast shadow: only the ambient term
    assert shaded[:, 27].mean() < 0.3 * flat
    no_light_shadow = synth._shadow(height[None], synth._light_vector([0.0], [89.0]))
    assert no_light_shadow.min() > 0.9  # light from above: nothing in shadow


def test_damage_grows_with_severity(synth):
    # Same seed, same letter: more severe damage removes more of the letter's contrast.
    def letter_contrast(severity):
        values = []
        for i in range(12):
            r = synth.example(i, label=10, severity=severity, stages=True)
            values.append(np.abs(r.stages["damage"] - r.stages["stone"]).mean())
        return np.mean(values)

    assert letter_contrast(0.0) < letter_contrast(1.0)


def test_forcing_the_drawn_severity_renders_the_same_example(synth):
    # The severity is drawn even when forced, so forcing the value an example drew renders that
    # example bit for bit, and another severity keeps its font, stone, relief and light.
    drawn = synth.example(5)
    forced = synth.example(5, severity=drawn.params["severity"])
    np.testing.assert_array_equal(forced.image, drawn.image)
    other = synth.example(5, severity=0.9)
    for key in ("font", "stone", "relief", "azimuth", "elevation"):
        assert other.params[key] == drawn.params[key]


def test_legibility_floor_deepens_only_the_faint_letters(noto_font):
    settings = {"image_size": 48, "fonts": noto_font, "severity": (1.0, 1.0), "seed": 3}
    free_images, labels, free = AramaicSynth(min_legibility=0.0, **settings).arrays(23)
    images, _, floored = AramaicSynth(**settings).arrays(23)  # the default floor, 2
    letter = labels != NO_LETTER_CLASS
    faint = letter & (free[:, 4] < 2.0)
    assert faint.any()  # the worst damage leaves some letters fainter than the floor
    np.testing.assert_allclose(floored[letter, 4], np.maximum(free[letter, 4], 2.0), rtol=1e-5)
    # "No Letter" has no strokes to measure, unless a neighbour's fragment is in view (then the
    # fragment's edges are measured, as they are beside a letter): none is, at this seed.
    assert np.isinf(floored[~letter, 4]).all()
    # Letters already legible are left as they were (up to rounding); faint ones are not.
    kept = letter & ~faint
    np.testing.assert_allclose(images[kept].astype(int), free_images[kept].astype(int), atol=1)
    assert not np.array_equal(images[faint], free_images[faint])


def test_mixed_fonts_and_bad_settings(noto_font, font_without_bet_and_tav):
    mixed = AramaicSynth(image_size=32, fonts=[noto_font, noto_font])
    assert len(mixed.glyphs) == 2
    with pytest.raises(ValueError, match="Bet"):
        AramaicSynth(image_size=32, fonts=[noto_font, font_without_bet_and_tav])
    with pytest.raises(ValueError, match="image_size"):
        AramaicSynth(image_size=16)
    with pytest.raises(ValueError, match="severity"):
        AramaicSynth(severity=(0.5, 1.5))
    with pytest.raises(ValueError, match="stones"):
        AramaicSynth(stones=("granite",))
    with pytest.raises(ValueError, match="min_legibility"):
        AramaicSynth(min_legibility=-1.0)


def test_export_folder_and_tfrecord(synth, tmp_path):
    counts = synth.export_folder(tmp_path / "train", 25, seed=1)
    assert counts["Alef"] == 2 and counts["No Letter"] == 1 and sum(counts.values()) == 25
    assert sorted(p.name for p in (tmp_path / "train" / "Bet").iterdir()) == ["00000001.png", "00000024.png"]
    from domains.aramaic.data import load_letter_folder

    images, labels, _ = load_letter_folder(tmp_path / "train", image_size=48)
    assert len(images) == 25 and sorted(labels.tolist()) == sorted(i % 23 for i in range(25))
    np.testing.assert_allclose(images[0] * 255, synth.example(0, seed=1).image, atol=0.01)  # PNG is lossless

    shards = synth.export_tfrecord(tmp_path / "tf" / "train", 5, seed=1, num_shards=2)
    assert len(shards) == 2
    records = list(read_tfrecord_shards(str(tmp_path / "tf" / "train-*.tfrecord"), deterministic=True)
                   .as_numpy_iterator())
    assert [r["label"] for r in records] == [0, 1, 2, 3, 4]
    np.testing.assert_array_equal(records[3]["image"], synth.example(3, seed=1).image)


def test_preview_grid(synth, tmp_path):
    figure = synth.preview_grid(tmp_path / "preview.png", labels=[0, 22])
    assert (tmp_path / "preview.png").stat().st_size > 10_000
    assert len(figure.axes) == 2 * len(STAGES)
    assert [axis.get_ylabel() for axis in figure.axes[::len(STAGES)]] == ["Alef", "No Letter"]
