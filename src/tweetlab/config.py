"""Configuration dataclasses: one per model family, plus :class:`TrainConfig`.

Each config validates itself in ``__post_init__`` and names the bad value; ``from_dict``
rejects unknown keys. ``apply_overrides`` maps the CLI's ``--set key=value`` pairs onto a
config, converting each value to the field's type.

>>> cfg = TrainConfig(epochs=3)
>>> apply_overrides(cfg, ["lr=0.01"]).lr
0.01
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any, Self

from .errors import ConfigError


class ConfigBase:
    """Shared ``to_dict``/``from_dict``/``replace`` for the frozen config dataclasses."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if isinstance(value, ConfigBase):
                value = value.to_dict()
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        known = {f.name: f for f in fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ConfigError(
                f"{cls.__name__}: unknown key(s) {', '.join(unknown)}; "
                f"known keys: {', '.join(sorted(known))}"
            )
        hints = typing.get_type_hints(cls)
        kwargs: dict[str, Any] = {}
        for name, value in data.items():
            hint = hints[name]
            if isinstance(hint, type) and issubclass(hint, ConfigBase) and isinstance(value, dict):
                value = hint.from_dict(value)
            elif isinstance(value, list):
                value = tuple(value)
            kwargs[name] = value
        return cls(**kwargs)

    def replace(self, **changes: Any) -> Self:
        try:
            return dataclasses.replace(self, **changes)  # type: ignore[type-var]
        except TypeError as exc:
            raise ConfigError(f"{type(self).__name__}: {exc}") from None


def _check(condition: bool, owner: str, name: str, value: Any, rule: str) -> None:
    if not condition:
        raise ConfigError(f"{owner}.{name} = {value!r} is invalid: {rule}")


@dataclass(frozen=True)
class CleaningConfig(ConfigBase):
    """Options of :func:`tweetlab.text.normalize`; stored in every model's config.json."""

    urls: str = "<url>"
    mentions: str = "<user>"
    html: bool = True
    hashtags: str = "keep"
    emoji: str = "name"
    elongations: bool = True
    lowercase: bool = True
    numbers: str | None = None

    def __post_init__(self) -> None:
        _check(self.hashtags in {"keep", "split", "strip", "remove"}, "cleaning", "hashtags",
               self.hashtags, "one of keep, split, strip, remove")
        _check(self.emoji in {"keep", "name", "remove"}, "cleaning", "emoji", self.emoji,
               "one of keep, name, remove")


# The pretrained encoder of the transformer and embed-lr families unless one is named.
DEFAULT_ENCODER = "all-MiniLM-L6-v2"
# What a pretrained encoder reads (transformer, embed-lr): case, emoji and elongations kept.
LIGHT_CLEANING = CleaningConfig(emoji="keep", lowercase=False, elongations=False)


@dataclass(frozen=True)
class TrainConfig(ConfigBase):
    """Settings of the one training loop shared by every torch family."""

    epochs: int | None = 10  # None: the family picks from the data size
    batch_size: int = 64
    lr: float | None = 1e-3  # None: the family picks from the data size
    weight_decay: float = 0.0
    optimizer: str = "adam"
    patience: int = 2
    seed: int = 0
    device: str = "auto"
    grad_clip: float | None = None
    schedule: str = "constant"
    warmup: float = 0.0
    # Checkpoints of a resumable run: after an epoch, and inside a long epoch, at most
    # this often; 0: after every epoch, never inside one.
    checkpoint_seconds: float = 60.0
    progress: bool = True
    max_seconds: float | None = None  # time budget: stop (and keep the best) once spent
    accumulate: int = 1  # gradient accumulation: one optimizer step per N batches
    # bf16 autocast where the hardware computes bf16 natively: CUDA GPUs that do, CPUs with
    # AVX512-BF16 or AMX (elsewhere float32 either way); false: float32 everywhere
    amp: bool = True
    # What picks the best epoch (and early stopping) on the validation set: "loss", or
    # "accuracy" for models whose loss is a poor guide (fasttext's large SGD steps make
    # it overconfident early: its lowest validation loss came at epoch 2 of 11), or
    # "macro_f1" (classifiers) when the small classes matter as much as the large ones,
    # or "last": keep the last epoch and never stop early (fastText's way: with a rate
    # decaying to zero the last epoch is the settled one).
    monitor: str = "loss"
    # Classifiers: after training, fit one temperature on the validation split (100+
    # examples) so that the printed confidence matches how often the label is right (fasttext
    # said 99% where it was right 80%); the label never changes. false: probabilities as the
    # model gives them.
    calibrate: bool = True

    def __post_init__(self) -> None:
        _check(self.epochs is None or self.epochs >= 1, "train", "epochs", self.epochs,
               "must be >= 1 (or none for the family's choice)")
        _check(self.batch_size >= 1, "train", "batch_size", self.batch_size, "must be >= 1")
        _check(self.lr is None or self.lr > 0, "train", "lr", self.lr,
               "must be > 0 (or none for the family's choice)")
        _check(self.patience >= 0, "train", "patience", self.patience, "must be >= 0")
        _check(self.optimizer in {"adam", "adamw", "sgd"}, "train", "optimizer",
               self.optimizer, "one of adam, adamw, sgd")
        _check(self.schedule in {"constant", "linear"}, "train", "schedule", self.schedule,
               "constant or linear")
        _check(0.0 <= self.warmup < 1.0, "train", "warmup", self.warmup,
               "a fraction of all steps in [0, 1)")
        _check(self.accumulate >= 1, "train", "accumulate", self.accumulate, "must be >= 1")
        _check(self.monitor in {"loss", "accuracy", "macro_f1", "last"}, "train", "monitor",
               self.monitor, "loss, accuracy, macro_f1 or last")
        _check(self.max_seconds is None or self.max_seconds > 0, "train", "max_seconds",
               self.max_seconds, "must be > 0 (or none for no time budget)")
        _check(self.device in {"auto", "cpu", "cuda"} or self.device.startswith("cuda:"),
               "train", "device", self.device, "auto, cpu, cuda or cuda:N")


def _convert(text: str, hint: Any, key: str) -> Any:
    """Turn the string of ``--set key=value`` into a value of the field's type."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if text.lower() in {"none", "null"} and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _convert(text, inner[0], key)
    if hint is bool:
        if text.lower() in {"1", "true", "yes", "on"}:
            return True
        if text.lower() in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"--set {key}={text}: expected true or false")
    if hint in (int, float):
        try:
            return hint(text)
        except ValueError:
            kind = "an integer" if hint is int else "a number"
            raise ConfigError(f"--set {key}={text}: expected {kind}") from None
    if origin is tuple:
        try:
            loaded = json.loads(text) if text.startswith("[") else text.split(",")
            return tuple(_convert(str(v), args[0], key) for v in loaded)
        except json.JSONDecodeError:
            raise ConfigError(f"--set {key}={text}: expected a list like 1,2,3") from None
    return text


def apply_overrides(config: Any, pairs: list[str] | tuple[str, ...]) -> Any:
    """Return ``config`` with each ``key=value`` applied; ``cleaning.x=...`` reaches nested configs."""
    for pair in pairs:
        if "=" not in pair:
            raise ConfigError(f"--set {pair!r}: expected key=value")
        key, _, text = pair.partition("=")
        key = key.strip().replace("-", "_")
        head, _, rest = key.partition(".")
        hints = typing.get_type_hints(type(config))
        if head not in hints:
            names = ", ".join(sorted(hints))
            raise ConfigError(f"--set {key}: unknown key for {type(config).__name__}; known: {names}")
        if rest:
            inner = apply_overrides(getattr(config, head), [f"{rest}={text}"])
            config = config.replace(**{head: inner})
        else:
            config = config.replace(**{head: _convert(text.strip(), hints[head], key)})
    return config


def override_key(pair: str) -> str:
    """The config field a ``key=value`` pair sets (``cleaning.lowercase=true`` ->
    ``cleaning``; dashes read as underscores)."""
    return pair.partition("=")[0].strip().replace("-", "_").partition(".")[0]


def check_override_keys(types: Sequence[type], pairs: Sequence[str], what: str = "--set") -> None:
    """Raise a ConfigError naming the known keys when a ``key=value`` pair's key is in none
    of the config ``types`` (checked before any work, e.g. before a search's trials)."""
    known = {k for t in types for k in typing.get_type_hints(t)}
    for pair in pairs:
        if override_key(pair) not in known:
            raise ConfigError(f"{what} {pair}: unknown key {override_key(pair)!r}; known: "
                              f"{', '.join(sorted(known))}")


def split_overrides(configs: list[Any], pairs: list[str]) -> list[Any]:
    """Apply each pair to the first config in ``configs`` that has the key.

    The CLI's ``--set`` mixes family keys (``dim=64``) and training keys (``epochs=5``).
    """
    configs = list(configs)
    check_override_keys([type(c) for c in configs], pairs)
    for pair in pairs:
        i = next(i for i, c in enumerate(configs) if override_key(pair) in typing.get_type_hints(type(c)))
        configs[i] = apply_overrides(configs[i], [pair])
    return configs


__all__ = [
    "ConfigBase",
    "CleaningConfig",
    "TrainConfig",
    "apply_overrides",
    "check_override_keys",
    "override_key",
    "split_overrides",
]
