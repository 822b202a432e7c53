"""Fundus data: the public sets' on-disk layouts, the paper's split, synthetic data, the tf.data pipeline."""

from domains.fundus.data.pipeline import (
    FundusData,
    FundusSplit,
    dataset,
    decode_image,
    preprocessed_images,
    synthetic_data,
)
from domains.fundus.data.public import (
    FORMATS,
    apply_global_split,
    load_fundus,
    read_all,
    read_aptos,
    read_ddr,
    read_eyepacs,
    read_global_split,
    read_idrid,
    read_messidor2,
    split_by_patient,
)

__all__ = ["FORMATS", "FundusData", "FundusSplit", "apply_global_split", "dataset", "decode_image", "load_fundus",
           "preprocessed_images", "read_all", "read_aptos", "read_ddr", "read_eyepacs", "read_global_split", "read_idrid",
           "read_messidor2", "split_by_patient", "synthetic_data"]
