"""Letter images for training and evaluation: the synthetic streams and folders of real crops.

- `synthetic_splits`: training, validation and test streams of `AramaicSynth` with separate
  seeds (the test split also with harder damage), batched for `model.fit`; `synthetic_test_split`
  the test split alone (what `evaluate` scores).
- `load_letter_folder`: a folder of letter images in the paper's layout, one sub-folder per
  class (`train/Alef/*.png`, ..., names of `letters.CLASS_NAMES`; case, spaces and underscores
  ignored, so `No_Letter` works), e.g. real crops of an inscription, or `AramaicSynth.export_folder`.
- `load_images`: image files for `predict`, with a clear error for an unreadable, empty or too small
  file (`min_image_side`).

Images reach the model as float32 RGB in [0, 1], `image_size × image_size`.

Example:
```python
from domains.aramaic.data import synthetic_splits
splits = synthetic_splits(image_size=64, batch_size=32, val_examples=230, test_examples=230)
images, labels = next(iter(splits.train))   # (32, 64, 64, 3) float32, (32,) int64
```
"""

import dataclasses
import pathlib

import numpy as np
import tensorflow as tf

from core.data.files import expand_paths
from domains.aramaic.letters import CLASS_NAMES, class_index
from domains.aramaic.synth import AramaicSynth

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
# Stream seeds of the splits (combined with the run's seed): the test split never shares an
# example with the others.
SPLIT_STREAMS = {"train": 0, "val": 1, "test": 2}
TEST_SEVERITY = (0.3, 1.0)  # the test split: unseen seeds and harder damage


@dataclasses.dataclass
class SyntheticSplits:
    """Synthetic letter data for training and evaluation.

    Attributes:
        train: endless `tf.data.Dataset` of batches `(images float32, labels)` (new examples for ever).
        val: tuple `(images float32 (N, S, S, 3), labels (N,), params (N, 5))`, fixed.
        test: the same, from the test stream (harder damage).
        synth: the training `AramaicSynth`; `test_synth`: the test split's.
        seeds: dict split → stream seed.
    """

    train: tf.data.Dataset
    val: tuple
    test: tuple
    synth: AramaicSynth
    test_synth: AramaicSynth
    seeds: dict


def to_float(images):
    """uint8 images → float32 in [0, 1] (NumPy or TensorFlow)."""
    if isinstance(images, np.ndarray):
        return images.astype("float32") / 255.0
    return tf.cast(images, tf.float32) / 255.0


def split_seed(seed, split):
    """The stream seed of `split` ("train", "val", "test") for the run seed `seed`."""
    return (int(seed), SPLIT_STREAMS[split])


def synthetic_splits(image_size=64, batch_size=64, val_examples=1150, test_examples=2300, seed=0,
                     severity=(0.0, 0.8), test_severity=TEST_SEVERITY, fonts=None, start=0, **synth_options):
    """Training stream and fixed validation and test sets of synthetic letters.

    Args:
        image_size: int. Side of the images. Defaults to 64.
        batch_size: int. Training batch size. Defaults to 64.
        val_examples: int. Validation examples (50 per class by default). Defaults to 1150.
        test_examples: int. Test examples (100 per class). Defaults to 2300.
        seed: int. The run's seed; each split has its own stream (`split_seed`). Defaults to 0.
        severity: (low, high). Damage of training and validation. Defaults to (0.0, 0.8).
        test_severity: (low, high). Damage of the test split. Defaults to (0.3, 1.0).
        fonts: fonts for `AramaicSynth` (default: the sample font).
        start: int. First training example (a resumed run may continue the stream). Defaults to 0.
        **synth_options: other `AramaicSynth` settings (rotation, elevation, ...).
    """
    synth = AramaicSynth(image_size=image_size, fonts=fonts, severity=severity, **synth_options)
    seeds = {split: split_seed(seed, split) for split in SPLIT_STREAMS}
    train = (synth.dataset(seeds["train"], start=start)
             .batch(batch_size, drop_remainder=True)
             .map(lambda images, labels: (to_float(images), labels), num_parallel_calls=tf.data.AUTOTUNE)
             .prefetch(tf.data.AUTOTUNE))
    val = synth.arrays(val_examples, seed=seeds["val"])
    test_synth, test = synthetic_test_split(image_size, test_examples, seed, test_severity, fonts, **synth_options)
    return SyntheticSplits(train, (to_float(val[0]), *val[1:]), test, synth, test_synth, seeds)


def synthetic_test_split(image_size=64, test_examples=2300, seed=0, test_severity=TEST_SEVERITY, fonts=None,
                         **synth_options):
    """The synthetic test split alone (what `synthetic_splits(...).test` holds, without rendering the others).

    Args:
        image_size: int. Side of the images. Defaults to 64.
        test_examples: int >= 1. Test examples (100 per class). Defaults to 2300.
        seed: int. The run's seed (the test stream is `split_seed(seed, "test")`). Defaults to 0.
        test_severity: (low, high). Damage of the test split. Defaults to (0.3, 1.0).
        fonts: fonts for `AramaicSynth` (default: the sample font).
        **synth_options: other `AramaicSynth` settings (rotation, min_legibility, ...).

    Returns:
        `(test_synth, (images float32 (N, S, S, 3), labels (N,), params (N, 5)))`.

    Example:
    ```python
    synth, (images, labels, params) = synthetic_test_split(image_size=64, test_examples=46)
    ```
    """
    if not isinstance(test_examples, (int, np.integer)) or test_examples < 1:
        raise ValueError(f"test_examples must be an integer >= 1. Received: test_examples={test_examples!r}")
    test_synth = AramaicSynth(image_size=image_size, fonts=fonts, severity=test_severity, **synth_options)
    images, labels, params = test_synth.arrays(test_examples, seed=split_seed(seed, "test"))
    return test_synth, (to_float(images), labels, params)


def min_image_side(image_size):
    """The shortest side an image may have for a model of `image_size`: a quarter of it (16 px for 64).

    A smaller crop would be enlarged more than 4× to the model's input: its strokes are then
    invented by the interpolation (a 1×1 "image" becomes a flat square that still gets a letter).

    Example:
    ```python
    min_image_side(64)   # 16
    ```
    """
    return max(1, image_size // 4)


def read_image(path, image_size):
    """One image file as float32 RGB `(image_size, image_size, 3)` in [0, 1].

    Grey or palette images become RGB; other sizes are resized (bilinear, the whole image: crops
    should hold one letter, roughly centred). The shorter side must be at least
    `min_image_side(image_size)` pixels.

    Raises:
        FileNotFoundError: no such file.
        ValueError: an empty file, one that is not an image Pillow can read, or one too small for
            the model (naming the file).
    """
    from PIL import Image, UnidentifiedImageError

    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such image file")
    if path.stat().st_size == 0:
        raise ValueError(f"{path}: the image file is empty (0 bytes)")
    try:
        with Image.open(path) as image:
            image = image.convert("RGB")
            if min(image.size) == 0:
                raise ValueError(f"{path}: the image has no pixels. Received: size={image.size}")
            if min(image.size) < min_image_side(image_size):
                raise ValueError(f"{path}: image too small for this model: {image.size[0]}×{image.size[1]} px; the "
                                 f"shorter side must be at least {min_image_side(image_size)} px (a quarter of the "
                                 f"model's {image_size}-px input). Received: size={image.size}")
            image = image.resize((image_size, image_size), Image.BILINEAR)
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise ValueError(f"{path}: not a readable image ({type(error).__name__}: {error}). "
                         f"Expected one of {', '.join(IMAGE_SUFFIXES)}") from None
    return np.asarray(image, dtype="float32") / 255.0


def load_images(paths, image_size):
    """Image files and folders of them (sorted) → `(images (N, S, S, 3), list of paths)`; all read first."""
    files = expand_paths(paths, IMAGE_SUFFIXES, "images")
    images = np.stack([read_image(path, image_size) for path in files]) if files else np.zeros(
        (0, image_size, image_size, 3), "float32")
    return images, files


def load_letter_folder(root, image_size=64):
    """A folder with one sub-folder per class (`CLASS_NAMES`) → `(images, labels, paths)`.

    Args:
        root: str or Path, e.g. `crops/test` holding `Alef/`, `Bet/`, ..., `No Letter/` (any subset).
        image_size: int. Side the images are resized to. Defaults to 64.

    Returns:
        images float32 `(N, S, S, 3)` in [0, 1], labels int64 `(N,)`, list of N paths.

    Raises:
        FileNotFoundError: no such folder.
        ValueError: a sub-folder whose name is not a class (naming it and listing the classes), no
            image at all, an empty or unreadable image (naming the file).
    """
    root = pathlib.Path(root).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such folder (expected one sub-folder per letter: "
                                f"{', '.join(CLASS_NAMES)})")
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    unknown = []
    labelled = []
    for folder in folders:
        try:
            labelled.append((class_index(folder.name), folder))
        except ValueError:
            unknown.append(folder.name)
    if unknown:
        raise ValueError(f"{root}: sub-folders {unknown} are not letter names. Expected folders named after the "
                         f"classes: {', '.join(CLASS_NAMES)}. Received: {', '.join(sorted(unknown))}")
    images, labels, paths = [], [], []
    for label, folder in labelled:
        files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
        for path in files:
            if path.suffix.lower() not in IMAGE_SUFFIXES:
                raise ValueError(f"{path}: not an image file. Expected one of {', '.join(IMAGE_SUFFIXES)}")
            images.append(read_image(path, image_size))
            labels.append(label)
            paths.append(path)
    if not images:
        raise ValueError(f"{root}: no images found (expected <letter>/<image> files, e.g. {root}/Alef/1.png)")
    return np.stack(images), np.array(labels, "int64"), paths
