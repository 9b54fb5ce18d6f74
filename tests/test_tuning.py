"""tune: random search over a family's settings, scored on a held-out part."""

from __future__ import annotations

import json

import pytest

from tweetlab.cli import main
from tweetlab.data import Dataset
from tweetlab.errors import ConfigError
from tweetlab.tuning import SPACES, _draws, parse_space, tune

from .conftest import make_corpus


def noisy(n: int = 200) -> Dataset:
    texts, labels = make_corpus(n)
    # every fifth tweet's words say nothing: the settings then matter for the score
    texts = [t if i % 5 else "plain words here today" for i, t in enumerate(texts)]
    return Dataset(texts=texts, labels=labels)


def test_trials_start_with_the_defaults_and_never_repeat():
    draws = _draws(SPACES["fasttext"], 30, seed=1)
    assert draws[0] == [] and len(draws) == 30
    assert len({tuple(d) for d in draws}) == 30
    assert all(any(s.startswith("minn=") for s in d) for d in draws[1:])
    tiny = [[("C=1",), ("C=2",)]]
    assert _draws(tiny, 10, seed=0) == [[], ["C=1"], ["C=2"]] or \
        _draws(tiny, 10, seed=0) == [[], ["C=2"], ["C=1"]]  # every option, then it stops


def test_tune_ranks_trials_by_the_metric_and_trains_the_best(tmp_path):
    space = parse_space({"C": "0.01|1|16"})
    result = tune(noisy(), "tfidf", trials=4, space=space, out=tmp_path / "m", progress=False)
    scores = [t["score"] for t in result.trials]
    assert scores == sorted(scores, reverse=True) and len(scores) == 4
    assert result.best["settings"] != ["C=0.01"]  # a tiny C underfits
    metrics = json.loads((tmp_path / "m" / "metrics.json").read_text())
    assert metrics["tuning"]["trials"][0]["settings"] == result.best["settings"]
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    if result.best["settings"]:
        key, value = result.best["settings"][0].split("=")
        assert float(config["params"][key]) == float(value)
    assert result.model is not None and "TuneResult(tfidf" in repr(result)


def test_one_class_f1_and_bad_requests_are_clear():
    result = tune(noisy(), "tfidf", trials=2, metric="f1_positive",
                  space=parse_space({"C": "1|4"}), progress=False)
    assert 0 < result.best["score"] <= 1
    with pytest.raises(ConfigError, match="no label 'nope'"):
        tune(noisy(), "tfidf", trials=1, metric="f1_nope", progress=False)
    with pytest.raises(ConfigError, match="no search space for 'embed-lr'"):
        tune(noisy(), "embed-lr", trials=1, progress=False)
    with pytest.raises(ConfigError, match="metric"):
        tune(noisy(), "tfidf", metric="recall", progress=False)
    with pytest.raises(ConfigError, match="tfidf search: dimm=1: unknown key 'dimm'"):
        tune(noisy(), "tfidf", space=parse_space({"dimm": "1|2"}), progress=False)
    with pytest.raises(ConfigError, match="unknown key 'epochz'"):
        tune(noisy(), "tfidf", fixed=["epochz=2"], progress=False)


def test_a_failing_combination_is_noted_and_the_search_goes_on():
    result = tune(noisy(), "tfidf", trials=3, progress=False,
                  space=[[("C=1",), ("C=-1",)]])  # C must be > 0
    failed = [t for t in result.trials if "error" in t]
    assert len(failed) == 1 and "C" in failed[0]["error"]
    assert result.best["score"] == result.best["score"]  # a number, not the failure


def test_data_with_one_class_fails_once_before_the_trials_and_failures_are_summed_up():
    from tweetlab.errors import DataError, TweetlabError

    texts, _ = make_corpus(40)
    with pytest.raises(DataError, match="at least two classes"):
        tune(Dataset(texts, ["a"] * len(texts)), "tfidf", trials=5, progress=False)
    with pytest.raises(TweetlabError, match=r"every trial failed \(3\); .*C.* \(3 trials\)$"):
        tune(noisy(), "tfidf", trials=3, progress=False, space=[[("C=-1",), ("C=-2",)]],
             fixed=["C=-1"])


def test_cli_tune(tmp_path, capsys):
    texts, labels = make_corpus(160)
    path = tmp_path / "d.csv"
    path.write_text("text,label\n" + "".join(f"{t},{lab}\n" for t, lab in zip(texts, labels, strict=True)))
    assert main(["-q", "tune", str(path), "--model", "tfidf", "--trials", "3",
                 "--search", "C=1|8", "--search", "min_df=1|2", "--out", str(tmp_path / "m")]) == 0
    out = capsys.readouterr().out
    assert "3 tfidf trials" in out and "| rank |" in out and "saved tfidf" in out
    card = (tmp_path / "m" / "README.md").read_text()
    assert "tweetlab train" in card and "## Tuning" in card and "out of 3 trials" in card
    assert main(["info", str(tmp_path / "m")]) == 0
    assert "tuned:    best of 3 trials by macro_f1" in capsys.readouterr().out
    assert main(["tune", str(path), "--search", "C"]) != 0
    assert "KEY=A|B|C" in capsys.readouterr().err
    assert main(["tune", str(path), "--model", "tfidf", "--resume"]) == 2
    assert "resume needs --out:" in capsys.readouterr().err
    assert main(["-q", "tune", str(path), "--model", "tfidf", "--trials", "2", "--resume",
                 "--out", str(tmp_path / "m3")]) == 0  # nothing to resume: a warning, a run
    assert "nothing to resume" in capsys.readouterr().err and (tmp_path / "m3").is_dir()


def test_folds_score_each_trial_by_its_mean_over_the_folds():
    result = tune(noisy(), "tfidf", trials=2, folds=3, space=parse_space({"C": "0.01|4"}),
                  progress=False)
    assert result.folds == 3 and "over 3 folds" in result.describe()
    assert all("std" in t for t in result.trials) and "±" in result.to_markdown()
    with pytest.raises(ConfigError, match="folds"):
        tune(noisy(), "tfidf", trials=1, folds=1, progress=False)


def test_ctrl_c_keeps_the_finished_trials(monkeypatch):
    import tweetlab.tuning

    real = tweetlab.tuning.train_model
    calls = []

    def train(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(tweetlab.tuning, "train_model", train)
    result = tune(noisy(), "tfidf", trials=5, space=parse_space({"C": "1|2|4|8"}),
                  progress=False)
    assert len(result.trials) == 2
    calls.clear()
    monkeypatch.setattr(tweetlab.tuning, "train_model",
                        lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        tune(noisy(), "tfidf", trials=2, progress=False)


@pytest.mark.parametrize("family", sorted(SPACES))
def test_every_option_of_every_space_is_a_valid_setting(family):
    from tweetlab.config import TrainConfig, split_overrides
    from tweetlab.models import get_family

    cls = get_family(family)
    for dimension in SPACES[family]:
        for option in dimension:
            split_overrides([cls.Config(), TrainConfig()], list(option))  # raises if not


def test_a_held_out_part_without_some_class_is_warned_about(caplog):
    texts, _ = make_corpus(40)
    labels = ["a"] * (len(texts) - 1) + ["b"]
    with caplog.at_level("WARNING", logger="tweetlab"):
        tune(Dataset(texts, labels), "tfidf", trials=1, progress=False)
    assert "no tweets of class b" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="tweetlab"):
        tune(noisy(), "tfidf", trials=1, progress=False)
    assert "no tweets of class" not in caplog.text


def test_a_killed_tune_resumes_with_the_trials_that_finished(tmp_path, monkeypatch):
    import tweetlab.tuning
    from tweetlab.errors import ModelError
    from tweetlab.tuning import trial_log_for

    real_train, calls = tweetlab.tuning.train_model, []

    def train(*args, **kwargs):
        calls.append(kwargs.get("out"))
        if len(calls) == 3 and die:
            raise RuntimeError("killed")  # not a TweetlabError: it ends the run
        return real_train(*args, **kwargs)

    monkeypatch.setattr(tweetlab.tuning, "train_model", train)
    space = parse_space({"C": "0.01|1|16|64"})
    out, die = tmp_path / "m", True
    with pytest.raises(RuntimeError):
        tune(noisy(), "tfidf", trials=5, space=space, out=out, progress=False)
    log = trial_log_for(out)
    kept = [json.loads(line)["trial"] for line in log.read_text().splitlines()]
    assert len(kept) == 2 and not out.exists()
    with pytest.raises(ModelError, match="--resume"):  # not started over by accident
        tune(noisy(), "tfidf", trials=5, space=space, out=out, progress=False)
    calls.clear()
    die = False
    result = tune(noisy(), "tfidf", trials=5, space=space, out=out, progress=False,
                  resume=True)
    assert len(calls) == 3 + 1  # the three trials left, then the final model
    assert len(result.trials) == 5 and out.is_dir() and not log.exists()
    for trial in kept:  # reused as they were
        assert trial in result.trials
    # the same result as a search that was never interrupted
    again = tune(noisy(), "tfidf", trials=5, space=space, out=tmp_path / "m2", progress=False)
    assert [(t["settings"], t["score"]) for t in again.trials] == \
        [(t["settings"], t["score"]) for t in result.trials]


def test_resume_reuses_only_trials_of_the_same_search(tmp_path, caplog):
    from tweetlab.tuning import trial_log_for

    space = parse_space({"C": "0.01|1"})
    out = tmp_path / "m"
    trial_log_for(out).write_text(json.dumps({"key": "another search", "trial": {
        "settings": ["C=1"], "score": 0.123, "seconds": 1.0}}) + "\n{cut off by a ki")
    with caplog.at_level("WARNING", logger="tweetlab"):
        result = tune(noisy(), "tfidf", trials=3, space=space, out=out, progress=False,
                      resume=True)
    assert "nothing to resume" in caplog.text
    assert all(t["score"] != 0.123 for t in result.trials)
    with pytest.raises(ConfigError, match="resume needs out="):
        tune(noisy(), "tfidf", trials=2, space=space, progress=False, resume=True)
