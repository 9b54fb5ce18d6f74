"""tweetlab: train, compare, serve and use neural networks on tweets.

>>> import tweetlab
>>> ds = tweetlab.Dataset(texts=["good", "great", "bad", "awful"] * 4,
...                       labels=["pos", "pos", "neg", "neg"] * 4)
>>> model = tweetlab.train(ds, model="tfidf", valid_size=0)
>>> model.predict(["great"])
['pos']
"""

from importlib import import_module

from ._version import __version__
from .analysis import analyze
from .api import (
    evaluate,
    iter_predictions,
    load,
    predict_file,
    predict_table,
    score_frame,
    train,
)
from .config import CleaningConfig, TrainConfig
from .data import Dataset, check_leakage, load_dataset, split_dataset
from .errors import DataError, ModelError, TweetlabError
from .explanation import explain
from .models import FAMILIES, create, load_model, save_model
from .text import normalize

_LAZY = {"compare": "comparison", "TweetGenerator": "generation", "load_generator": "generation",
         "train_generator": "generation", "update_generator": "generation",
         "compare_generators": "comparison", "tune": "tuning"}


def __getattr__(name: str) -> object:
    # Generation needs torch; importing it only when asked keeps `import tweetlab` light.
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'tweetlab' has no attribute {name!r}")


__all__ = [
    "FAMILIES",
    "CleaningConfig",
    "DataError",
    "Dataset",
    "ModelError",
    "TrainConfig",
    "TweetGenerator",
    "TweetlabError",
    "__version__",
    "analyze",
    "check_leakage",
    "compare",
    "compare_generators",
    "create",
    "evaluate",
    "explain",
    "iter_predictions",
    "load",
    "load_dataset",
    "load_generator",
    "load_model",
    "normalize",
    "predict_file",
    "predict_table",
    "save_model",
    "score_frame",
    "split_dataset",
    "train",
    "train_generator",
    "tune",
    "update_generator",
]
