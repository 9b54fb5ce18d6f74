import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tweetlab.config import CleaningConfig
from tweetlab.text import Vocabulary, normalize, stem, tokenize


def test_cleaning_replaces_each_mention():
    assert normalize("@bob and @Alice_1 hi") == "<user> and <user> hi"


def test_cleaning_keeps_email_addresses():
    assert "<user>" not in normalize("write to me@example.com")


def test_cleaning_replaces_urls():
    assert normalize("see https://t.co/xY1 and www.example.com/a") == "see <url> and <url>"


def test_cleaning_can_remove_urls():
    assert normalize("see https://t.co/xY1 now", CleaningConfig(urls="")) == "see now"


def test_cleaning_unescapes_html_entities_fully():
    assert normalize("a &amp;lt; b &amp; c") == "a < b & c"


def test_cleaning_splits_camel_case_hashtags():
    assert normalize("#BestDayEver2024", CleaningConfig(hashtags="split")) == "best day ever 2024"


def test_cleaning_removes_hashtags_on_request():
    assert normalize("so #blessed today", CleaningConfig(hashtags="remove")) == "so today"


def test_cleaning_names_emoji():
    assert normalize("I ❤️ it 😂") == "i :red_heart: it :face_with_tears_of_joy:"


def test_cleaning_removes_emoji_on_request():
    assert normalize("ok 😂", CleaningConfig(emoji="remove")) == "ok"


def test_cleaning_shortens_elongations():
    assert normalize("soooooo goooood!!!!") == "soo good!!"


def test_cleaning_keeps_case_on_request():
    assert normalize("Hello World", CleaningConfig(lowercase=False)) == "Hello World"


def test_cleaning_lowercases_cyrillic():
    assert normalize("ПРИВЕТ Мир") == "привет мир"


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab #@&;amplt:/.hts😂❤️ñПр\n!ooo_1")), max_size=60))
def test_cleaning_is_idempotent(text):
    for cfg in (CleaningConfig(), CleaningConfig(hashtags="split", emoji="remove")):
        once = normalize(text, cfg)
        assert normalize(once, cfg) == once


_CONFIGS = (CleaningConfig(), CleaningConfig(hashtags="split", emoji="remove"),
            CleaningConfig(lowercase=False, urls="", hashtags="strip"),
            CleaningConfig(emoji="keep", mentions=None, html=False))


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(
    list("aAb #@&;amplt:/.hHtTswW😂❤\ufe0f\u20e3ñПрΣİ\n!oOo_1")), max_size=60))
def test_cleaning_shortcuts_give_the_fixed_point(text):
    # normalize() stops when its checks say another pass cannot change the text; running
    # every pass until nothing changes must give the same result.
    from tweetlab.text.normalize import _normalize_once

    for cfg in _CONFIGS:
        want = text
        for _ in range(10):
            new = _normalize_once(want, cfg)
            if new == want:
                break
            want = new
        assert normalize(text, cfg) == want


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(
    list("aAb #@&;amplt:/.hHtTswW😂❤\ufe0f\u20e3ñПрΣİ\n!oOo_1\x00 ")), max_size=30),
    min_size=60, max_size=120))
def test_cleaning_a_chunk_equals_cleaning_each_text(texts):
    from tweetlab.text import normalize_many

    for cfg in _CONFIGS:
        assert normalize_many(texts, cfg) == [normalize(t, cfg) for t in texts]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(
    list("ab :_<>#'’\x00 \n!1ñП-&")), max_size=12), max_size=12))
def test_token_ids_of_a_chunk_equal_tokenizing_each_text(texts):
    from tweetlab.text import TokenIds, tokenize

    got = TokenIds.of(texts)
    assert got.per_text() == [tokenize(t) for t in texts]
    flat = [t for text in texts for t in tokenize(text)]
    assert got.words == list(dict.fromkeys(flat))  # distinct, in first-seen order
    assert got.ids.max(initial=-1) < len(got.words)


def test_tokenizer_keeps_placeholders_and_emoji_names():
    assert tokenize("hi <user> :red_heart: #tag don't") == ["hi", "<user>", ":red_heart:", "#tag",
                                                             "don't"]


def test_tokenizer_splits_cyrillic_and_spanish_words():
    assert tokenize("¡qué día! привет") == ["¡", "qué", "día", "!", "привет"]


def test_stemming_in_three_languages():
    assert stem(["running"], "en") == ["run"]
    assert stem(["películas"], "es") == ["pelicul"]
    assert stem(["фильмы"], "ru") == ["фильм"]


def test_stemming_leaves_placeholders():
    assert stem(["<url>", ":red_heart:"], "en") == ["<url>", ":red_heart:"]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.text(min_size=1, max_size=5), max_size=6), max_size=8))
def test_vocabulary_round_trips_through_json(docs):
    vocab = Vocabulary.build(docs, specials=("<pad>",))
    again = Vocabulary.from_json(vocab.to_json())
    assert again == vocab
    for doc in docs:
        assert again.encode(doc) == vocab.encode(doc)
        assert all(t in vocab for t in doc)


def test_vocabulary_orders_by_frequency_and_caps_size():
    vocab = Vocabulary.build([["a", "b", "b", "c", "c", "c"]], max_size=3, unk="<unk>")
    assert vocab.tokens == ["<unk>", "c", "b"]
    assert vocab.encode(["a"]) == [0]


def test_cleaning_leaves_non_emoji_unicode_alone():
    assert normalize("café … привет ñandú") == "café … привет ñandú"


def test_cleaning_names_emoji_among_other_unicode():
    assert normalize("día 👍 … ©") == "día :thumbs_up: … :copyright:"


def test_emoji_naming_matches_the_emoji_package():
    import emoji

    from tweetlab.text.normalize import _demojize

    cases = [f"a{e}b" for e in emoji.EMOJI_DATA]
    cases += ["⭐️⭐️ great", "1️⃣ first", "#️⃣ tag", "stray \ufe0f selector", "❤ plain heart",
              "👩🏿\u200d🦳 and 🇲🇻", "no emoji at all", "ПРИВЕТ ❄️⛄️"]
    for text in cases:
        assert _demojize(text) == emoji.demojize(text, delimiters=(" :", ": ")), text


@pytest.mark.parametrize("block", [1, 3, 7, 1000])
def test_token_ids_in_blocks_are_the_tokens_of_each_text(block):
    import random

    from tweetlab.text.tokenize import TokenIds, tokenize

    rng = random.Random(block)
    pieces = ["a", "b", "<user>", ":x:", "hi!", "don't", "#tag", "", "\0z", "q\0"]
    for trial in range(20):
        choices = pieces if trial % 2 else pieces[:8]  # texts holding NUL: every other trial
        texts = [" ".join(rng.choice(choices) for _ in range(rng.randrange(6)))
                 for _ in range(rng.randrange(40))]
        t = TokenIds.of(texts, block=block)
        assert t.per_text() == [tokenize(x) for x in texts]
        assert t.words == list(dict.fromkeys(w for x in texts for w in tokenize(x)))
