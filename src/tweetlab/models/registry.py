"""The family registry: a plain dict from family name to ``module:Class``.

Families are imported on first use so that ``tweetlab info`` or the ``tfidf`` family do
not pay for importing torch.

>>> sorted(FAMILIES)
['bow-mlp', 'cnn', 'distill', 'embed-lr', 'fasttext', 'image-cnn', 'lstm', 'tfidf', 'transformer']
>>> get_family("tfidf").__name__
'TfidfClassifier'
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError

if TYPE_CHECKING:  # the families import the contract, not the registry
    from .base import Classifier

FAMILIES: dict[str, str] = {
    "tfidf": "tweetlab.models.tfidf:TfidfClassifier",
    "bow-mlp": "tweetlab.models.bow_mlp:BowMLPClassifier",
    "fasttext": "tweetlab.models.fasttext:FastTextClassifier",
    "image-cnn": "tweetlab.models.image_cnn:ImageCNNClassifier",
    "lstm": "tweetlab.models.lstm:LSTMClassifier",
    "cnn": "tweetlab.models.cnn:CNNClassifier",
    "transformer": "tweetlab.models.transformer:TransformerClassifier",
    "embed-lr": "tweetlab.models.embed_lr:EmbedLRClassifier",
    "distill": "tweetlab.models.distill:DistillClassifier",
}


def get_family(name: str) -> type[Classifier]:
    """The class of family ``name``; a clear error lists the known names."""
    try:
        target = FAMILIES[name]
    except KeyError:
        raise ConfigError(
            f"unknown model family {name!r}; choose one of {', '.join(sorted(FAMILIES))}"
        ) from None
    module, _, cls = target.partition(":")
    return getattr(import_module(module), cls)


def create(name: str, **params: Any) -> Classifier:
    """An unfitted model of family ``name``; ``params`` set config fields.

    >>> create("fasttext", dim=32).config.dim
    32
    """
    return get_family(name)(**params)
