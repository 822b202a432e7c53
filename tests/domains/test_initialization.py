"""Every headline model starts with distinct weights: no two of its weight tensors are equal.

A Keras 3 initializer seeded with an int (or unseeded) returns the *same* values at every call,
so one instance shared by several layers starts them as copies of each other (issue 28: a
paper-size DISGAN generator had 50 weight tensors but 8 distinct). Each model is built at a
small configuration that still has several layers of the same shape, with its package's
exported class, and run once so that every weight exists. Tensors constant by design (zero
biases, batch-norm gamma/beta and moving statistics, a zero-initialised last layer) are left
out: they are equal on purpose.
"""

import numpy as np
from absl.testing import parameterized

from core.testing import TestCase


def _har():
    from domains.har import FusionActNet

    model = FusionActNet(expert_filters=(8, 8, 8, 8, 8), gate_stem_filters=8, gate_stages=((8, 2), (8, 2)))
    model(np.zeros((1, 128, model.num_channels), "float32"))
    return {"FusionActNet": model}


def _disgan():
    from domains.mri.disgan import DISGAN, build_discriminator, build_generator

    model = DISGAN(build_generator(filters=8, num_rrdb=2, num_dense_blocks=2, num_convs=3),
                   build_discriminator(filters=4, num_levels=3), feature_extractor=None)
    return {"DISGAN generator": model.generator, "DISGAN discriminator": model.discriminator}


def _disgan_seeded():
    from domains.mri.disgan import build_discriminator, build_generator

    return {"DISGAN generator (seed 3)": build_generator(filters=8, num_rrdb=2, num_dense_blocks=2, num_convs=3,
                                                         global_residual=True, seed=3),
            "DISGAN discriminator (torch init, seed 3)": build_discriminator(filters=4, num_levels=3,
                                                                             kernel_initializer="torch", seed=3)}


def _ssim():
    from domains.mri import SSIMRegressor

    model = SSIMRegressor(slice_size=32, width=8)
    model(np.zeros((1, 32, 32, 1), "float32"))
    return {"SSIMRegressor": model}


def _fundus():
    from domains.fundus import DRClassifier

    model = DRClassifier(image_size=32, width=8)
    model(np.zeros((1, 32, 32, 3), "float32"))
    return {"DRClassifier": model}


def _lamost():
    from domains.lamost import RRNet

    model = RRNet(widths=(4, 4, 4), rnn_steps=4)
    model(np.zeros((1, 7200, 2), "float32"))
    return {"RRNet": model}


def _aramaic():
    from domains.aramaic import AramaicClassifier

    model = AramaicClassifier(image_size=32, width=8)
    model(np.zeros((1, 32, 32, 3), "float32"))
    return {"AramaicClassifier": model}


def _speech():
    from domains.speech import APNet
    from domains.speech.discriminator import build_discriminators
    from domains.speech.generator import build_generator

    model = APNet(build_generator(channels=16), build_discriminators(width=0.0625))
    return {"APNet generator": model.generator,
            **{f"APNet {name}": network for name, network in model.discriminator.items()}}


BUILDERS = [("har", _har), ("mri_disgan", _disgan), ("mri_disgan_seeded", _disgan_seeded), ("mri_quality", _ssim),
            ("fundus", _fundus), ("lamost", _lamost), ("aramaic", _aramaic), ("speech", _speech)]


def equal_pairs(model):
    """Names of the pairs of equal weight tensors of `model`, constant tensors left out."""
    seen, pairs = {}, []
    for weight in model.weights:
        values = np.asarray(weight.numpy())
        if values.size < 2 or np.all(values == values.flat[0]):
            continue  # constant by design: zero biases, BN gamma/beta and statistics
        key = (values.shape, values.tobytes())
        if key in seen:
            pairs.append((seen[key], weight.path))
        else:
            seen[key] = weight.path
    return pairs


class InitializationTest(TestCase):
    def test_equal_pairs_sees_a_shared_initializer(self):
        # The failure this module guards against: one int-seeded instance shared by two layers.
        import keras

        init = keras.initializers.VarianceScaling(seed=1)
        inputs = keras.Input((4,))
        x = keras.layers.Dense(4, kernel_initializer=init)(inputs)
        model = keras.Model(inputs, keras.layers.Dense(4, kernel_initializer=init)(x))
        self.assertLen(equal_pairs(model), 1)

    @parameterized.named_parameters(*BUILDERS)
    def test_no_two_weight_tensors_are_equal(self, build):
        for name, model in build().items():
            tensors = [w for w in model.weights if np.asarray(w.numpy()).size > 1]
            self.assertGreater(len(tensors), 4, name)
            self.assertEqual(equal_pairs(model), [], f"{name}: weight tensors start equal")
