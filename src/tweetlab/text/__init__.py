"""Tweet text: normalisation, tokenisation, stemming and vocabularies."""

from ..config import CleaningConfig
from .normalize import normalize, normalize_many
from .stem import stem
from .tokenize import TokenIds, tokenize
from .vocab import Vocabulary

__all__ = ["CleaningConfig", "TokenIds", "Vocabulary", "normalize", "normalize_many", "stem", "tokenize"]
