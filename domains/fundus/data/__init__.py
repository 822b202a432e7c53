"""Fundus data: the public sets' on-disk layouts, the paper's split, synthetic data, the tf.data pipeline."""

from domains.fundus.data.pipeline import (
    FundusData,
    FundusSplit,
    dataset,
    decode_image,
    preprocessed_images,
    synthetic_data,
)

__all__ = ["FundusData", "FundusSplit", "dataset", "decode_image", "preprocessed_images", "synthetic_data"]
