"""domains.fundus.tfds: the TFDS builder reads a public set from its manual folder."""

import pathlib

from core.testing import TestCase
from domains.fundus.data import load_fundus

FIXTURES = pathlib.Path(__file__).parent / "data" / "fixtures"


class FundusDRBuilderTest(TestCase):
    def test_tfds_builder_reads_manual_dir(self):
        tmp_path = pathlib.Path(self.get_temp_dir())
        import tensorflow_datasets as tfds

        from domains.fundus.tfds import FundusDR

        tfds.disable_progress_bar()
        builder = FundusDR(config="idrid", data_dir=str(tmp_path))
        builder.download_and_prepare(download_config=tfds.download.DownloadConfig(
            manual_dir=str(FIXTURES / "idrid"), try_download_gcs=False))
        data = load_fundus(FIXTURES / "idrid", "idrid")
        test = list(tfds.as_numpy(builder.as_dataset(split="test")))
        self.assertEqual(sorted(e["name"].decode() for e in test), sorted(data.test.filenames.tolist()))
        example = next(e for e in test if e["name"] == b"IDRID/IDRiD_414")
        self.assertEqual(example["image"].shape, (48, 48, 3))
        self.assertEqual(example["grade"], 3)
        self.assertEqual(example["referable"], 1)
