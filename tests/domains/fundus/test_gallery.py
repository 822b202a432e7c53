"""The gallery of real photographs: panels cut out of notebook figures, the photographs' roles, the copies' verdicts."""

import base64
import io
import json
import pathlib

import numpy as np
from PIL import Image

from core.testing import TestCase
from domains.fundus.gallery import PHOTOGRAPHS, figure_panels, is_right, notebook_figures, photographs, variants
from domains.fundus.gate import VERDICTS, Gradeability


def _figure():
    """A rendered figure: white, a title bar of text-like strokes, two photographs (one black-bordered)."""
    figure = np.full((200, 400, 3), 255, np.uint8)
    figure[5:12:2, 40:120] = 0  # "title" strokes: thin, not a panel
    figure[20:180, 20:180] = (180, 70, 40)
    figure[20:180, 20:30] = 0  # a black border is kept
    figure[30:190, 220:390] = (90, 160, 200)
    figure[40:180:20, 210:220] = 0  # tick marks touching the second photograph (trimmed: mostly white columns)
    return figure


class GalleryTest(TestCase):
    def test_figure_panels_cut_out_each_photograph(self):
        panels = figure_panels(_figure())
        self.assertEqual([panel.shape for panel in panels], [(160, 160, 3), (160, 170, 3)])
        np.testing.assert_array_equal(panels[0][:, :10], 0)
        np.testing.assert_array_equal(panels[1], np.broadcast_to(np.array([90, 160, 200], np.uint8), (160, 170, 3)))

    def test_notebook_figures_reads_png_outputs_in_order(self):
        tmp = pathlib.Path(self.get_temp_dir())
        encoded = []
        for colour in ((255, 0, 0), (0, 255, 0)):
            buffer = io.BytesIO()
            Image.fromarray(np.full((4, 5, 3), colour, np.uint8)).save(buffer, "PNG")
            encoded.append(base64.b64encode(buffer.getvalue()).decode())
        cells = [{"cell_type": "code", "outputs": [{"data": {"image/png": encoded[0], "text/plain": "x"}}]},
                 {"cell_type": "markdown", "source": "text"},
                 {"cell_type": "code", "outputs": [{"text": "printed"}, {"data": {"image/png": [encoded[1]]}}]}]
        (tmp / "nb.ipynb").write_text(json.dumps({"cells": cells}))
        figures = notebook_figures(tmp / "nb.ipynb")
        self.assertEqual([f.shape for f in figures], [(4, 5, 3), (4, 5, 3)])
        self.assertEqual([tuple(f[0, 0]) for f in figures], [(255, 0, 0), (0, 255, 0)])

    def test_photographs_are_real_and_tuning_and_test_apart(self):
        names = [photo.name for photo in PHOTOGRAPHS]
        self.assertEqual(len(names), len(set(names)))
        tuning = {photo.sample for photo in PHOTOGRAPHS if photo.role == "tuning"}
        test = {photo.sample for photo in PHOTOGRAPHS if photo.role == "test"}
        self.assertEqual(tuning & test, set())  # no file (or notebook) serves both
        for photo in PHOTOGRAPHS:
            self.assertIn(photo.truth, ("fundus", "not fundus", "white-out"))
            self.assertLessEqual(set(photo.expected), set(VERDICTS))
        shapes = {photo.name: image.shape for photo, image in photographs("test")}
        # The photographs of the issue: four of 234-245 px, a wide one without a border, three camera frames.
        self.assertEqual(shapes["toolbox quality 1"], (245, 245, 3))
        self.assertEqual(shapes["toolbox quality 4"], (245, 234, 3))
        self.assertEqual(shapes["toolbox wide, no border"], (190, 253, 3))
        self.assertEqual(shapes["toolbox vessels, no border"][:2], (267, 355))
        for name in ("toolbox white-out", "toolbox person", "toolbox ruler"):
            self.assertEqual(shapes[name], (190, 253, 3))

    def test_variants_and_what_is_right(self):
        image = np.full((400, 300, 3), (180, 70, 40), np.uint8)
        copies = {name: (copy, verdict, reason) for name, copy, verdict, reason in variants(image, 512)}
        self.assertEqual(copies["crop inside the FOV"][0].shape, (180, 180, 3))
        self.assertEqual(copies["halved"][0].shape, (200, 150, 3))
        self.assertEqual(copies["enlarged x2"][2], "out of focus")  # 300 px < 512: enlarging blurs at 512
        self.assertIsNone(variants(np.zeros((600, 600, 3), np.uint8), 512)[2][3])
        shrunk = [name for name in copies if name.startswith("shrunk")]
        self.assertEqual(copies[shrunk[0]][0].shape[1], int(0.3 * 512 * 300 / 400))
        np.testing.assert_array_equal(copies["darkened x0.12"][0], (image * 0.12).astype(np.uint8))

        def verdict(name, *reasons):
            return Gradeability(name, None, name == "gradeable", 1.0 if name == "gradeable" else 0.0, list(reasons), {})

        big, small = np.zeros((600, 600, 3), np.uint8), np.zeros((200, 200, 3), np.uint8)
        self.assertTrue(is_right(verdict("gradeable"), "gradeable", big, 512))
        self.assertFalse(is_right(verdict("gradeable"), "gradeable", small, 512))  # below half the model's side
        self.assertTrue(is_right(verdict("too small", "too small ..."), "gradeable", small, 512))
        self.assertFalse(is_right(verdict("too small", "too small ..."), "gradeable", big, 512))
        self.assertTrue(is_right(verdict("ungradeable", "out of focus ..."), "gradeable", big, 512, "out of focus"))
        self.assertFalse(is_right(verdict("ungradeable", "too dark ..."), "gradeable", big, 512, "out of focus"))
        self.assertTrue(is_right(verdict("ungradeable", "too dark ..."), "ungradeable", big, 512, "too dark"))
        self.assertFalse(is_right(verdict("ungradeable", "overexposed ..."), "ungradeable", big, 512, "too dark"))
        self.assertTrue(is_right(verdict("not a fundus photograph", "x"), ("not a fundus photograph",), small, 512))
