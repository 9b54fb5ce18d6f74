"""The behaviour checks (tweetlab.checklist) and negation marking."""

from __future__ import annotations

from tweetlab.checklist import behaviour_cases, run_checks
from tweetlab.text.tokenize import mark_negation, tokenize


def test_behaviour_cases_are_the_same_for_the_same_seed_and_distinct():
    a, b = behaviour_cases(), behaviour_cases()
    assert a == b
    assert len({c.text for c in a}) == len(a)
    assert {c.capability for c in a} == {"vocabulary", "negation", "intensifier", "emoji",
                                         "contrast", "question", "neutral news", "tweet form"}


def test_every_case_accepts_only_known_labels():
    for case in behaviour_cases():
        assert case.accept and set(case.accept) <= {"negative", "neutral", "positive"}


def test_negated_positives_must_be_negative_and_negated_negatives_not_negative():
    cases = {c.text: c for c in behaviour_cases()}
    assert cases["not good"].accept == ("negative",)
    assert "negative" not in cases["not bad"].accept


def test_run_checks_counts_passes_per_capability():
    cases = behaviour_cases()
    every_neutral = run_checks(lambda texts: ["neutral"] * len(texts), cases)
    assert every_neutral.rates["question"] == 1.0
    assert every_neutral.rates["neutral news"] == 1.0
    assert every_neutral.rates["vocabulary"] == 0.0
    assert len(every_neutral.failures) == sum(1 for c in cases if "neutral" not in c.accept)
    assert every_neutral.counts["all"] == len(cases)


def test_run_checks_rejects_a_predictor_that_drops_texts():
    import pytest

    with pytest.raises(ValueError, match="labels for"):
        run_checks(lambda texts: ["neutral"], behaviour_cases()[:3])


def test_negation_marks_words_up_to_punctuation_or_a_contrast_word():
    assert mark_negation(tokenize("not good . great")) == ["not", "good_NEG", ".", "great"]
    assert mark_negation(tokenize("never liked it but love it now")) == [
        "never", "liked_NEG", "it_NEG", "but", "love", "it", "now"]


def test_negation_scope_is_at_most_four_words():
    marked = mark_negation(tokenize("no one two three four five"))
    assert marked == ["no", "one_NEG", "two_NEG", "three_NEG", "four_NEG", "five"]


def test_negation_covers_contractions_spanish_and_russian():
    assert mark_negation(tokenize("isn't fun"))[1] == "fun_NEG"
    assert mark_negation(tokenize("no me gusta"))[1:] == ["me_NEG", "gusta_NEG"]
    assert mark_negation(tokenize("не нравится"))[1] == "нравится_NEG"


def test_tfidf_with_negation_tells_good_from_not_good():
    from tweetlab.models.tfidf import TfidfClassifier

    texts = ["good", "so good", "great", "not good", "not great", "bad", "not bad", "awful"] * 6
    labels = ["pos", "pos", "pos", "neg", "neg", "neg", "pos", "neg"] * 6
    def fit(negation: bool) -> TfidfClassifier:  # unigrams: only the marking sees "not"
        return TfidfClassifier(negation=negation, char_ngrams=None, min_df=1,
                               word_ngrams=(1, 1)).fit(texts, labels)

    assert fit(True).predict(["not good", "good", "not bad"]) == ["neg", "pos", "pos"]
    assert fit(False).predict(["not bad"]) == ["neg"]


def test_tfidf_negation_reverses_words_it_never_saw_negated():
    from tweetlab.models.tfidf import TfidfClassifier

    texts = ["good", "great day", "fantastic", "so good", "bad", "awful day", "terrible",
             "so bad", "not good", "not bad"] * 5
    labels = ["pos"] * 4 + ["neg"] * 4 + ["neg", "pos"]
    labels = labels * 5

    def fit(negation: bool) -> TfidfClassifier:
        return TfidfClassifier(negation=negation, min_df=1).fit(texts, labels)

    # "fantastic" and "terrible" never stand after "not" in training
    assert fit(True).predict(["not fantastic", "not terrible"]) == ["neg", "pos"]
    assert fit(False).predict(["not fantastic", "not terrible"]) == ["pos", "neg"]


def test_check_command_prints_pass_rates_per_capability(capsys):
    from tweetlab.cli import main

    assert main(["check", "en-sentiment", "--failures", "2"]) == 0
    out = capsys.readouterr().out
    for capability in ("negation", "emoji", "contrast", "question", "all"):
        assert any(line.startswith(capability) and "%" in line for line in out.splitlines())
    assert out.count("expected") <= 2


def test_check_command_refuses_a_model_without_sentiment_labels(capsys):
    from tweetlab.cli import main

    assert main(["check", "disaster"]) == 2
    assert "sentiment models" in capsys.readouterr().err


def test_negation_weight_two_reverses_a_negated_words_char_ngrams():
    from tweetlab.models.tfidf import NgramTfidf, TfidfConfig

    texts = ["fantastic", "terrible day", "good", "not good"] * 3

    def char_part(weight: float):
        feats = NgramTfidf(TfidfConfig(negation=True, negation_weight=weight, min_df=1))
        feats.fit(texts)
        vec = feats.char_vec_
        row = feats.transform(["not fantastic"])[:, len(feats.words):].toarray()[0]
        grams = [vec.vocabulary_[g] for g in ("fan", "tast", "tic ")]
        return row[grams]

    assert (char_part(1.0) == 0).all()  # cancelled: in the text, and counted against
    assert (char_part(2.0) < 0).all()  # reversed, as "fantastic" alone counts for them


def test_the_default_english_model_handles_plain_negation():
    import tweetlab
    from tweetlab.checklist import behaviour_cases, run_checks

    model = tweetlab.load("en-sentiment")
    cases = [c for c in behaviour_cases() if c.capability == "negation"]
    assert run_checks(model.predict, cases).rates["negation"] >= 0.9
