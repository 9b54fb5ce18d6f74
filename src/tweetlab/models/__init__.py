"""Model families behind one contract (:class:`TextClassifier`) and a registry."""

from .base import NEUTRAL, Classifier, TextClassifier
from .io import load_model, save_model
from .registry import FAMILIES, create, get_family

__all__ = ["FAMILIES", "NEUTRAL", "Classifier", "TextClassifier", "create", "get_family",
           "load_model", "save_model"]
