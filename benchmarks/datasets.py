"""The benchmark tasks on ../shared/data, each with a fixed held-out test split."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tweetlab.data import Dataset, load_dataset, split_dataset


@dataclass
class Task:
    name: str
    train: Dataset
    test: Dataset
    metric: str  # "positive_f1" or "macro_f1"
    split: str


def load_tasks(data: Path, names: list[str] | None = None) -> list[Task]:
    specs = {
        "disaster": ("disaster_train.csv.gz", "stratified", "positive_f1", {}),
        "entity": ("twitter_entity_train.csv.gz", "group", "macro_f1", {"skip_bad_rows": True}),
        "tass-es": ("tass2019_sentiment_train.csv.gz", "stratified", "macro_f1", {}),
        "tweeteval": ("tweeteval_sentiment_val.csv.gz", "stratified", "macro_f1", {}),
    }
    tasks = []
    for name, (file, split, metric, read) in specs.items():
        if names and name not in names:
            continue
        ds = load_dataset(data / file, **read)
        train, test = split_dataset(ds, test_size=0.2, by=split, seed=0)
        tasks.append(Task(name, train, test, metric, split))
    return tasks
