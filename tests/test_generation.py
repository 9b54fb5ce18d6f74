"""Tweet generation: cleaning, both families, sampling options, novelty, persistence, CLI."""

from __future__ import annotations

import csv
import json
import math
import random
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from tweetlab.cli import main
from tweetlab.config import TrainConfig
from tweetlab.errors import ConfigError, DataError, ModelError
from tweetlab.generation import (
    MAX_TWEET,
    TRAIN_DEFAULTS,
    CharVocab,
    GeneratorConfig,
    TweetCleaning,
    TweetGenerator,
    clean_tweet,
    load_generator,
    read_tweets,
    recency_weights,
    train_generator,
)

SMALL = {"char-lstm": ["hidden=48", "embed=16", "layers=1"],
         "char-transformer": ["dim=32", "heads=2", "layers=1"]}

WORDS = ["las", "mafias", "son", "el", "poder", "del", "pueblo", "Colombia", "la", "paz",
         "hoy", "votamos", "por", "cambio", "¡vamos!", "niños", "tierra", "agua"]


def account(n: int = 160, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 12))) for _ in range(n)]


def write_account(path: Path, tweets: list[str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "date", "text"])
        for i, t in enumerate(tweets):
            # Written newest first: the reader must sort by date.
            w.writerow([9000 - i, f"2018-{1 + (len(tweets) - i) % 12:02d}-01T10:00:{i % 60:02d}Z", t])
    return path


def tiny(family: str, epochs: int = 3, positions: str = "learned", **extra) -> TweetGenerator:
    cfg = GeneratorConfig(family=family, hidden=48, embed=16, dim=32, heads=2, layers=1,
                          positions=positions, **extra)
    return TweetGenerator(cfg, train_config=TrainConfig(epochs=epochs, progress=False,
                                                        batch_size=16, lr=5e-3))


# ----------------------------------------------------------------------- cleaning
def test_cleaning_drops_retweets():
    assert clean_tweet("RT @petro: las mafias", TweetCleaning()) is None
    assert clean_tweet("RT @petro: las mafias son", TweetCleaning(drop_retweets=False)) is not None


def test_cleaning_repairs_a_truncated_tweet_and_marks_it_unfinished():
    text, ends = clean_tweet("El pueblo decide hoy en las urnas … https://t.co/AbC", TweetCleaning())
    assert text == "El pueblo decide hoy en las urnas" and ends is False


def test_cleaning_removes_the_piece_of_a_link_a_cut_left():
    # retweets and long tweets were cut at 140 characters, sometimes inside a link
    for cut in ("https:/", "https://t.c", "http", "htt", "➡️https://"):
        text, ends = clean_tweet(f"Gran marcha hoy en Bogotá {cut}…", TweetCleaning())
        assert text.rstrip("➡️ ") == "Gran marcha hoy en Bogotá" and ends is False
    # a word that ends in h stays, and so does a tweet that was not cut
    assert clean_tweet("Gran marcha con Sarah…", TweetCleaning())[0].endswith("Sarah")
    assert clean_tweet("Llegamos a las 8 h", TweetCleaning())[0] == "Llegamos a las 8 h"


def test_cleaning_can_drop_truncated_tweets():
    assert clean_tweet("El pueblo decide hoy … https://t.co/AbC",
                       TweetCleaning(truncated="drop")) is None


def test_cleaning_removes_urls_mentions_and_unescapes_html():
    text, ends = clean_tweet("@ana Fake news &amp; lies http://x.co/1 !", TweetCleaning())
    assert text == "Fake news & lies !" and ends


def test_cleaning_leaves_no_gap_where_a_mention_stood():
    cleaning = TweetCleaning()
    assert clean_tweet(".@nbc just reported it. Thank you President @Macron, great day!",
                       cleaning)[0] == "just reported it. Thank you President, great day!"
    assert clean_tweet("Big win @WhiteHouse! Congrats @bob and @ann", cleaning)[0] == \
        "Big win! Congrats and"
    assert clean_tweet("mail bob@example.com or ask @x!", cleaning)[0] == \
        "mail bob@example.com or ask!"  # an address is not a mention


def test_cleaning_keeps_case_unless_asked():
    assert clean_tweet("MAKE America", TweetCleaning())[0] == "MAKE America"
    assert clean_tweet("MAKE America", TweetCleaning(lowercase=True))[0] == "make america"


def test_read_tweets_sorts_by_date_and_counts_what_it_dropped(tmp_path):
    path = write_account(tmp_path / "a.csv", ["RT @x: copied words here", *account(20)])
    corpus = read_tweets(path)
    assert corpus.dates == sorted(corpus.dates)
    assert corpus.dropped["retweet"] == 1
    older, newest = corpus.split_by_time(0.1)
    assert len(newest) == 2 and newest.dates[0] >= older.dates[-1]


def test_read_tweets_reads_an_x_archive(tmp_path):
    items = [{"tweet": {"id_str": str(i), "full_text": f"archivo tweet numero {i} de prueba",
                        "created_at": "Wed Oct 10 20:19:24 +0000 2018"}} for i in range(5)]
    path = tmp_path / "tweets.js"
    path.write_text("window.YTD.tweets.part0 = " + json.dumps(items), encoding="utf-8")
    assert len(read_tweets(path)) == 5


def test_reading_nothing_usable_names_the_file(tmp_path):
    path = write_account(tmp_path / "rt.csv", ["RT @a: one two three four"] * 3)
    with pytest.raises(DataError, match="rt.csv.*no usable tweets"):
        read_tweets(path)


def test_char_vocab_round_trips_through_json():
    v = CharVocab.build(["ñandú 🇨🇴", "привет"])
    again = CharVocab.from_dict(json.loads(json.dumps(v.to_dict())))
    assert again.decode(again.encode("ñandú привет")) == "ñandú привет"


# ------------------------------------------------------------------------ families
@pytest.mark.parametrize("family", ["char-lstm", "char-transformer"])
def test_training_lowers_bits_per_char(family):
    tweets = account(200)
    untrained = tiny(family, epochs=1)
    untrained.train_config = untrained.train_config.replace(lr=1e-9)
    untrained.fit(tweets[:20])
    # At the small default rate: a badly scaled initialisation (e.g. position vectors
    # drowning the token vectors) keeps a transformer near unigram level here.
    trained = tiny(family, epochs=8)
    trained.train_config = trained.train_config.replace(patience=8)
    trained.fit(tweets[:180], valid=tweets[180:])
    before, after = untrained.bits_per_char(tweets[180:]), trained.bits_per_char(tweets[180:])
    assert after < before - 1.0
    assert after < math.log2(len(trained.vocab_))  # better than uniform over the characters


@pytest.mark.parametrize("family", ["char-lstm", "char-transformer"])
def test_generation_starts_with_the_seed_and_respects_the_length(family):
    gen = tiny(family).fit(account(120))
    outs = gen.generate("las mafias son", n=6, seed=3, max_chars=60, novelty=False)
    assert len(outs) == 6
    for o in outs:
        assert o.startswith("las mafias son") and len(o) <= 60


@pytest.mark.parametrize("family", ["char-lstm", "char-transformer"])
def test_same_random_seed_gives_the_same_tweets(family):
    gen = tiny(family).fit(account(80))
    a = gen.generate("hoy", n=3, seed=11, novelty=False)
    b = gen.generate("hoy", n=3, seed=11, novelty=False)
    assert a == b


@pytest.mark.parametrize(("positions", "extra"), [("learned", {}), ("alibi", {}),
                                                  ("alibi", {"conv": 3, "activation": "relu2"}),
                                                  ("learned", {"conv": 4}),
                                                  ("alibi", {"kv_heads": 1, "conv": 3}),
                                                  ("learned", {"kv_heads": 1})])
def test_transformer_cache_matches_a_full_forward(positions, extra):
    import torch

    gen = tiny("char-transformer", positions=positions, **extra).fit(account(60))
    if extra.get("conv"):  # the convolution has learned to mix: not the identity any more
        assert gen.module_.blocks[0].dconv.weight[:, 0, :-1].abs().max() > 1e-3
    ids = torch.tensor([[0, *gen.vocab_.encode("las mafias son el")]])
    with torch.no_grad():
        full = gen.module_(ids)
        logits, state = gen.module_.step(ids[:, :5], None)
        assert torch.allclose(full[:, 4], logits, atol=1e-4)  # the prompt, causal
        for t in range(5, ids.shape[1]):
            logits, state = gen.module_.step(ids[:, t:t + 1], state)
    assert torch.allclose(full[:, -1], logits, atol=1e-4)


def test_shared_key_value_heads_shrink_the_projection_and_must_divide_the_heads():
    from tweetlab.generation import CharTransformer

    full = CharTransformer(20, tiny("char-transformer", kv_heads=0).config)
    mqa = CharTransformer(20, tiny("char-transformer", kv_heads=1).config)
    assert full.blocks[0].qkv.out_features == 3 * 32  # dim 32, 2 heads of 16
    assert mqa.blocks[0].qkv.out_features == 32 + 2 * 16  # one key and one value head
    with pytest.raises(ConfigError, match="kv_heads"):
        GeneratorConfig(family="char-transformer", heads=4, kv_heads=3)


def test_alibi_transformer_has_no_position_vectors_and_learns():
    gen = tiny("char-transformer", epochs=4, positions="alibi")
    data = account(200)
    gen.fit(data[:180])
    assert not any("pos" in name for name, _ in gen.module_.named_parameters())
    # 18 equally likely words: a model that learned them is far below 8 bits a character
    assert gen.bits_per_char(data[180:]) < 3.5


@pytest.mark.parametrize(("family", "positions", "conv", "kv_heads"),
                         [("char-lstm", "learned", 0, 0), ("char-transformer", "learned", 0, 0),
                          ("char-transformer", "alibi", 0, 0), ("char-transformer", "alibi", 3, 0),
                          ("char-transformer", "alibi", 3, 1)])
def test_dropping_finished_sequences_keeps_the_others(family, positions, conv, kv_heads):
    import torch

    gen = tiny(family, positions=positions, conv=conv, kv_heads=kv_heads).fit(account(60))
    module = gen.module_.eval()
    ids = torch.tensor([[0, *gen.vocab_.encode(p)] for p in ("las ma", "el pue", "hoy es")])
    nxt = torch.tensor([[5], [6], [7]])
    rows = torch.tensor([0, 2])
    with torch.no_grad():
        _, state = module.step(ids, None)
        part, _ = module.step(nxt[rows], module.select(state, rows))
        _, state = module.step(ids, None)
        full, _ = module.step(nxt, state)
    assert torch.allclose(full[rows], part, atol=1e-5)


def test_generation_never_exceeds_a_tweet():
    gen = tiny("char-lstm", epochs=1).fit(account(40))
    outs = gen.generate("", n=4, seed=0, temperature=3.0, novelty=False)
    assert all(len(o) <= MAX_TWEET for o in outs)


def test_tweets_cut_by_the_length_limit_end_at_a_whole_word():
    gen = tiny("char-lstm", epochs=2).fit(account(120))
    raw = gen.generate("las", n=12, max_chars=40, seed=5, novelty=False, trim=False)
    tidy = gen.generate("las", n=12, max_chars=40, seed=5, novelty=False)
    cut = [(r, t) for r, t in zip(raw, tidy, strict=True) if len(r) >= 39]
    assert cut, "some tweets should reach the limit"
    for r, t in zip(raw, tidy, strict=True):
        assert r.startswith(t) and t.startswith("las")
        if t != r:  # cut back to a word boundary of the raw text
            assert r[len(t)] in " ,;:" or r[len(t) - 1] in ".!?…"
    assert any(t != r for r, t in cut)


def test_many_tweets_are_written_in_batches_of_at_most_max_batch(monkeypatch):
    gen = tiny("char-lstm", epochs=1).fit(account(40))
    sizes = []
    real = gen._sample

    def spy(prompt, n, *args):
        sizes.append(n)
        return real(prompt, n, *args)

    monkeypatch.setattr(gen, "_sample", spy)
    monkeypatch.setattr(gen, "MAX_BATCH", 8)
    outs = gen.generate("el", n=20, seed=1, max_chars=20, novelty=False)
    assert len(outs) == 20 and sizes == [8, 8, 4]
    sizes.clear()
    monkeypatch.setattr(gen, "MAX_BATCH", 1024)
    gen.generate("el", n=20, seed=1, max_chars=20, novelty=False)
    assert sizes == [20]  # one batch as before


def test_top_k_one_is_greedy_and_deterministic():
    gen = tiny("char-lstm").fit(account(80))
    a = gen.generate("el", n=3, top_k=1, seed=1, novelty=False)
    b = gen.generate("el", n=3, top_k=1, seed=2, novelty=False)
    assert a == b and len(set(a)) == 1


def test_novelty_filter_rejects_copies_of_training_tweets():
    copied = "las mafias son el poder del pueblo de Colombia hoy y siempre"
    gen = tiny("char-lstm", epochs=1).fit([copied] * 30)
    assert not gen.is_novel(copied + " amen")
    assert gen.is_novel("las mafias son el poder")  # under 8 words: allowed
    kept = gen.generate("las mafias son", n=1, top_k=1, seed=0, max_tries=2)
    rejected = gen.rejected_
    everything = gen.generate("las mafias son", n=1, top_k=1, seed=0, novelty=False)
    # Greedy decoding writes the same tweet every time: kept if novel, else each try rejected.
    if gen.is_novel(everything[0]):
        assert kept == everything and rejected == 0
    else:
        assert kept == [] and rejected >= 2


def test_novelty_filter_counts_rejections_when_the_model_memorised():
    tweet = "uno dos tres cuatro cinco seis siete ocho nueve diez"
    gen = tiny("char-lstm", epochs=30).fit([tweet] * 40)
    copies = gen.generate("uno", n=4, top_k=1, seed=0, novelty=False)
    assert tweet in copies  # the model learned the one tweet by heart
    kept = gen.generate("uno", n=4, top_k=1, seed=0, max_tries=2)
    assert kept == [] and gen.rejected_ >= 4


def test_bad_sampling_options_are_clear_errors():
    gen = tiny("char-lstm", epochs=1).fit(account(30))
    with pytest.raises(ConfigError, match="temperature"):
        gen.generate("x", temperature=0)
    with pytest.raises(ConfigError, match="max_chars"):
        gen.generate("x", max_chars=500)
    with pytest.raises(ConfigError, match="top_p"):
        gen.generate("x", top_p=1.5)
    with pytest.raises(ConfigError, match="at least one tweet"):
        gen.generate("x", n=0)
    with pytest.raises(ConfigError, match="top_k"):
        gen.generate("x", top_k=0)
    with pytest.raises(TypeError, match="prompt must be a string"):
        gen.generate(["x"])


def test_a_seed_with_characters_the_model_never_saw_is_warned_about(caplog):
    gen = tiny("char-lstm", epochs=1).fit(account(30))
    with caplog.at_level("WARNING", logger="tweetlab"):
        outs = gen.generate("el 漢€", n=1, seed=0, novelty=False, max_chars=20)
    assert outs[0].startswith("el 漢€")
    assert "never saw (€ 漢)" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="tweetlab"):
        gen.generate("el", n=1, seed=0, novelty=False, max_chars=20)
    assert "never saw" not in caplog.text


def test_unfitted_generator_raises():
    with pytest.raises(ModelError, match="not trained"):
        TweetGenerator().generate("x")


# ---------------------------------------------------------------- persistence + API
@pytest.mark.parametrize(("family", "extra"), [("char-lstm", []), ("char-transformer", []),
                                               ("char-transformer", ["positions=learned",
                                                                     "conv=0",
                                                                     "activation=gelu"])])
def test_train_generator_saves_a_folder_that_loads_and_generates_the_same(tmp_path, family,
                                                                          extra):
    path = write_account(tmp_path / "a.csv", account(150))
    gen = train_generator(path, family, out=tmp_path / "g",
                          overrides=[*SMALL[family], *extra, "epochs=2", "progress=false"])
    files = {p.name for p in (tmp_path / "g").iterdir()}
    assert {"config.json", "model.safetensors", "vocab.json", "metrics.json", "README.md"} <= files
    metrics = json.loads((tmp_path / "g" / "metrics.json").read_text())
    assert metrics["data"]["n_valid"] == 8 and metrics["valid_bits_per_char"] > 0
    card = (tmp_path / "g" / "README.md").read_text()
    assert "bits per character" in card
    # the card shows what it writes: the samples in metrics.json, drawn with seed 0
    assert metrics["samples"] == gen.generate("", n=5, seed=0, max_tries=3)
    assert "## Samples" in card and f"- {metrics['samples'][0]}" in card
    again = load_generator(tmp_path / "g")
    assert again.bits_per_char(account(10, seed=5)) == pytest.approx(
        gen.bits_per_char(account(10, seed=5)), rel=1e-5)
    assert again.generate("hoy", n=2, seed=4) == gen.generate("hoy", n=2, seed=4)


def test_train_generator_refuses_to_overwrite(tmp_path):
    path = write_account(tmp_path / "a.csv", account(60))
    (tmp_path / "g").mkdir()
    (tmp_path / "g" / "keep.txt").write_text("mine")
    with pytest.raises(ModelError, match="already exists"):
        train_generator(path, out=tmp_path / "g", overrides=["epochs=1"])
    assert (tmp_path / "g" / "keep.txt").read_text() == "mine"


def test_recency_weights_halve_every_half_life_and_undated_tweets_count_as_new():
    w = recency_weights(["2020-01-01T00:00:00Z", "2020-01-31T00:00:00Z", "2020-03-01T00:00:00Z",
                         None, "not a date"], 30.0)
    assert w is not None and w.sum() == pytest.approx(1.0)
    assert w[1] / w[2] == pytest.approx(0.5, rel=0.01)  # 30 days older: half the weight
    assert w[0] / w[2] == pytest.approx(0.5 ** (60 / 30), rel=0.01)
    assert w[3] == pytest.approx(w[2]) and w[4] == pytest.approx(w[2])
    assert recency_weights(["2020-01-01T00:00:00Z"], None) is None


def test_weighted_batches_draw_by_weight():
    seqs = [np.array([0, 5, 6, 0]), np.array([0, 7, 8, 9, 0]), np.array([0, 4, 0])]
    rng = np.random.default_rng(0)
    drawn = [x for x, _ in TweetGenerator._batches(seqs * 10, 4, rng,
                                                   np.array([0.0, 1.0, 0.0] * 10) / 10)]
    assert sum(len(x) for x in drawn) == 30  # an epoch still has as many tweets
    assert all(x[:, 1:4].tolist() == [[7, 8, 9]] * len(x) for x in drawn)


def write_with_retweets(path: Path, n: int = 120) -> Path:
    """An account that retweets another account's words after every second own tweet."""
    rows = []
    for i, text in enumerate(account(n)):
        rows.append(text)
        if i % 2:
            rows.append(f"RT @otro{i}: agua tierra niños {i // 2} " + " ".join(["pueblo"] * 6))
    return write_account(path, rows)


def test_read_tweets_keeps_retweet_texts_apart_and_the_time_split_keeps_only_older_ones(
        tmp_path):
    corpus = read_tweets(write_with_retweets(tmp_path / "a.csv"))
    assert corpus.dropped["retweet"] == 60 and len(corpus.retweets) == 60
    assert not any(t.startswith(("RT", "@", ":")) for t in corpus.retweets.texts)
    assert all(t.startswith("agua tierra niños") for t in corpus.retweets.texts)
    older, newest = corpus.split_by_time(0.25)
    first_held_out = newest.dates[0]
    assert older.retweets is not None and 0 < len(older.retweets) < 60
    assert all(d <= first_held_out for d in older.retweets.dates)
    later = [d for d in corpus.retweets.dates if d > first_held_out]
    assert len(older.retweets) + len(later) == 60
    assert newest.retweets is None  # the held-out part is own tweets only


def test_retweet_weight_trains_on_retweets_too_and_the_filter_knows_them(tmp_path):
    path = write_with_retweets(tmp_path / "a.csv")
    common = [*SMALL["char-lstm"], "epochs=1", "progress=false"]
    plain = train_generator(path, overrides=[*common, "retweet_weight=0"])
    mixed = train_generator(path, out=tmp_path / "g", overrides=[*common, "retweet_weight=0.5"])
    assert train_generator(path, overrides=common).metrics_["data"]["retweets_used"] > 0
    assert plain.metrics_["data"]["retweets_used"] == 0
    used = mixed.metrics_["data"]["retweets_used"]
    assert used > 0 and mixed.metrics_["data"]["retweet_characters"] > 0
    assert plain.metrics_["data"]["n_valid"] == mixed.metrics_["data"]["n_valid"]
    retweet = "agua tierra niños 3 pueblo pueblo pueblo pueblo pueblo pueblo"
    assert not mixed.is_novel(retweet) and plain.is_novel(retweet)
    assert load_generator(tmp_path / "g").config.retweet_weight == 0.5
    assert f"text of {used} of the account's retweets" in (tmp_path / "g" / "README.md").read_text()
    with pytest.raises(ConfigError, match="retweet_weight"):
        GeneratorConfig(retweet_weight=-1)


def test_bad_recency_half_life_is_a_clear_error():
    with pytest.raises(ConfigError, match="recency_half_life"):
        GeneratorConfig(recency_half_life=0)


def test_train_generator_with_recency_weighting_saves_the_setting(tmp_path):
    path = write_account(tmp_path / "a.csv", account(120))
    gen = train_generator(path, out=tmp_path / "g", overrides=[
        *SMALL["char-lstm"], "epochs=1", "progress=false", "recency_half_life=60"])
    assert load_generator(tmp_path / "g").config.recency_half_life == 60
    assert gen.metrics_["valid_bits_per_char"] > 0


def test_time_budget_stops_training_early():
    gen = tiny("char-lstm", epochs=50)
    gen.train_config = gen.train_config.replace(max_seconds=0.5, patience=100)
    gen.fit(account(400), valid=account(20, seed=9))
    assert gen.train_result_.out_of_time and len(gen.history_) < 50


def test_load_model_points_generators_to_load_generator(tmp_path):
    import tweetlab

    gen = tiny("char-lstm", epochs=1).fit(account(30))
    gen.save(tmp_path / "g")
    with pytest.raises(ModelError, match="load_generator"):
        tweetlab.load_model(tmp_path / "g")


# ---------------------------------------------------------------------------- CLI
def test_cli_trains_generates_and_evaluates(tmp_path, capsys):
    data = write_account(tmp_path / "a.csv", account(150))
    out = tmp_path / "g"
    assert main(["-q", "generator", "train", str(data), "--out", str(out), "--epochs", "2",
                 "--set", "hidden=32", "--set", "layers=1"]) == 0
    text = capsys.readouterr().out
    assert "saved char-lstm generator" in text and "bits per character" in text
    assert main(["generate", str(out), "--seed", "las mafias", "-n", "3",
                 "--random-seed", "1"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and all(x.startswith("las mafias") for x in lines)
    assert main(["evaluate", str(out), str(data)]) == 0
    assert "bits per character" in capsys.readouterr().out
    # --prompt names the seed phrase too (as in `bot` and `generator compare`)
    assert main(["generate", str(out), "--prompt", "hoy", "-n", "1"]) == 0
    assert capsys.readouterr().out.startswith("hoy")
    with pytest.raises(SystemExit):  # a misspelt option names the one meant
        main(["generate", str(out), "--seed-random", "1", "--temprature", "2"])
    err = capsys.readouterr().err
    assert "usage: tweetlab generate" in err
    assert "did you mean --random-seed for --seed-random, --temperature for --temprature?" in err


def test_cli_generates_interactively_for_each_seed_phrase(tmp_path, capsys, monkeypatch):
    import io

    out = tiny("char-lstm", epochs=1).fit(account(40)).save(tmp_path / "g")
    monkeypatch.setattr("sys.stdin", io.StringIO("las mafias\n" + "x" * 300 + "\nhoy\n"))
    assert main(["-q", "generate", str(out), "-i", "-n", "2", "--random-seed", "1",
                 "--allow-copies"]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == 4  # two per good seed; the 300-character one is an error line
    assert all(x.startswith("las mafias") for x in lines[:2])
    assert all(x.startswith("hoy") for x in lines[2:])
    assert "seed phrase is 300 characters" in captured.err and "Traceback" not in captured.err
    assert main(["generate", str(out), "-i", "--output", str(tmp_path / "t.csv")]) == 2


def test_cli_says_what_it_did_with_retweets(tmp_path, capsys):
    data = write_with_retweets(tmp_path / "a.csv", 60)
    common = ["-q", "generator", "train", str(data), "--epochs", "1", "--set", "hidden=16",
              "--set", "embed=8"]
    assert main([*common, "--out", str(tmp_path / "a"), "--set", "retweet_weight=0"]) == 0
    assert "--set retweet_weight=1 also learns" in capsys.readouterr().out
    assert main([*common, "--out", str(tmp_path / "b")]) == 0  # the default uses them
    assert "also learned from the text of" in capsys.readouterr().out


def test_cli_generator_bad_option_is_one_line(tmp_path, capsys):
    data = write_account(tmp_path / "a.csv", account(40))
    code = main(["generator", "train", str(data), "--out", str(tmp_path / "g"),
                 "--set", "hiddn=3"])
    err = capsys.readouterr().err
    assert code == 2 and "unknown key" in err and "Traceback" not in err


def test_cli_info_describes_a_generator(tmp_path, capsys):
    data = write_account(tmp_path / "a.csv", account(80))
    train_generator(data, out=tmp_path / "g", overrides=["epochs=1", "hidden=16", "progress=false"])
    assert main(["info", str(tmp_path / "g")]) == 0
    out = capsys.readouterr().out
    assert "tweet generation" in out and "bits per character" in out


def test_a_transformer_with_tied_weights_checkpoints_and_resumes(tmp_path):
    gen = tiny("char-transformer", epochs=2)
    gen.train_config = gen.train_config.replace(checkpoint_seconds=0)
    gen.fit(account(60), checkpoint_dir=tmp_path / "ckpt")
    assert (tmp_path / "ckpt" / "checkpoint.safetensors").exists()


# ---------------------------------------------------------------------- warm start
@pytest.mark.parametrize("family", ["char-lstm", "char-transformer"])
def test_a_warm_start_copies_the_base_and_gives_new_characters_rows_of_their_own(family):
    base = tiny(family, epochs=4).fit(account(200))
    # The new account: the base's words plus a character the base never saw.
    small = [t + " kiwü" for t in account(30, seed=5)]
    cold = TweetGenerator(base.config, train_config=TrainConfig(epochs=1, lr=1e-9,
                                                                progress=False))
    warm = TweetGenerator(base.config, train_config=TrainConfig(epochs=1, lr=1e-9,
                                                                progress=False))
    cold.fit(small)
    warm.fit(small, base=base)
    assert warm.vocab_.chars[:len(base.vocab_.chars)] == base.vocab_.chars
    assert set(warm.vocab_.chars) - set(base.vocab_.chars) == {"k", "w", "ü"}
    emb, old = warm.module_.embed.weight, base.module_.embed.weight
    n = len(base.vocab_)
    assert torch.allclose(emb[:n], old, atol=1e-6)  # one step at a learning rate of ~0
    assert torch.allclose(emb[n:], old.mean(dim=0).expand(len(emb) - n, -1), atol=1e-6)
    # With a learning rate of ~0, what the warm model knows is the base's.
    probe = account(40, seed=9)
    assert warm.network_bits_per_char(probe) == pytest.approx(base.network_bits_per_char(probe),
                                                              abs=0.05)
    assert cold.network_bits_per_char(probe) > base.network_bits_per_char(probe) + 1.0


def test_a_base_of_another_shape_or_family_is_refused(tmp_path):
    base = tiny("char-lstm", epochs=1).fit(account(40))
    other = TweetGenerator(replace(base.config, hidden=64), train_config=base.train_config)
    with pytest.raises(ConfigError, match=r"hidden \(48 vs 64\)"):
        other.fit(account(40), base=base)
    folder = base.save(tmp_path / "base")
    data = write_account(tmp_path / "a.csv", account(60, seed=3))
    with pytest.raises(ConfigError, match="base generator is a char-lstm, not a char-transformer"):
        train_generator(data, "char-transformer", base=folder)
    with pytest.raises(ConfigError, match="differs in hidden"):
        train_generator(data, base=folder, overrides=["hidden=64"])
    gen = train_generator(data, base=folder, overrides=["lr=0.01", "epochs=1", "progress=false"])
    assert gen.train_config.lr == 0.01  # a learning rate given is kept as given


def test_cli_trains_from_a_base_and_says_so(tmp_path, capsys):
    base = tiny("char-lstm", epochs=2).fit(account(80)).save(tmp_path / "base")
    data = write_account(tmp_path / "a.csv", account(60, seed=3))
    assert main(["-q", "generator", "train", str(data), "--from", str(base), "--out",
                 str(tmp_path / "g"), "--epochs", "1"]) == 0
    assert f"started from {base}" in capsys.readouterr().out
    metrics = json.loads((tmp_path / "g" / "metrics.json").read_text())
    assert metrics["base"]["path"] == str(base) and metrics["base"]["new_characters"] == 0
    config = json.loads((tmp_path / "g" / "config.json").read_text())
    assert config["train"]["lr"] == pytest.approx(TRAIN_DEFAULTS["char-lstm"]["lr"] / 3)
    assert "Started from the generator" in (tmp_path / "g" / "README.md").read_text()
    assert main(["info", str(tmp_path / "g")]) == 0
    assert "started from:" in capsys.readouterr().out


def test_read_tweets_of_a_file_in_another_encoding(tmp_path):
    from tweetlab.errors import DataError
    from tweetlab.generation import read_tweets

    path = tmp_path / "tweets.csv"
    path.write_bytes("text,date\nle café est fermé,2024-01-01\n".encode("cp1252"))
    with pytest.raises(DataError, match="--encoding cp1252"):
        read_tweets(path)
    assert read_tweets(path, encoding="cp1252").texts == ["le café est fermé"]
