"""Reading tweet datasets, splitting them and checking splits for leakage."""

from .dataset import KNOWN_COLUMNS, Dataset, SkippedRow
from .images import ImageDataset, is_pixel_file, load_images
from .readers import FORMATS, DatasetPieces, iter_dataset, load_dataset
from .splits import SPLITS, LeakageReport, check_leakage, choose_split, parse_dates, split_dataset

__all__ = [
    "FORMATS",
    "KNOWN_COLUMNS",
    "SPLITS",
    "Dataset",
    "DatasetPieces",
    "ImageDataset",
    "LeakageReport",
    "SkippedRow",
    "check_leakage",
    "is_pixel_file",
    "iter_dataset",
    "load_images",
    "choose_split",
    "load_dataset",
    "parse_dates",
    "split_dataset",
]
