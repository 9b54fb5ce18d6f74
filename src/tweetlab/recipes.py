"""Recipes: which labelled files, labels, held-out splits and settings make a named model.

A recipe is the reproducible record of how a bundled model was trained, and the way to
build a model too large to ship (``en-sentiment-accurate``, a fine-tuned MiniLM) on the
user's own machine::

    tweetlab build en-sentiment-accurate --data path/to/data

Each :class:`Source` is one file of ``../shared/data`` (the same names, the same columns),
its labels mapped to the model's, and how its held-out part is cut: ``held_out`` of each
source (10%, seeded, grouped by id where rows share one) is never trained on, and the model
card reports the scores on each part. A source marked ``test_only`` (TweetEval's validation
tweets) is held out whole.

>>> sorted(RECIPES)[:3]
['disaster', 'en-sentiment', 'en-sentiment-accurate']
>>> [s.name for s in RECIPES["en-sentiment-accurate"].sources]
['semeval', 'tweeteval']
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from .data import Dataset, load_dataset, split_dataset
from .data.splits import leak_key
from .errors import DataError

log = logging.getLogger("tweetlab")

# Label maps of the shared files: source label -> model label (None: the row is left out).
THREE = {"negative": "negative", "neutral": "neutral", "positive": "positive"}
TWEETEVAL = {"0": "negative", "1": "neutral", "2": "positive"}
ENTITY = {"Negative": "negative", "Neutral": "neutral", "Positive": "positive", "Irrelevant": None}
SENTIMENT140 = {"0": "negative", "4": "positive"}
TASS = {"N": "negative", "NEU": "mixed", "NONE": "none", "P": "positive"}
TASS_THREE = {"N": "negative", "NONE": "neutral", "P": "positive", "NEU": None}
DISASTER = {"1": "disaster", "0": "not_disaster"}


@dataclass(frozen=True)
class Source:
    """One labelled file of a recipe and how it is split."""

    name: str
    file: str
    labels: Mapping[str, str | None]
    split: str = "stratified"  # or "group" (rows sharing an id stay on one side)
    test_only: bool = False  # held out whole: never trained on
    train: bool = True  # False: only its held-out part is used (a test set of that kind)
    dedupe: bool = False  # drop repeated texts (the entity file has six variants per id)
    skip_bad_rows: bool = False
    keep_entity: bool = False  # train on "[entity] text" (entity-level sentiment)
    max_rows: int | None = None  # a random sample of the training part, to balance sources


@dataclass(frozen=True)
class Recipe:
    """A named model: its sources, family and settings."""

    name: str
    sources: tuple[Source, ...]
    family: str
    settings: tuple[str, ...] = ()
    held_out: float = 0.1  # 0: train on all of each source; test on the test_only ones
    valid_size: float = 0.05
    about: str = ""
    minutes: int = 0  # about how long it trains on 2 CPU cores
    notes: tuple[str, ...] = field(default_factory=tuple)


SEMEVAL = Source("semeval", "semeval_sentiment_train.csv.gz", THREE)
TWEETEVAL_VAL = Source("tweeteval", "tweeteval_sentiment_val.csv.gz", TWEETEVAL, test_only=True)
S140 = Source("sentiment140", "sentiment140_100k.csv.gz", SENTIMENT140)
AIRLINE = Source("airline", "airline_train.csv.gz", THREE)
ENTITY_EN = Source("entity", "twitter_entity_train.csv.gz", ENTITY, split="group", dedupe=True,
                   skip_bad_rows=True)
SENTIRUEVAL = Source("sentirueval", "sentirueval2016_train.csv.gz", THREE, split="group",
                     keep_entity=True)

TASS_ES = Source("tass2019", "tass2019_sentiment_train.csv.gz", TASS)
DISASTER_EN = Source("disaster", "disaster_train.csv.gz", DISASTER)
# The multilingual model's English sources (TweetEval's validation tweets trained on,
# as when it was made: it predates the SemEval file).
TWEETEVAL_TRAINED = Source("tweeteval", "tweeteval_sentiment_val.csv.gz", TWEETEVAL)

RECIPES: dict[str, Recipe] = {r.name: r for r in [
    Recipe("en-sentiment",
           (SEMEVAL, AIRLINE, ENTITY_EN, replace(S140, train=False), TWEETEVAL_VAL),
           "tfidf", ("negation=true", "negation_weight=2", "class_weight=balanced",
                     "max_word_features=150000", "max_char_features=300000", "min_df=2", "C=2"),
           about="English tweets: SemEval 2013-2016, airline and entity tweets", minutes=3,
           notes=("Trained on the three-class sources: SemEval 2013-2016 (the pool TweetEval's "
                  "training split was drawn from), US airline tweets and the entity tweets "
                  "(Irrelevant left out, one of each id's paraphrases). Sentiment140's "
                  "emoticon labels say which polarity a tweet has, never that it is neutral: "
                  "as training labels they cost TweetEval 0.02-0.03 of macro recall (as "
                  "partial labels too), so their held-out part is a test set only "
                  "(docs/experiments.md).",
                  "Negation marking (`negation=true`, `negation_weight=2`): a word after a "
                  "negator counts against its own word and char n-grams as strongly as it "
                  "would count for them, so 'not good' leans negative and 'not bad' away "
                  "from negative, also for words never seen negated (negation checks 70% -> "
                  "99%, held-out scores within +-0.017); balanced class weights, since "
                  "negative tweets are the rarest and TweetEval's measure is macro recall.")),
    Recipe("es-sentiment", (TASS_ES,), "fasttext", ("dim=32", "buckets=131072"),
           about="Spanish tweets, TASS 2019 labels", minutes=1),
    Recipe("disaster", (DISASTER_EN,), "tfidf",
           ("max_word_features=30000", "max_char_features=60000", "min_df=3"),
           about="Kaggle disaster tweets", minutes=1),
    Recipe("multilingual-sentiment",
           (AIRLINE, TWEETEVAL_TRAINED, ENTITY_EN,
            Source("tass2019 (es)", "tass2019_sentiment_train.csv.gz", TASS_THREE)),
           "embed-lr", ("encoder=use-multilingual",),
           about="multilingual USE vectors + logistic regression, English and Spanish labels",
           minutes=5),
    Recipe("ru-sentiment", (SENTIRUEVAL,), "tfidf",
           ("negation=true", "C=4", "class_weight=balanced"), held_out=0.2,
           about="Russian tweets about banks and telecom operators, entity-level",
           minutes=1,
           notes=("Trained on SentiRuEval-2016 tweets about 8 Russian banks and 7 telecom "
                  "operators only: for company and service tweets, scored per company given "
                  "as the entity (`--entity sberbank`, or an `entity` column). On general "
                  "Russian tweets it guesses from banking vocabulary; the bundled "
                  "multilingual-sentiment reads those better and is what `predict` uses for "
                  "Russian tweets when no model is named.",
                  "Settings chosen by 5-fold CV on the training part "
                  "(`benchmarks/experiments/explore_ru.py`): negation marking and balanced "
                  "class weights raised CV F1 (pos/neg) from 0.596 to 0.627; the multilingual "
                  "USE vectors with logistic regression reached 0.574.")),
    Recipe("en-sentiment-accurate", (SEMEVAL, TWEETEVAL_VAL), "transformer",
           ("epochs=2", "max_len=96", "lr=5e-5"), held_out=0.0,
           about="all-MiniLM-L6-v2 fine-tuned on the SemEval 2013-2016 tweets",
           minutes=40,
           notes=("Fine-tuned on the SemEval 2013-2016 tweets (5% of them for validation) "
                  "less the 402 that match a TweetEval validation tweet once normalised (the "
                  "file keeps their links, which TweetEval strips); its test set is "
                  "TweetEval's validation split.",)),
]}


def models_home() -> Path:
    """Where built models live: ``$TWEETLAB_HOME/models``, else
    ``$XDG_DATA_HOME/tweetlab/models`` (``~/.local/share/tweetlab/models``)."""
    if os.environ.get("TWEETLAB_HOME"):
        return Path(os.environ["TWEETLAB_HOME"]) / "models"
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "tweetlab" / "models"


def read_source(data: Path, source: Source) -> Dataset:
    """The source's rows with their labels mapped (rows whose label maps to None dropped)."""
    path = data / source.file
    if not path.exists():
        raise DataError(f"{source.file} not found in {data} (the recipe's source "
                        f"{source.name!r}); point --data at the folder that holds it")
    ds = load_dataset(path, skip_bad_rows=source.skip_bad_rows)
    labels = ds.labels or []
    keep = [i for i, lab in enumerate(labels) if source.labels.get(lab) is not None]
    sub = ds.subset(keep)
    sub.labels = [source.labels[lab] or "" for lab in sub.labels or []]
    if not source.keep_entity:
        sub.columns.pop("entity", None)
    return sub


def _dedupe(ds: Dataset) -> Dataset:
    seen: set[str] = set()
    keep = []
    for i, t in enumerate(ds.texts):
        key = t.strip().lower()
        if key and key not in seen:
            seen.add(key)
            keep.append(i)
    return ds.subset(keep)


def concat(parts: list[Dataset]) -> Dataset:
    """One dataset of several, with the columns every part has."""
    common = set.intersection(*(set(p.columns) for p in parts)) if parts else set()
    return Dataset(texts=[t for p in parts for t in p.texts],
                   labels=[x for p in parts for x in p.labels or []],
                   columns={c: [v for p in parts for v in p.columns[c]] for c in sorted(common)},
                   source="+".join(Path(p.source or "?").name for p in parts), format="mixed")


def recipe_parts(recipe: Recipe, data: Path, seed: int = 0
                 ) -> tuple[Dataset, dict[str, Dataset]]:
    """The recipe's training data (all sources' training parts together) and each source's
    held-out part, by source name."""
    train_parts, tests = [], {}
    for src in recipe.sources:
        if src.test_only and not (data / src.file).exists():
            log.info("%s not in %s: no %s test scores", src.file, data, src.name)
            continue
        ds = read_source(data, src)
        if src.test_only:
            tests[src.name] = ds
            continue
        if recipe.held_out:
            train, test = split_dataset(ds, test_size=recipe.held_out, by=src.split, seed=seed)
        else:  # all of it trained on: the test_only sources are the test
            train, test = ds, None
        if src.dedupe:  # paraphrases of one tweet: keep distinct texts only
            train, test = _dedupe(train), (_dedupe(test) if test is not None else None)
        if src.max_rows is not None and len(train) > src.max_rows:
            train, _ = split_dataset(train, test_size=len(train) - src.max_rows,
                                     by="stratified", seed=seed)
        if src.train:
            train_parts.append(train)
        if test is not None:
            tests[src.name] = test
    return _without_test_tweets(concat(train_parts), tests), tests


def _without_test_tweets(train: Dataset, tests: dict[str, Dataset]) -> Dataset:
    """``train`` less the rows whose text matches a held-out tweet once normalised (case,
    URLs, punctuation): the SemEval file holds ~400 of TweetEval's validation tweets with
    their link, which TweetEval strips, and a source can repeat a tweet across ids."""

    held = {k for t in tests.values() for k in map(leak_key, t.texts) if k}
    keep = [i for i, text in enumerate(train.texts) if leak_key(text) not in held]
    if len(keep) < len(train):
        log.info("%d training tweets match held-out ones once normalised: left out",
                 len(train) - len(keep))
        train = train.subset(keep)
    return train
