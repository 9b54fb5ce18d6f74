"""Model families behind one contract (:class:`TextClassifier`) and a registry."""

from .base import NEUTRAL, Classifier, TextClassifier
from .registry import FAMILIES, create, get_family

__all__ = ["FAMILIES", "NEUTRAL", "Classifier", "TextClassifier", "create", "get_family"]
