"""The character n-gram model and its mixing into the generators."""

from __future__ import annotations

import json
import random
from collections import defaultdict

import numpy as np
import pytest

from tweetlab.config import TrainConfig
from tweetlab.generation import GeneratorConfig, TweetGenerator, load_generator, train_generator
from tweetlab.ngram import CharNgram, context_hashes

from .test_generation import SMALL, write_account


def reference_probs(seqs: list[list[int]], order: int, vocab: int):
    """Interpolated Witten-Bell written the slow, obvious way: dicts of tuples."""
    counts: list[dict] = [defaultdict(lambda: defaultdict(int)) for _ in range(order)]
    for s in seqs:
        for i in range(1, len(s)):
            for k in range(min(order, i + 1)):
                counts[k][tuple(s[i - k:i])][s[i]] += 1

    def probs(context: list[int]) -> np.ndarray:
        p = np.full(vocab, 1.0 / vocab)
        for k in range(order):
            if k > len(context):
                break
            seen = counts[k].get(tuple(context[len(context) - k:]))
            if not seen:
                break
            total, types = sum(seen.values()), len(seen)
            lam = total / (total + types)
            p *= 1 - lam
            for c, n in seen.items():
                p[c] += lam * n / total
        return p

    return probs


def random_seqs(n: int, vocab: int, seed: int) -> list[list[int]]:
    rng = random.Random(seed)
    # a few recurring "phrases" so that long contexts repeat
    phrases = [[rng.randrange(2, vocab) for _ in range(rng.randint(3, 7))] for _ in range(5)]
    out = []
    for _ in range(n):
        body = []
        while len(body) < rng.randint(5, 30):
            body += rng.choice(phrases) if rng.random() < 0.6 else [rng.randrange(2, vocab)]
        out.append([0, *body, 0])
    return out


@pytest.mark.parametrize("dense", [True, False])
@pytest.mark.parametrize("order", [1, 3, 6])
def test_vectorised_model_matches_the_dictionary_reference(order, dense, monkeypatch):
    if not dense:  # the sparse path that large tables take
        monkeypatch.setattr(CharNgram, "DENSE_LIMIT", 0)
    vocab = 12
    train = random_seqs(60, vocab, seed=1)
    lm = CharNgram.fit([np.array(s) for s in train], order, vocab)
    ref = reference_probs(train, order, vocab)
    for s in random_seqs(10, vocab, seed=2):
        for i in range(1, len(s)):
            history = np.array([s[:i]])
            got = lm.next_probs(history)[0]
            assert got == pytest.approx(ref(s[:i]), abs=1e-12)


def test_distributions_are_proper_and_unseen_contexts_fall_back():
    lm = CharNgram.fit([np.array([0, 2, 3, 2, 3, 0])], 4, 6)
    p = lm.next_probs(np.array([[-1, -1, 5], [-1, 0, 2], [4, 4, 4]]))
    assert p.sum(axis=1) == pytest.approx(np.ones(3))
    assert (p > 0).all()
    assert p[1].argmax() == 3  # "<b> 2" was always followed by 3


def test_context_hashes_mark_contexts_that_reach_before_the_start():
    x = np.array([[-1, 7, 8]])
    h, valid = context_hashes(x, 3)
    assert valid[0, 2].tolist() == [True, True, True]  # "", "8", "7 8"
    assert valid[0, 1].tolist() == [True, True, False]  # "7" exists, "? 7" does not
    assert h[0, 2, 1] != h[0, 1, 1]  # "8" and "7" differ


def test_state_round_trips():
    seqs = [np.array(s) for s in random_seqs(20, 9, seed=3)]
    lm = CharNgram.fit(seqs, 5, 9)
    again = CharNgram.restore(lm.state(), 5, 9)
    hist = np.array([[0, 4, 5, 6]])
    assert again.next_probs(hist) == pytest.approx(lm.next_probs(hist))


# ------------------------------------------------------------------ in the generator
PHRASES = ["las mafias son el problema", "el agua es vida", "Colombia Humana avanza",
           "hoy votamos por el cambio", "la paz es el camino"]


def repetitive_account(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.sample(PHRASES, rng.randint(1, 3))) for _ in range(n)]


def tiny(**extra) -> TweetGenerator:
    cfg = GeneratorConfig(family="char-lstm", hidden=32, embed=16, layers=1, **extra)
    return TweetGenerator(cfg, train_config=TrainConfig(epochs=2, progress=False,
                                                        batch_size=16, lr=5e-3))


def test_the_mixture_recalls_an_accounts_recurring_phrases():
    gen = tiny(ngram=6).fit(repetitive_account(300))
    held_out = repetitive_account(30, seed=9)
    assert gen.ngram_ is not None and gen.ngram_weight_ > 0
    # chosen on the newest training tweets: the best weight of the grid
    assert gen.ngram_weight_ == min(gen.ngram_tuning_, key=gen.ngram_tuning_.get)
    assert gen.bits_per_char(held_out) < gen.network_bits_per_char(held_out) - 0.1


def test_a_fixed_weight_skips_the_choice_and_no_ngram_changes_nothing():
    gen = tiny(ngram=4, ngram_weight=0.3).fit(repetitive_account(80))
    assert gen.ngram_weight_ == 0.3 and gen.ngram_tuning_ == {}
    plain = tiny().fit(repetitive_account(80))
    assert plain.ngram_ is None
    texts = repetitive_account(5, seed=4)
    assert plain.bits_per_char(texts) == plain.network_bits_per_char(texts)


def test_sampling_from_the_mixture_is_reproducible_and_drops_finished_rows():
    gen = tiny(ngram=6, ngram_weight=0.9).fit(repetitive_account(200))
    a = gen.generate("el", n=40, seed=3, novelty=False)
    assert a == gen.generate("el", n=40, seed=3, novelty=False)
    assert len(a) == 40 and all(t.startswith("el") and len(t) <= 280 for t in a)
    # with most of the weight on the n-gram, the phrases come back word for word
    assert sum(any(p in t for p in PHRASES) for t in a) >= 20


def test_train_generator_reports_the_mixture_and_the_folder_keeps_it(tmp_path):
    path = write_account(tmp_path / "a.csv", repetitive_account(220))
    gen = train_generator(path, "char-transformer", out=tmp_path / "g",
                          overrides=[*SMALL["char-transformer"], "epochs=1", "progress=false"])
    metrics = json.loads((tmp_path / "g" / "metrics.json").read_text())
    assert metrics["ngram"]["order"] == 8
    assert metrics["ngram"]["weight"] == gen.ngram_weight_
    assert metrics["ngram"]["weight_from"].startswith("5% of the training tweets")
    assert metrics["valid_bits_per_char"] < metrics["valid_bits_per_char_network"]
    again = load_generator(tmp_path / "g")
    texts = repetitive_account(5, seed=7)
    assert again.bits_per_char(texts) == pytest.approx(gen.bits_per_char(texts), rel=1e-6)
    assert again.generate("hoy", n=3, seed=1) == gen.generate("hoy", n=3, seed=1)


def test_fit_exponents_finds_the_exponents_that_made_the_data():
    from tweetlab.generation.generator import _fit_exponents

    rng = np.random.default_rng(0)
    m, v = 4000, 12
    net = np.log(rng.dirichlet(np.ones(v) * 0.5, size=m))
    ngram = np.log(rng.dirichlet(np.ones(v) * 0.5, size=m))
    z = 0.7 * net + 0.4 * ngram
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    target = np.array([rng.choice(v, p=row) for row in p])
    a, b, bits = _fit_exponents(net, ngram, target)
    assert a == pytest.approx(0.7, abs=0.06) and b == pytest.approx(0.4, abs=0.06)
    rows = np.arange(m)
    true_bits = -np.log(p[rows, target]).mean() / np.log(2)
    assert bits <= true_bits + 1e-9  # the fit is at least as good as the truth on its data


def _mixed_by_hand(gen: TweetGenerator, texts: list[str]) -> float:
    """Bits/char of the geometric mixture, computed position by position without the
    generator's batching (a check of _group_dists / _mixed_at)."""
    import torch

    a, b = gen.ngram_exponents_
    total, count = 0.0, 0
    for seq in gen._sequences(texts, [True] * len(texts)):
        x = torch.tensor(seq[None, :-1])
        with torch.no_grad():
            logp = torch.log_softmax(gen.module_(x).float(), -1)[0].double().numpy()
        hashes, valid = context_hashes(np.asarray(seq[None, :-1]), gen.ngram_.order)
        png = gen.ngram_.probs(hashes[0], valid[0])
        for t, nxt in enumerate(seq[1:]):
            z = a * logp[t] + b * np.log(np.maximum(png[t], 1e-12))
            total -= z[nxt] - np.logaddexp.reduce(z)
            count += 1
    return total / count / np.log(2)


def test_a_geometric_mixture_scores_samples_and_survives_a_save(tmp_path):
    gen = tiny(ngram=6, ngram_mix="geometric").fit(repetitive_account(300))
    assert gen.ngram_exponents_ is not None
    tuned = gen.ngram_tuning_geometric_
    assert set(tuned) == {"a", "b", "bits_per_char", "linear_bits_per_char"}
    held_out = repetitive_account(12, seed=9)
    assert gen.bits_per_char(held_out) == pytest.approx(_mixed_by_hand(gen, held_out),
                                                        rel=1e-6)
    assert gen.bits_per_char(held_out) < gen.network_bits_per_char(held_out)
    samples = gen.generate("el", n=10, seed=3, novelty=False)
    assert samples == gen.generate("el", n=10, seed=3, novelty=False)
    gen.save(tmp_path / "g")
    again = load_generator(tmp_path / "g")
    assert again.ngram_exponents_ == pytest.approx(gen.ngram_exponents_)
    assert again.bits_per_char(held_out) == pytest.approx(gen.bits_per_char(held_out))
    assert again.generate("el", n=10, seed=3, novelty=False) == samples
    # a folder from before geometric mixtures (no exponents recorded) mixes linearly
    config = json.loads((tmp_path / "g" / "config.json").read_text())
    del config["ngram_exponents"]
    (tmp_path / "g" / "config.json").write_text(json.dumps(config))
    old = load_generator(tmp_path / "g")
    assert old.ngram_exponents_ is None and old.ngram_weight_ == gen.ngram_weight_


def test_auto_keeps_the_mixture_that_scores_better_where_it_is_chosen():
    auto = tiny(ngram=6).fit(repetitive_account(300))
    tuned = auto.ngram_tuning_geometric_
    assert (auto.ngram_exponents_ is not None) == \
        (tuned["bits_per_char"] < tuned["linear_bits_per_char"])
    linear = tiny(ngram=6, ngram_mix="linear").fit(repetitive_account(300))
    assert linear.ngram_exponents_ is None and linear.ngram_tuning_geometric_ == {}
    with pytest.raises(Exception, match="ngram_mix"):
        tiny(ngram=6, ngram_mix="average")
