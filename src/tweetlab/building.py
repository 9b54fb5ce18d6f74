"""``tweetlab build NAME``: train a named model from its recipe (:mod:`tweetlab.recipes`)
into the models home, scored on each source's held-out part.

>>> build("no-such-model", ".")  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
tweetlab.errors.ConfigError: no recipe 'no-such-model'; recipes: ...
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .api import train
from .data import Dataset
from .errors import ConfigError
from .evaluation import held_out_scores
from .persistence import read_metrics, write_metrics
from .recipes import RECIPES, Recipe, models_home, recipe_parts

log = logging.getLogger("tweetlab")


def build(name: str, data: str | Path, out: str | Path | None = None, *, force: bool = False,
          resume: bool = False, overrides: Sequence[str] = (), progress: bool = True) -> Any:
    """Train recipe ``name`` from the files in ``data`` into ``out`` (default: the models
    home, where every command finds it by name), score it on each source's held-out part
    and record those scores in ``metrics.json`` and the model card.
    """
    if name not in RECIPES:
        raise ConfigError(f"no recipe {name!r}; recipes: {', '.join(sorted(RECIPES))}")
    recipe = RECIPES[name]
    target = Path(out) if out is not None else models_home() / name
    train_ds, tests = recipe_parts(recipe, Path(data))
    log.info("%s: %s on %d tweets (%s); about %d minutes on 2 CPU cores", name, recipe.family,
             len(train_ds), ", ".join(f"{k} {v}" for k, v in sorted(train_ds.label_counts().items())),
             recipe.minutes)
    model = train(train_ds, recipe.family, out=target, valid_size=recipe.valid_size,
                  overrides=[f"progress={str(progress).lower()}", *recipe.settings, *overrides],
                  force=force, resume=resume)
    record(recipe, target, model, tests)
    return model


def record(recipe: Recipe, target: Path, model: Any, tests: dict[str, Dataset]) -> None:
    """Write into a trained model folder what its recipe says: the held-out scores of
    each source, the recipe, the command that rebuilds it and the recipe's notes."""
    metrics = read_metrics(target)
    metrics["held_out_test"] = held_out_scores(model, tests)
    metrics["recipe"] = {"name": recipe.name, "sources": [s.file for s in recipe.sources],
                         "held_out": recipe.held_out, "settings": list(recipe.settings)}
    metrics["command"] = f"tweetlab build {recipe.name} --data DATA_FOLDER"
    metrics["trained"] = datetime.now(UTC).strftime("%Y-%m-%d")
    if recipe.notes:
        metrics["notes"] = list(recipe.notes)
    write_metrics(target, metrics)
