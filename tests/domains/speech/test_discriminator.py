"""MPD and MSD: HiFi-GAN's parameter count, the period folding, the output structure."""

import numpy as np
import tensorflow as tf

from core.testing import TestCase
from domains.speech.discriminator import (
    PeriodFold,
    build_discriminators,
    build_multi_period_discriminator,
    build_multi_scale_discriminator,
)


class DiscriminatorTest(TestCase):
    def test_mpd_parameter_count_and_structure(self):
        self.assertEqual(build_multi_period_discriminator().count_params(), 41_105_770)  # HiFi-GAN's MPD
        mpd = build_multi_period_discriminator(periods=(2, 3), channels=(2, 4, 4, 4, 4))
        outputs = mpd(np.zeros((2, 401), "float32"))
        self.assertEqual(sorted(outputs), ["period_2", "period_3"])
        self.assertEqual(len(outputs["period_3"]), 6)  # five feature maps, then the score
        self.assertEqual(tuple(outputs["period_3"][-1].shape[2:]), (3, 1))

    def test_period_fold_reflect_pads_the_end(self):
        folded = PeriodFold(3)(np.arange(1, 8, dtype="float32")[None]).numpy()
        self.assertAllClose(folded[0, :, :, 0], [[1, 2, 3], [4, 5, 6], [7, 6, 5]])

    def test_msd_scales_and_saving(self):
        msd = build_multi_scale_discriminator(scales=2, channels=(16,) * 7)
        x = np.random.default_rng(0).normal(size=(2, 800)).astype("float32")
        outputs = msd(x)
        self.assertEqual(type(msd.get_layer("msd_s0_conv0_sn")).__name__, "SpectralNormalization")
        self.assertEqual(type(msd.get_layer("msd_s1_conv0_wn")).__name__, "WeightNormalization")
        self.assertEqual(sorted(outputs), ["scale_0", "scale_1"])
        self.assertEqual(outputs["scale_0"][-1].shape[1], 800 // 64 + 1)  # strides 2·2·4·4
        self.run_model_saving_test(msd, tf.constant(x), atol=1e-5)  # a tensor: called, not traced by predict
        with self.assertRaisesRegex(ValueError, "7 convolutions"):
            build_multi_scale_discriminator(channels=(16, 16))

    def test_scaled_discriminators_keep_the_msd_groups(self):
        small = build_discriminators(periods=(2, 3), scales=2, width=0.125)
        self.assertEqual(sorted(small), ["mpd", "msd"])
        self.assertEqual(sorted(small["mpd"].output), ["period_2", "period_3"])
        self.assertEqual(small["mpd"].get_layer("mpd_p2_conv0_wn").output.shape[-1], 4)  # 32 / 8
        # MSD widths are multiples of 16 (its groups), at least 16: 128 / 8 = 16, 256 / 8 = 32, 1024 / 8 = 128.
        self.assertEqual([small["msd"].get_layer(f"msd_s1_conv{i}_wn").output.shape[-1] for i in range(7)],
                         [16, 16, 32, 64, 128, 128, 128])
        tiny = build_discriminators(periods=(2,), scales=1, width=1 / 64)
        self.assertEqual(tiny["msd"].get_layer("msd_s0_conv1_sn").output.shape[-1], 16)
        with self.assertRaisesRegex(ValueError, "width must be positive. Received: width=0"):
            build_discriminators(width=0)
