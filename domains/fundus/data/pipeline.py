"""Fundus data in memory or on disk, and its `tf.data` pipeline (decode, preprocess, cache, augment).

`FundusSplit` holds one split: either in-memory photographs (`images`, uint8) or file `paths`,
with per-image ICDR `grades` (or -1 where a set gives only referable / not), `labels`
(referable = grade >= 2), `filenames` ("Dataset/imageid") and `patients`. `FundusData` holds the
train / validation / test splits; `synthetic_data` makes one from the SYNTHETIC generator.

`dataset(split, size, ...)` decodes (from files), preprocesses (FOV crop, Graham, resize) and
caches once, then shuffles and augments per epoch in training.

Example:
```python
from domains.fundus.data import dataset, synthetic_data
data = synthetic_data(train=32, validation=8, test=8, raw_size=256, seed=0)
train = dataset(data.train, size=128, radius=64, batch_size=8, training=True, seed=0)
```
"""

import dataclasses

import numpy as np
import tensorflow as tf

from core.data.pipeline import make_pipeline
from domains.fundus.preprocessing import GRAHAM_RADIUS, augment, preprocess
from domains.fundus.synthetic import referable, synthetic_fundus_set


@dataclasses.dataclass
class FundusSplit:
    """One split: `images` (uint8 `(N, H, W, 3)`) or `paths`, and `grades`, `labels`, `filenames`, `patients`."""

    grades: np.ndarray
    labels: np.ndarray
    filenames: np.ndarray
    images: np.ndarray = None
    paths: np.ndarray = None
    patients: np.ndarray = None

    def __post_init__(self):
        if (self.images is None) == (self.paths is None):
            raise ValueError("A FundusSplit holds either images or paths")
        if self.patients is None:
            self.patients = np.asarray(self.filenames)

    def __len__(self):
        return len(self.labels)

    def summary(self):
        """{"n", "referable", "grades": counts of 0..4 (and -1: unknown)}."""
        grades, counts = np.unique(self.grades, return_counts=True)
        return {"n": len(self), "referable": int(np.sum(self.labels)),
                "grades": {int(g): int(c) for g, c in zip(grades, counts)}}


@dataclasses.dataclass
class FundusData:
    """train / validation / test `FundusSplit`s, where they came from, and whether they are synthetic."""

    train: FundusSplit
    validation: FundusSplit
    test: FundusSplit
    source: str
    synthetic: bool = False

    def summary(self):
        return {name: getattr(self, name).summary() for name in ("train", "validation", "test")}


def synthetic_data(train=160, validation=40, test=80, raw_size=256, seed=0):
    """A `FundusData` of SYNTHETIC photographs (`domains.fundus.synthetic`), grades balanced.

    Args:
        train, validation, test: int. Images per split. Defaults to 160, 40, 80.
        raw_size: int. Side of the drawn photographs. Defaults to 256.
        seed: int. The three splits use seeds seed, seed + 1, seed + 2. Defaults to 0.
    """
    splits = []
    for offset, (name, count) in enumerate((("train", train), ("validation", validation), ("test", test))):
        images, grades = synthetic_fundus_set(count, raw_size, seed=seed + offset)
        filenames = np.array([f"Synthetic/{name}_{i:05d}" for i in range(count)])
        splits.append(FundusSplit(grades=grades, labels=referable(grades), filenames=filenames, images=images))
    return FundusData(*splits, source=f"synthetic (seed {seed}, {raw_size} px)", synthetic=True)


def decode_image(path):
    """Read and decode one JPEG/PNG/BMP/GIF file in the graph, as uint8 `(H, W, 3)`."""
    return tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)


def dataset(split, size, batch_size, training=False, num_classes=2, radius=GRAHAM_RADIUS, seed=None,
            augmentation=None, repeat=None):
    """The `tf.data` pipeline of a split: `(image in [0, 1], label)` batches.

    Args:
        split: FundusSplit.
        size: int. Side of the model's input.
        batch_size: int.
        training: bool. Shuffle, repeat and augment (`preprocessing.augment`). Defaults to False.
        num_classes: int. 2: labels are referable (0/1); 5: the ICDR grades. Defaults to 2.
        radius: int. Graham's radius (`preprocess`). Defaults to 300.
        seed: int or None. Shuffle seed; augmentation seeds come from TF's global seed. Defaults to None.
        augmentation: dict or None. Overrides of `preprocessing.AUGMENTATION`. Defaults to None.
        repeat: bool or None. None follows `training`.
    """
    targets = split.labels if num_classes == 2 else split.grades
    if num_classes == 5 and np.any(np.asarray(targets) < 0):
        raise ValueError("5-grade training needs ICDR grades; this split has images with referable labels only")
    if split.images is not None:
        source = (split.images, np.asarray(targets, "int32"))

        def load(image, label):
            return preprocess(image, size, radius=radius), label
    else:
        source = (np.asarray(split.paths, str), np.asarray(targets, "int32"))

        def load(path, label):
            return preprocess(decode_image(path), size, radius=radius), label

    def random_augment(image, label):
        element_seed = tf.random.uniform([2], maxval=2 ** 31 - 1, dtype=tf.int64)
        return augment(image, element_seed, augmentation), label

    return make_pipeline(source, batch_size, training=training, cache=True, map_fn=load,
                         augment_fn=random_augment, seed=seed, repeat=training if repeat is None else repeat)


def preprocessed_images(split, size, radius=GRAHAM_RADIUS, batch_size=16):
    """Every image of a split preprocessed (no augmentation), float32 `(N, size, size, 3)`."""
    batches = [x for x, _ in dataset(split, size, batch_size, training=False, radius=radius)]
    return np.concatenate([np.asarray(b) for b in batches]) if batches else np.zeros((0, size, size, 3), "float32")
