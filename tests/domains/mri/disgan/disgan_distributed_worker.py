"""Tiny DISGAN fits run in a fresh process by test_disgan_distribute.py.

The CPU is split into 2 logical devices first (possible only before TensorFlow initialises);
the same tiny model is then trained on one device (default strategy) and under a
MirroredStrategy over /cpu:0 and /cpu:1, from the same initial weights and batches.
Prints one JSON line: the histories of both runs.
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from core.training import get_strategy, split_cpu  # noqa: E402

split_cpu(2)

from domains.mri.disgan import (  # noqa: E402
    DISGAN,
    InstanceNoiseSchedule,
    build_discriminator,
    build_feature_extractor,
    build_generator,
)

out = sys.argv[1]
rng = np.random.default_rng(0)
hr = rng.normal(size=(4, 16, 16, 16, 1)).astype("float32")  # 8^3 -> 16^3 patches
lr = hr[:, ::2, ::2, ::2]
data = tf.data.Dataset.from_tensor_slices((lr, hr)).batch(4)  # one step per epoch; global batch 4: 2 per replica


def run(name):
    strategy = get_strategy(name)
    keras.utils.set_random_seed(0)
    with strategy.scope():
        model = DISGAN(
            build_generator(filters=8, num_rrdb=1),
            build_discriminator(filters=4, num_levels=3),
            build_feature_extractor(widths=(4, 4, 8, 8)),
        )
        model.compile()
    history = model.fit(data, epochs=2, verbose=0, callbacks=[InstanceNoiseSchedule(2)])
    model.save(os.path.join(out, f"{name}.keras"))
    restored = keras.saving.load_model(os.path.join(out, f"{name}.keras"))
    same = float(np.abs(restored.predict(lr[:2], verbose=0) - model.predict(lr[:2], verbose=0)).max())
    return {"replicas": strategy.num_replicas_in_sync, "history": history.history,
            "noise": float(model.noise_stddev.numpy()), "reload_max_diff": same}


print(json.dumps({"default": run("default"), "mirrored": run("mirrored")}))
