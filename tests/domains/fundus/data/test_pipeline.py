"""The tf.data pipeline of domains.fundus.data: files of a public layout decoded, preprocessed, batched."""

import pathlib

from core.testing import TestCase
from domains.fundus.data import dataset, read_aptos, synthetic_data

FIXTURES = pathlib.Path(__file__).parent / "fixtures"


class PipelineTest(TestCase):
    def test_images_decode_through_the_pipeline(self):
        split = read_aptos(FIXTURES / "aptos")
        images, labels = next(iter(dataset(split, size=32, batch_size=4, radius=16)))
        self.assertEqual(images.shape, (4, 32, 32, 3))
        self.assertEqual(labels.numpy().tolist(), [0, 0, 1, 1])

    def test_synthetic_test_split_does_not_depend_on_the_training_counts(self):
        # What lets `evaluate` make the test drawings alone (the preset's score: 200 drawings, seed 0).
        alone, whole = synthetic_data(0, 0, 6, raw_size=96), synthetic_data(5, 3, 6, raw_size=96)
        self.assertEqual(alone.test.filenames.tolist(), whole.test.filenames.tolist())
        self.assertEqual(alone.test.grades.tolist(), whole.test.grades.tolist())
        self.assertTrue((alone.test.images == whole.test.images).all())
