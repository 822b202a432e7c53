"""`domains.aramaic.strokes`: a glyph's strokes traced, varied and drawn again, still the same letter."""

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from core.testing import TestCase
from domains.aramaic import strokes
from domains.aramaic.letters import load_glyphs


def draw(segments, radii, size=128):
    y, x = np.mgrid[0:size, 0:size].astype("float32")
    return strokes.stroke_distance(segments[None], radii[None], np.stack([y, x])[None])[0] < 0


def iou(a, b):
    return (a & b).sum() / (a | b).sum()


def t_shape():
    mask = np.zeros((64, 64), bool)
    mask[10:16, 8:56] = True   # the bar
    mask[10:58, 29:35] = True  # the stem
    return mask


class SkeletonTest(TestCase):
    def test_thinning_leaves_a_one_pixel_line(self):
        bar = np.zeros((40, 40), bool)
        bar[17:23, 5:35] = True
        skeleton = strokes.skeletonize(bar)
        self.assertTrue(skeleton[:, 8:32].any(axis=0).all())   # the whole length kept
        self.assertEqual(skeleton[:, 8:32].sum(axis=0).max(), 1)  # one pixel wide
        self.assertFalse((skeleton & ~bar).any())

    def test_strokes_of_a_bar_a_t_and_a_ring(self):
        bar = np.zeros((40, 40), bool)
        bar[17:23, 5:35] = True
        model = strokes.stroke_model(bar)
        self.assertLen(model.strokes, 1)
        self.assertAllClose(model.radius, 3.0, atol=0.6)
        t = strokes.stroke_model(t_shape())
        self.assertLen(t.strokes, 3)            # two arms and the stem, meeting at one junction
        junction = np.flatnonzero(~t.free)
        self.assertLen(junction, 1)
        self.assertTrue(all(junction[0] in ends for ends in t.ends))
        y, x = np.mgrid[0:64, 0:64]
        ring = np.abs(np.hypot(y - 32, x - 32) - 20) < 3
        loop = strokes.stroke_model(ring)
        self.assertLen(loop.strokes, 1)
        self.assertEqual(loop.ends[0, 0], loop.ends[0, 1])
        with self.assertRaisesRegex(ValueError, "strokes.py: the glyph mask is empty"):
            strokes.stroke_model(np.zeros((8, 8), bool))

    def test_stroke_distance_is_signed_and_tapers(self):
        segment = np.array([[[16, 4], [16, 28]]], "float32")
        distance = strokes.stroke_distance(segment[None], np.array([[[2.0, 0.0]]], "float32"),
                                           np.stack(np.mgrid[0:32, 0:32].astype("float32"))[None])[0]
        self.assertAllClose(distance[16, 4], -2.0)
        self.assertAllClose(distance[16, 16], -1.0)  # half-way: half the radius
        self.assertAllClose(distance[10, 4], 4.0)


class PerturbTest(TestCase):
    def test_junctions_stay_joined_and_padding_is_far(self):
        model = strokes.stroke_model(t_shape())
        for seed in range(5):
            segments, radii = strokes.perturb(model, np.random.default_rng(seed), 1.0, model.num_segments + 3)
            self.assertEqual(segments.shape, (model.num_segments + 3, 2, 2))
            self.assertTrue((segments[-3:] == strokes.FAR).all() and (radii[-3:] == 0).all())
            # each stroke's end at the junction lands on the same moved point
            junction = int(np.flatnonzero(~model.free)[0])
            starts = np.cumsum([0] + [len(s) - 1 for s in model.strokes])
            ends = []
            for k, (a, b) in enumerate(model.ends):
                stroke = segments[starts[k]:starts[k + 1]]
                ends.append(stroke[0, 0] if a == junction else stroke[-1, 1])
            self.assertAllClose(np.ptp(np.array(ends), axis=0), [0, 0], atol=1e-3)
        with self.assertRaisesRegex(ValueError, "num_segments must be at least"):
            strokes.perturb(model, np.random.default_rng(0), 1.0, 1)

    def test_strength_zero_redraws_the_font_and_one_changes_it(self):
        mask = t_shape()
        model = strokes.stroke_model(mask)
        clean = draw(*strokes.perturb(model, np.random.default_rng(0), 0.0), size=64)
        self.assertGreater(iou(clean, mask), 0.7)
        varied = [draw(*strokes.perturb(model, np.random.default_rng(seed), 1.0), size=64) for seed in range(4)]
        self.assertLess(np.mean([iou(v, clean) for v in varied]), 0.9)


def pose_free(mask, side=64):
    """The mask cropped to its ink, its larger side scaled to side - 8, centred, dilated by 3 px: its shape alone."""
    rows, cols = np.nonzero(mask)
    crop = mask[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    scale = (side - 8) / max(crop.shape)
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    small = np.asarray(Image.fromarray(crop.astype(np.uint8) * 255).resize(size, Image.BILINEAR)) > 127
    out = np.zeros((side, side), bool)
    y0, x0 = (side - small.shape[0]) // 2, (side - small.shape[1]) // 2
    out[y0:y0 + small.shape[0], x0:x0 + small.shape[1]] = small
    return ndimage.binary_dilation(out, iterations=3)


@pytest.mark.usefixtures("noto_font")
class RecognisableTest(TestCase):
    def test_varied_letters_are_changed_but_nearest_to_their_own_letter(self):
        glyphs = load_glyphs(self.noto_font)
        models = [strokes.stroke_model(mask) for mask in glyphs.masks]
        clean = [draw(*strokes.perturb(model, np.random.default_rng(0), 0.0)) for model in models]
        self.assertGreater(np.mean([iou(c, m) for c, m in zip(clean, glyphs.masks)]), 0.75)
        shapes = [pose_free(c) for c in clean]
        for strength, least in ((1.0, 0.65), (0.5, 0.85)):
            own, changed, nearest = [], [], []
            for index, model in enumerate(models):
                for draw_index in range(3):
                    varied = draw(*strokes.perturb(model, np.random.default_rng([index, draw_index]), strength))
                    changed.append(1 - iou(varied, clean[index]))
                    overlaps = [iou(pose_free(varied), shape) for shape in shapes]
                    own.append(overlaps[index])
                    nearest.append(int(np.argmax(overlaps)) == index)
            self.assertGreater(np.mean(changed), 0.2, strength)          # the form changed, not redrawn
            self.assertGreaterEqual(np.mean(nearest), least, strength)  # still its own letter among the 22
