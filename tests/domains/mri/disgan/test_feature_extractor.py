import logging

import numpy as np
import pytest
import tensorflow as tf

from core.testing import TestCase
from domains.mri.disgan.feature_extractor import NO_WEIGHTS_WARNING, build_feature_extractor, extract_features

FE_WIDTHS = (4, 4, 8, 8)


class FeatureExtractorTest(TestCase):
    def test_medicalnet_layout_frozen_and_warns_without_weights(self):
        with self.assertLogs("domains.mri.disgan.feature_extractor", logging.WARNING) as logs:
            extractor = build_feature_extractor()
        self.assertIn(NO_WEIGHTS_WARNING, logs.output[0])
        self.assertIn("cannot be downloaded", logs.output[0])
        self.assertFalse(extractor.trainable)
        self.assertEqual(extractor.trainable_weights, [])
        self.assertEqual((extractor.depth, extractor.stage_strides, extractor.stage_dilations),
                         (10, (1, 2, 1, 1), (1, 1, 2, 4)))
        self.assertEqual(tuple(extractor(np.zeros((1, 16, 16, 16, 1), "float32")).shape), (1, 2, 2, 2, 512))

    def test_weights_load_from_weights_h5_and_keras_files(self):
        source = build_feature_extractor(widths=FE_WIDTHS)
        for w in source.weights:
            w.assign(np.random.default_rng(0).normal(size=w.shape).astype("float32"))
        folder = self.get_temp_dir()
        source.save_weights(f"{folder}/fe.weights.h5")
        source.save(f"{folder}/fe.keras")
        x = np.random.default_rng(1).normal(size=(1, 16, 16, 16, 1)).astype("float32")
        for path in (f"{folder}/fe.weights.h5", f"{folder}/fe.keras"):
            loaded = build_feature_extractor(path, widths=FE_WIDTHS)
            self.assertAllClose(loaded(x), source(x), atol=1e-5)
            self.assertFalse(loaded.trainable)

    def test_bad_weight_files_are_refused(self):
        folder = self.get_temp_dir()
        with pytest.raises(FileNotFoundError, match="missing.weights.h5"):
            build_feature_extractor(f"{folder}/missing.weights.h5", widths=FE_WIDTHS)
        open(f"{folder}/fe.pth", "w").close()
        with pytest.raises(ValueError, match=r"fe.pth: expected a .weights.h5 or .keras file"):
            build_feature_extractor(f"{folder}/fe.pth", widths=FE_WIDTHS)
        build_feature_extractor(widths=(4, 4, 4, 4)).save_weights(f"{folder}/other.weights.h5")
        with pytest.raises(ValueError, match="do not fit"):
            build_feature_extractor(f"{folder}/other.weights.h5", widths=FE_WIDTHS)

    def test_extract_features_equals_the_batched_call_with_the_same_gradient(self):
        extractor = build_feature_extractor(widths=FE_WIDTHS)
        x = tf.constant(np.random.default_rng(0).normal(size=(3, 16, 16, 16, 1)).astype("float32"))
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            batched = extractor(x, training=False)
            one_by_one = extract_features(extractor, x)
            loss_batched, loss_one_by_one = (tf.reduce_sum(f * f) for f in (batched, one_by_one))
        self.assertEqual(tuple(one_by_one.shape), (3, 2, 2, 2, FE_WIDTHS[-1]))
        self.assertAllClose(one_by_one, batched, atol=1e-5)
        self.assertAllClose(tape.gradient(loss_one_by_one, x), tape.gradient(loss_batched, x), atol=1e-5, rtol=1e-4)
