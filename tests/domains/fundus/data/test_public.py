"""Readers of the public DR sets on fixtures in their exact layouts, and the paper's split file."""

import pathlib
import shutil

import numpy as np

from core.testing import TestCase
from domains.fundus.data import (
    apply_global_split,
    load_fundus,
    read_aptos,
    read_ddr,
    read_eyepacs,
    read_global_split,
    read_idrid,
    read_messidor2,
)

FIXTURES = pathlib.Path(__file__).parent / "fixtures"


class PublicDataTest(TestCase):
    def test_eyepacs_layout_and_patients(self):
        train = read_eyepacs(FIXTURES / "eyepacs")
        self.assertEqual(len(train), 12)
        self.assertEqual(train.filenames[0], "Kaggle/10_left")
        self.assertEqual(train.grades.tolist()[:4], [0, 0, 2, 1])
        self.assertEqual(train.labels.tolist()[:4], [0, 0, 1, 0])
        self.assertTrue(train.patients[0] == train.patients[1] == "Kaggle/patient_10")
        self.assertEqual(pathlib.Path(train.paths[0]).name, "10_left.jpeg")
        test = read_eyepacs(FIXTURES / "eyepacs", "test")
        self.assertEqual(test.filenames.tolist(),
                         ["Kaggle/1_left", "Kaggle/1_right", "Kaggle/2_left", "Kaggle/2_right"])
        data = load_fundus(FIXTURES / "eyepacs", "eyepacs", seed=0)
        self.assertEqual(len(data.test), 4)
        self.assertEqual(len(data.train) + len(data.validation), 12)
        # Both eyes on the same side of the split.
        self.assertFalse(set(data.train.patients) & set(data.validation.patients))

    def test_aptos_messidor_idrid_ddr_layouts(self):
        aptos = read_aptos(FIXTURES / "aptos")
        self.assertEqual(len(aptos), 10)
        self.assertEqual(aptos.filenames[0], "APTOS2019/000a1b2c3d4")
        self.assertEqual(aptos.grades.tolist(), [0, 1, 2, 3, 4, 0, 2, 0, 1, 3])
        messidor = read_messidor2(FIXTURES / "messidor2")
        self.assertEqual(len(messidor), 4)
        self.assertEqual(messidor.filenames[1], "Messidor2/IM001231")
        self.assertEqual(messidor.labels.tolist(), [0, 1, 0, 1])
        idrid = read_idrid(FIXTURES / "idrid")
        self.assertEqual(len(idrid), 6)
        self.assertEqual(idrid.filenames[0], "IDRID/IDRiD_001")
        self.assertEqual(idrid.grades[0], 3)
        # Testing images restart at IDRiD_001; named on after the 413 training images, as the paper does.
        self.assertEqual(read_idrid(FIXTURES / "idrid", "test").filenames.tolist(),
                         [f"IDRID/IDRiD_{n}" for n in (414, 415, 416)])
        ddr = read_ddr(FIXTURES / "ddr")
        self.assertEqual(len(ddr), 4)
        self.assertEqual(ddr.grades.tolist(), [0, 2, 1, 3])
        self.assertEqual(ddr.filenames[0], "DDR/007-2800-100")
        for format in ("aptos", "messidor2", "idrid", "ddr"):
            data = load_fundus(FIXTURES / format, format)
            self.assertGreater(len(data.test), 0)
            self.assertFalse(set(data.train.filenames) & set(data.test.filenames))

    def test_bad_layouts_name_the_file(self):
        tmp_path = pathlib.Path(self.get_temp_dir())
        copy = tmp_path / "aptos"
        shutil.copytree(FIXTURES / "aptos", copy)
        next((copy / "train_images").glob("001*.png")).unlink()
        missing = r"train.csv names 1 image\(s\) missing from .*train_images: 001a1b2c3d4.png"
        with self.assertRaisesRegex(ValueError, missing):
            read_aptos(copy)
        (copy / "train.csv").write_text("id,grade\nx,1\n")
        with self.assertRaisesRegex(ValueError, r"train.csv: expected the columns \['id_code', 'diagnosis'\]"):
            read_aptos(copy)
        (copy / "train.csv").write_text("id_code,diagnosis\n000a1b2c3d4,7\n")
        with self.assertRaisesRegex(ValueError, "ICDR grades are 0-4"):
            read_aptos(copy)
        with self.assertRaisesRegex(FileNotFoundError, "trainLabels.csv: no such labels file"):
            read_eyepacs(tmp_path)
        (tmp_path / "empty").mkdir()
        with self.assertRaisesRegex(FileNotFoundError, "DR_grading/train.txt: no such labels file"):
            load_fundus(tmp_path / "empty", "ddr")
        with self.assertRaisesRegex(ValueError, "format must be one of"):
            load_fundus(tmp_path, "drive")

    def test_global_split_ini(self):
        names = read_global_split(FIXTURES / "global_split.ini")
        self.assertEqual(len(names["training"]), 9)
        self.assertEqual(names["test"][-1], "Messidor2/IM001231")
        data = apply_global_split([read_eyepacs(FIXTURES / "eyepacs"), read_aptos(FIXTURES / "aptos")],
                                  FIXTURES / "global_split.ini")
        self.assertEqual(data.train.filenames.tolist()[:2], ["Kaggle/10_left", "Kaggle/10_right"])
        self.assertEqual(len(data.train), 8)
        self.assertEqual(len(data.validation), 3)
        self.assertEqual(len(data.test), 5)
        self.assertIn("skipped: training 1, test 1", data.source)
        self.assertTrue(np.array_equal(data.test.labels, [0, 0, 0, 1, 1]))

    def test_global_split_errors(self):
        tmp_path = pathlib.Path(self.get_temp_dir())
        bad = tmp_path / "split.ini"
        bad.write_text("[split]\ntype = holdout\ntraining = Kaggle/10_left\nvalidation = \ntest = Kaggle/10_right\n")
        with self.assertRaisesRegex(ValueError, "patient\\(s\\) on both sides of the split, e.g. Kaggle/patient_10"):
            apply_global_split([read_eyepacs(FIXTURES / "eyepacs")], bad)
        bad.write_text("[split]\ntype = holdout\ntraining = Kaggle/99_left\nvalidation = \ntest = \n")
        unlisted = "1 training image\\(s\\) of the loaded sets are not among them: Kaggle/99_left"
        with self.assertRaisesRegex(ValueError, unlisted):
            apply_global_split([read_eyepacs(FIXTURES / "eyepacs")], bad)
        bad.write_text("[split]\ntype = kfold\n")
        with self.assertRaisesRegex(ValueError, "only holdout"):
            read_global_split(bad)
        bad.write_text("[other]\n")
        with self.assertRaisesRegex(ValueError, "expected a \\[split\\] section"):
            read_global_split(bad)
