"""A TensorFlow Datasets builder for the public DR sets, read from a manual download.

No DR set can be downloaded by resuite: unpack yours and pass the folder as `manual_dir`. One
config per layout of `domains.fundus.data.public` (`eyepacs`, `aptos`, `messidor2`, `idrid`,
`ddr`); the splits are `load_fundus`'s (official where the set has them, else by patient, seed
0). Images are stored as they are on disk (re-encoded only if not JPEG/PNG); preprocess them
with `domains.fundus.preprocessing.preprocess` in your pipeline. Importing this module imports
`tensorflow_datasets` (slow), which is why nothing else imports it.

Example:
```python
# example: not run (needs your copy of a data set)
import tensorflow_datasets as tfds
from domains.fundus.tfds import FundusDR
builder = FundusDR(config="aptos", data_dir="~/tensorflow_datasets")
builder.download_and_prepare(download_config=tfds.download.DownloadConfig(manual_dir="~/data/aptos2019"))
train = builder.as_dataset(split="train")   # {"image", "name", "grade", "referable", "patient"}
```
"""

import tensorflow_datasets as tfds

from domains.fundus.data.public import FORMATS, load_fundus
from domains.fundus.synthetic import GRADE_NAMES

__all__ = ["FundusDR"]

_LAYOUT = (
    "eyepacs: trainLabels.csv + train/*.jpeg (and retinopathy_solution.csv + test/*.jpeg); "
    "aptos: train.csv + train_images/*.png; messidor2: messidor_data.csv + IMAGES/; "
    "idrid: 'B. Disease Grading/1. Original Images/...' + '2. Groundtruths/...csv'; "
    "ddr: DR_grading/{train,valid,test}.txt + DR_grading/{train,valid,test}/"
)


class FundusDR(tfds.core.GeneratorBasedBuilder):
    """Colour fundus photographs with their ICDR grade, referable label (grade >= 2) and patient.

    Args:
        config: str. The layout: one of "eyepacs", "aptos", "messidor2", "idrid", "ddr".
        data_dir: str. Where the prepared TFRecords go (TFDS `data_dir`).
        **kwargs: other `tfds.core.GeneratorBasedBuilder` arguments.
    """

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "The layouts of EyePACS, APTOS 2019, Messidor-2, IDRiD and DDR."}
    BUILDER_CONFIGS = [tfds.core.BuilderConfig(name=name, description=f"The {name} layout.") for name in FORMATS]
    MANUAL_DOWNLOAD_INSTRUCTIONS = f"""\
    Download the data set from its publisher (Kaggle for EyePACS and APTOS 2019, ADCIS for
    Messidor-2 with Krause et al.'s adjudicated grades, IEEE DataPort for IDRiD, the DDR
    repository), unpack it, and pass that folder as `manual_dir`. Expected layouts: {_LAYOUT}
    """

    def _info(self):
        return tfds.core.DatasetInfo(
            builder=self,
            description="Colour fundus photographs graded for diabetic retinopathy (ICDR 0-4).",
            features=tfds.features.FeaturesDict({
                "image": tfds.features.Image(shape=(None, None, 3)),
                "name": tfds.features.Text(),
                "grade": tfds.features.ClassLabel(names=list(GRADE_NAMES)),
                "referable": tfds.features.ClassLabel(names=["non-referable", "referable"]),
                "patient": tfds.features.Text(),
            }),
            supervised_keys=("image", "referable"),
        )

    def _split_generators(self, dl_manager):
        data = load_fundus(dl_manager.manual_dir, self.builder_config.name, seed=0)
        return {name: self._generate_examples(getattr(data, name))
                for name in ("train", "validation", "test") if len(getattr(data, name))}

    def _generate_examples(self, split):
        for i in range(len(split)):
            yield str(split.filenames[i]), {"image": str(split.paths[i]), "name": str(split.filenames[i]),
                                            "grade": int(split.grades[i]), "referable": int(split.labels[i]),
                                            "patient": str(split.patients[i])}
