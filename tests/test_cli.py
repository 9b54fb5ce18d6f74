import csv
import io
import re

import pytest

from tweetlab.cli import main


def run(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def trained(tmp_path, csv_file, capsys):
    out = tmp_path / "model"
    code, stdout, _ = run(["-q", "train", str(csv_file), "--model", "fasttext", "--out", str(out),
                           "--epochs", "8"], capsys)
    assert code == 0, stdout
    return out


def test_train_writes_a_model_and_prints_held_out_scores(tmp_path, csv_file, capsys):
    code, out, _ = run(["-q", "train", str(csv_file), "--model", "tfidf", "--out",
                        str(tmp_path / "m")], capsys)
    assert code == 0
    assert "saved tfidf model" in out and "macro-F1" in out
    assert (tmp_path / "m" / "model.safetensors").exists()


def test_train_set_reaches_family_and_loop_options(tmp_path, csv_file, capsys):
    from tweetlab import load_model

    code, _, _ = run(["-q", "train", str(csv_file), "--model", "fasttext", "--out",
                      str(tmp_path / "m"), "--set", "dim=16", "--set", "epochs=2"], capsys)
    assert code == 0
    model = load_model(tmp_path / "m")
    assert model.config.dim == 16 and model.train_config.epochs == 2


def test_bad_set_key_is_a_one_line_error(tmp_path, csv_file, capsys):
    code, _, err = run(["train", str(csv_file), "--out", str(tmp_path / "m"), "--set",
                        "dimm=3"], capsys)
    assert code == 2
    assert err.startswith("error: --set dimm=3: unknown key") and "Traceback" not in err


def test_a_set_value_of_the_wrong_type_says_what_it_expected(tmp_path, csv_file, capsys):
    code, _, err = run(["train", str(csv_file), "--out", str(tmp_path / "m"), "--set",
                        "epochs=abc"], capsys)
    assert code == 2 and err.strip() == "error: --set epochs=abc: expected an integer"


def test_a_validation_file_with_labels_training_lacks_is_named(tmp_path, csv_file, capsys):
    other = tmp_path / "valid.csv"
    other.write_text("text,label\ngreat,excellent\nbad,terrible\n")
    code, _, err = run(["train", str(csv_file), "--model", "tfidf", "--valid", str(other),
                        "--out", str(tmp_path / "m")], capsys)
    assert code == 2 and f"error: {other}, field 'label': validation labels" in err
    assert not (tmp_path / "m").exists()


def test_resume_with_nothing_to_resume_says_so_and_trains(tmp_path, csv_file, capsys):
    code, out, err = run(["train", str(csv_file), "--model", "tfidf", "--out",
                          str(tmp_path / "m"), "--resume"], capsys)
    assert code == 0 and "nothing to resume" in err and (tmp_path / "m").is_dir()


def test_train_refuses_to_overwrite(trained, csv_file, capsys):
    code, _, err = run(["train", str(csv_file), "--out", str(trained)], capsys)
    assert code == 2 and "already exists" in err and "--force" in err


def test_cli_errors_name_the_flag_not_the_python_keyword(trained, csv_file, capsys):
    code, _, err = run(["train", str(csv_file), "--out", str(trained)], capsys)
    assert code == 2 and "pass --force" in err
    assert "force=True" not in err and "(CLI:" not in err


def test_bad_data_error_names_file_line_and_field(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\nok,a\n,b\n")
    code, _, err = run(["train", str(bad), "--out", str(tmp_path / "m")], capsys)
    assert code == 2
    assert f"error: {bad}, line 3, field 'text': empty text" in err
    assert "Traceback" not in err


def test_skip_bad_rows_reports_the_count(tmp_path, csv_file, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text(csv_file.read_text() + '1,2024-02-01,"",positive\n')
    code, _, err = run(["train", str(bad), "--model", "tfidf", "--out", str(tmp_path / "m"),
                        "--skip-bad-rows"], capsys)
    assert code == 0
    assert "skipped 1 bad rows (1 empty text)" in err


def test_single_class_data_is_rejected(tmp_path, capsys):
    one = tmp_path / "one.csv"
    one.write_text("text,label\n" + "".join(f"tweet {i},same\n" for i in range(20)))
    code, _, err = run(["train", str(one), "--out", str(tmp_path / "m")], capsys)
    assert code == 2 and "at least two classes" in err


def test_predict_prints_label_and_confidence(trained, capsys):
    code, out, _ = run(["predict", str(trained), "I love this awesome movie",
                        "I hate this awful movie"], capsys)
    assert code == 0
    first, second = out.strip().splitlines()
    assert first.startswith("positive") and "%" in first
    assert second.startswith("negative")


def test_predict_file_writes_scored_csv(trained, tmp_path, csv_file, capsys):
    out = tmp_path / "scored.csv"
    code, stdout, _ = run(["predict", str(trained), "--input", str(csv_file), "--output",
                           str(out)], capsys)
    assert code == 0 and "wrote 80 predictions" in stdout
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 80
    assert list(rows[0]) == ["id", "date", "text", "true_label", "label", "confidence",
                             "p_negative", "p_positive"]
    assert rows[0]["id"] == "1000" and rows[0]["date"].startswith("2024-01-01")
    gold = [r[3] for r in csv.reader(csv_file.open())][1:]
    assert [r["true_label"] for r in rows] == gold
    for r in rows:
        p = float(r["p_" + r["label"]])
        assert p >= 0.5 and float(r["confidence"]) == p
    code, _, err = run(["predict", str(trained), "--input", str(csv_file), "--output",
                        str(out)], capsys)
    assert code == 2 and "already exists" in err


@pytest.mark.parametrize("name", ["scored.jsonl", "scored.tsv.gz", "scored.parquet"])
def test_predict_file_format_follows_the_output_name(trained, tmp_path, csv_file, capsys, name):
    import pandas as pd

    out = tmp_path / name
    code, stdout, _ = run(["predict", str(trained), "--input", str(csv_file), "--output",
                           str(out)], capsys)
    assert code == 0 and "wrote 80 predictions" in stdout
    if name.endswith(".jsonl"):
        table = pd.read_json(out, lines=True)
    elif name.endswith(".parquet"):
        table = pd.read_parquet(out)
    else:
        table = pd.read_csv(out, sep="\t")
    assert len(table) == 80
    assert list(table.columns)[-4:] == ["label", "confidence", "p_negative", "p_positive"]
    assert (table["p_negative"] + table["p_positive"]).round(3).eq(1.0).all()
    assert set(table["label"]) <= {"negative", "positive"}


def test_predict_file_refuses_an_unknown_output_format(trained, tmp_path, csv_file, capsys):
    code, _, err = run(["predict", str(trained), "--input", str(csv_file), "--output",
                        str(tmp_path / "scored.xlsx")], capsys)
    assert code == 2 and "scored.xlsx" in err and ".jsonl" in err
    assert not (tmp_path / "scored.xlsx").exists() and "Traceback" not in err


def test_predict_file_without_output_prints_csv(trained, csv_file, capsys):
    code, stdout, _ = run(["predict", str(trained), "--input", str(csv_file)], capsys)
    lines = stdout.strip().splitlines()
    assert code == 0 and len(lines) == 81
    assert lines[0] == "id,date,text,true_label,label,confidence,p_negative,p_positive"


def test_predict_reads_lines_from_a_pipe(trained, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("so happy, love it\nawful, I hate it\n"))
    code, out, _ = run(["predict", str(trained)], capsys)
    assert code == 0
    assert [ln.split()[0] for ln in out.strip().splitlines()] == ["positive", "negative"]


def test_predict_explain_names_the_words_that_decided(tmp_path, csv_file, capsys,
                                                      monkeypatch):
    trained = tmp_path / "tfidf"
    assert run(["-q", "train", str(csv_file), "--model", "tfidf", "--out", str(trained)],
               capsys)[0] == 0
    code, out, _ = run(["predict", str(trained), "--explain", "the movie was awesome",
                        "this was awful"], capsys)
    lines = out.splitlines()
    assert code == 0 and len(lines) >= 4 and "\033[" not in out  # no colour off a terminal
    assert lines[0].startswith("positive") and lines[0].endswith("the movie was awesome")
    assert lines[1].strip().startswith("for, in bits: awesome +")
    negative = next(i for i, ln in enumerate(lines) if ln.startswith("negative"))
    assert lines[negative + 1].strip().startswith("for, in bits: awful +")
    monkeypatch.setattr("sys.stdin", io.StringIO("so happy, love it\n"))
    code, out, _ = run(["predict", str(trained), "--explain"], capsys)
    assert code == 0 and out.startswith("positive") and "for, in bits: " in out


def test_predict_explain_of_a_file_adds_the_deciding_words(tmp_path, csv_file, capsys):
    from tweetlab.models import create

    from .conftest import make_corpus

    texts, labels = make_corpus(200)
    model = create("tfidf").fit(texts, labels).save(tmp_path / "m")
    out = tmp_path / "scored.csv"
    code, _, _ = run(["predict", str(model), "--explain", "--input", str(csv_file),
                      "--output", str(out)], capsys)
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert code == 0 and len(rows) == 80 and list(rows[0])[-1] == "words"
    plain = tmp_path / "plain.csv"
    run(["predict", str(model), "--input", str(csv_file), "--output", str(plain)], capsys)
    same = list(csv.DictReader(plain.open(encoding="utf-8")))
    assert [r["label"] for r in rows] == [r["label"] for r in same]
    assert [r["p_positive"] for r in rows] == [r["p_positive"] for r in same]
    from .conftest import NEGATIVE, POSITIVE

    firsts = [r["words"].split(",")[0].rsplit(" ", 1)[0] for r in rows]
    assert all(w in r["text"].split() for w, r in zip(firsts, rows, strict=True))
    # the strongest word for the label is nearly always one of the sentiment words
    assert sum(w in POSITIVE + NEGATIVE for w in firsts) >= 0.9 * len(rows)
    code, stdout, _ = run(["predict", str(model), "--explain", "--input", str(csv_file)],
                          capsys)
    assert code == 0 and stdout.splitlines()[0].endswith(",words")


def test_the_interactive_prompt_labels_explains_and_names_unseen_words(tmp_path, capsys,
                                                                       monkeypatch):
    from tweetlab.models import create

    from .conftest import make_corpus

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    texts, labels = make_corpus(200)
    model = create("tfidf").fit(texts, labels).save(tmp_path / "m")
    monkeypatch.setattr("sys.stdin", Terminal("the movie was awesome zzyzx\nhate it\n\n"))
    code, out, _ = run(["predict", str(model), "--explain"], capsys)
    assert code == 0 and "Type a tweet and press Enter" in out
    answers = [ln.split("->", 1)[1] for ln in out.splitlines() if "->" in ln]  # after "tweet>"
    assert answers[0].startswith(" positive (") and "negative" in answers[0]
    assert answers[1].startswith(" negative (") and len(answers) == 2  # a blank line quits
    assert "for, in bits: awesome +" in out and "never seen in training: zzyzx" in out


def test_predict_entity_reaches_an_entity_model_from_arguments_and_files(tmp_path, capsys):
    import tweetlab

    # the label depends only on the entity: only a model that sees it gets these right
    ds = tweetlab.Dataset(texts=["same words every time"] * 60,
                          labels=["Positive", "Negative"] * 30,
                          columns={"entity": ["Nvidia", "Amazon"] * 30, "id": list(range(60))})
    model = tmp_path / "m"
    tweetlab.train(ds, "tfidf", out=model, valid_size=0.2)
    for entity, label in (("Nvidia", "Positive"), ("Amazon", "Negative")):
        code, out, _ = run(["predict", str(model), "--entity", entity, "same words every time"],
                           capsys)
        assert code == 0 and out.startswith(label)
        code, out, _ = run(["predict", str(model), "--entity", entity, "--explain",
                            "same words every time"], capsys)
        assert code == 0 and out.startswith(label) and "[" not in out.splitlines()[0]
    table = tmp_path / "t.csv"
    table.write_text("id,entity,text\n1,Amazon,same words every time\n"
                     "2,Nvidia,same words every time\n", encoding="utf-8")
    code, out, _ = run(["predict", str(model), "--input", str(table), "--explain"], capsys)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and [r["label"] for r in rows] == ["Negative", "Positive"]
    plain = create_plain_model(tmp_path)
    code, out, err = run(["predict", str(plain), "--entity", "Nvidia", "love it"], capsys)
    assert code == 0 and "not trained with entities; --entity is ignored" in err


def create_plain_model(tmp_path):
    from tweetlab.models import create

    from .conftest import make_corpus

    texts, labels = make_corpus(100)
    return create("tfidf").fit(texts, labels).save(tmp_path / "plain")


def test_an_empty_first_argument_is_a_tweet_not_the_current_folder(capsys):
    code, _, err = run(["predict", "--explain", ""], capsys)
    assert code == 2 and "nothing to explain" in err and "model folder" not in err


def test_predict_with_neutral_band(trained, capsys):
    code, out, _ = run(["predict", str(trained), "love", "--neutral-band", "0.0", "1.0"], capsys)
    assert code == 0 and out.startswith("neutral")


def test_predict_takes_tweets_on_both_sides_of_an_option(trained, capsys):
    code, out, _ = run(["predict", str(trained), "love", "--neutral-band", "0.0", "1.0",
                        "hate"], capsys)
    assert code == 0 and [line.split()[-1] for line in out.splitlines()] == ["love", "hate"]
    with pytest.raises(SystemExit):  # an unknown option is still an error
        main(["predict", str(trained), "love", "--bogus"])
    with pytest.raises(SystemExit):  # and so is an extra word for another command
        main(["info", str(trained), "extra"])


def test_evaluate_prints_report_and_writes_png(trained, csv_file, tmp_path, capsys):
    code, out, _ = run(["evaluate", str(trained), str(csv_file), "--out", str(tmp_path / "ev")],
                       capsys)
    assert code == 0
    assert "accuracy" in out and "confusion matrix" in out and "precision" in out
    png = tmp_path / "ev" / "confusion_matrix.png"
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "ev" / "reliability.png").read_bytes()[:4] == b"\x89PNG"
    assert re.search(r"calibration: expected calibration error \d\.\d{4}; confidence averages "
                     r"\d+\.\d% (above|below) accuracy", out)
    import json

    cal = json.loads((tmp_path / "ev" / "metrics.json").read_text())["calibration"]
    assert 0 <= cal["ece"] <= 1 and sum(b["n"] for b in cal["bins"]) == 80


def test_evaluate_lists_the_most_confident_mistakes_with_their_words(tmp_path, capsys):
    from tweetlab.models import create

    from .conftest import make_corpus

    texts, labels = make_corpus(200)
    model = create("tfidf").fit(texts, labels).save(tmp_path / "m")
    test = tmp_path / "test.csv"
    rows = [("the movie was awesome today", "positive"),   # right
            ("this was awful", "negative"),                # right
            ("so i love the movie", "negative"),  # wrong, and sure of it
            ("the movie was boring", "positive"),          # wrong
            ("hate this", "negative")]                     # right
    with test.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "label"])
        w.writerows(rows)
    code, out, _ = run(["evaluate", str(model), str(test), "--out", str(tmp_path / "ev")],
                       capsys)
    assert code == 0
    table = list(csv.DictReader((tmp_path / "ev" / "mistakes.csv").open(encoding="utf-8")))
    assert sorted(r["line"] for r in table) == ["4", "5"]  # lines of the file
    assert float(table[0]["confidence"]) >= float(table[1]["confidence"])  # surest first
    row = {r["line"]: r for r in table}
    assert row["4"]["label"] == "positive" and row["4"]["words"].startswith("love +")
    assert row["5"]["label"] == "negative" and row["5"]["words"].startswith("boring +")
    assert "most confident mistakes (2 in all" in out
    assert "line 4: negative labelled positive" in out and "words for positive: love +" in out
    import json

    saved = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    assert "predicted" not in saved and "confidence" not in saved
    code, out, _ = run(["evaluate", str(model), str(test), "--out", str(tmp_path / "ev"),
                        "--mistakes", "0"], capsys)
    table = list(csv.DictReader((tmp_path / "ev" / "mistakes.csv").open(encoding="utf-8")))
    assert code == 0 and len(table) == 2 and {r["words"] for r in table} == {""}
    assert "words for" not in out


def test_evaluate_of_a_binary_model_shows_neutral_bands_and_finds_one(tmp_path, capsys):
    import json

    from tweetlab.models import create

    from .conftest import make_corpus

    texts, labels = make_corpus(200)
    model = create("tfidf").fit(texts, labels).save(tmp_path / "m")
    t3, l3 = make_corpus(60, seed=1, classes=3)  # a third of them neutral (fillers only)
    test = tmp_path / "three.csv"
    with test.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([("text", "label"), *zip(t3, l3, strict=True)])
    code, out, err = run(["evaluate", str(model), str(test), "--out", str(tmp_path / "ev")],
                         capsys)
    assert code == 0 and "count as errors" in err
    assert "neutral band (P(positive) from LOW to HIGH labelled neutral" in out
    best = re.search(r"best band for these labels: --neutral-band ([\d.]+) ([\d.]+) "
                     r"\(macro-F1 ([\d.]+), accuracy [\d.]+; no band: ([\d.]+)", out)
    assert best, out
    lo, hi, with_band, without = map(float, best.groups())
    assert lo < hi and with_band > without + 0.2  # the fillers-only tweets fall in the band
    saved = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    assert saved["neutral_bands"]["best"]["band"] == [lo, hi]
    assert saved["neutral_bands"]["rows"][0]["band"] is None
    # the band it found, passed back, gives that score
    code, out, _ = run(["evaluate", str(model), str(test), "--out", str(tmp_path / "ev2"),
                        "--neutral-band", str(lo), str(hi)], capsys)
    assert code == 0 and f"macro-F1: {with_band:.4f}" in out.splitlines()[0]
    # two-class gold labels: the table, no search
    t2, l2 = make_corpus(40, seed=2)
    two = tmp_path / "two.csv"
    with two.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([("text", "label"), *zip(t2, l2, strict=True)])
    code, out, _ = run(["evaluate", str(model), str(two), "--out", str(tmp_path / "ev3")],
                       capsys)
    assert code == 0 and "accuracy of the rest" in out and "best band" not in out


def test_evaluate_on_the_training_file_warns(trained, csv_file, tmp_path, capsys):
    code, _, err = run(["evaluate", str(trained), str(csv_file), "--out", str(tmp_path / "a")],
                       capsys)
    assert code == 0 and "is the file this model was trained on" in err
    other = tmp_path / "other.csv"
    lines = csv_file.read_text(encoding="utf-8").splitlines()
    other.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")  # one row fewer
    code, _, err = run(["evaluate", str(trained), str(other), "--out", str(tmp_path / "b")],
                       capsys)
    assert code == 0 and "trained on" not in err


def test_info_describes_the_model(trained, capsys):
    code, out, _ = run(["info", str(trained)], capsys)
    assert code == 0
    assert "family:   fasttext" in out and "labels:   negative, positive" in out
    # fasttext's compiled step trains in float32 on the CPU, whatever the CPU
    assert re.search(r"trained on: .*\(\d+ examples, [\d.]+ s, cpu\)", out), out


def test_missing_model_is_a_clear_error(tmp_path, capsys):
    code, _, err = run(["predict", str(tmp_path / "nothing"), "hi"], capsys)
    assert code == 2 and "not found" in err


def test_leakage_command(csv_file, capsys):
    code, out, _ = run(["leakage", str(csv_file), str(csv_file), "--strict"], capsys)
    assert code == 1 and "80 of 80 rows" in out


def test_predict_file_api_with_a_neutral_band(trained, tmp_path):
    import json

    from tweetlab import Dataset
    from tweetlab.api import predict_file, predict_table

    ds = Dataset(texts=["I love this awesome movie", "meh", "I hate this awful movie"])
    header, rows = predict_table(trained, ds, neutral_band=(0.2, 0.8))
    assert "true_label" not in header and len(rows) == 3
    at = header.index("label")
    assert {r[at] for r in rows} <= {"negative", "neutral", "positive"}
    counts = predict_file(trained, ds, tmp_path / "p.jsonl", neutral_band=(0.2, 0.8))
    lines = [json.loads(x) for x in (tmp_path / "p.jsonl").read_text().splitlines()]
    assert [x["label"] for x in lines] == [r[at] for r in rows]
    assert sum(counts.values()) == 3
    for x in lines:
        if x["label"] == "neutral":
            assert abs(x["confidence"] - (1 - 2 * abs(x["p_positive"] - 0.5))) < 1e-3


def test_evaluate_with_foreign_label_names_needs_a_label_map(trained, tmp_path, csv_file,
                                                             capsys):
    rows = list(csv.reader(csv_file.open()))
    renamed = tmp_path / "renamed.csv"
    with renamed.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(rows[0])
        w.writerows([*r[:3], {"positive": "4", "negative": "0"}[r[3]]] for r in rows[1:])
    code, _, err = run(["evaluate", str(trained), str(renamed)], capsys)
    assert code == 2 and "none of the data's labels (0, 4)" in err and "--label-map" in err
    assert "Traceback" not in err
    code, out, _ = run(["evaluate", str(trained), str(csv_file)], capsys)
    direct = out.split("accuracy:")[1].split()[0]
    code, out, _ = run(["evaluate", str(trained), str(renamed), "--label-map",
                        "0=negative,4=positive"], capsys)
    assert code == 0 and out.split("accuracy:")[1].split()[0] == direct
    code, _, err = run(["evaluate", str(trained), str(renamed), "--label-map", "0"], capsys)
    assert code == 2 and "is not OLD=NEW" in err


@pytest.mark.parametrize("size", ["1.5", "-1"])
def test_bad_valid_size_is_a_clear_error(tmp_path, csv_file, capsys, size):
    code, _, err = run(["train", str(csv_file), "--out", str(tmp_path / "m"), "--valid-size",
                        size], capsys)
    assert code == 2 and f"valid_size = {float(size)}" in err and "Traceback" not in err
    assert not (tmp_path / "m").exists()


def test_evaluating_a_split_of_the_training_file_does_not_warn(tmp_path, csv_file, caplog):
    # A held-out split read from the same file as the training part is not the training
    # file: only whole files are compared.
    import tweetlab
    from tweetlab.data import load_dataset, split_dataset

    train_part, test_part = split_dataset(load_dataset(csv_file), test_size=0.3, seed=0)
    model = tweetlab.train(csv_file, model="tfidf", valid_size=0)
    with caplog.at_level("WARNING", logger="tweetlab"):
        tweetlab.evaluate(model, test_part)
    assert "trained on" not in caplog.text
    with caplog.at_level("WARNING", logger="tweetlab"):
        tweetlab.evaluate(model, csv_file)
    assert "is the file this model was trained on" in caplog.text


def test_predict_table_with_a_progress_bar_scores_the_same(trained, monkeypatch, capsys):
    import tweetlab
    from tweetlab.data import Dataset
    from tweetlab.models.base import TextClassifier

    model = tweetlab.load(trained)
    ds = Dataset(texts=["what a great happy day", "awful terrible news"] * 25)
    plain = tweetlab.predict_table(model, ds)
    monkeypatch.setattr(TextClassifier, "PREDICT_CHUNK", 7)  # 8 chunks, a bar over them
    assert tweetlab.predict_table(model, ds, progress=True) == plain
    assert "predict" in capsys.readouterr().err


def test_an_unwritable_output_fails_before_training(tmp_path, csv_file, capsys, monkeypatch):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")  # a file where a folder would have to be: nothing can go there
    import tweetlab.models.base as base

    def must_not_train(*args, **kwargs):
        raise AssertionError("trained although the output cannot be written")

    monkeypatch.setattr(base.TextClassifier, "fit", must_not_train)
    for args in (["train", str(csv_file), "--out", str(blocker / "m")],
                 ["compare", str(csv_file), "--out", str(blocker / "c")],
                 ["analyze", str(csv_file), "--out", str(blocker / "a")]):
        code, _, err = run(args, capsys)
        assert code == 2 and "cannot write" in err and "Traceback" not in err, args


def test_predict_to_an_unwritable_place_and_os_errors_are_one_line(trained, csv_file, tmp_path,
                                                                   capsys, monkeypatch):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    code, _, err = run(["predict", str(trained), "--input", str(csv_file), "--output",
                        str(blocker / "out.csv")], capsys)
    assert code == 2 and "cannot write out.csv" in err
    import tweetlab.cli as cli

    def disk_full(args):
        raise OSError(28, "No space left on device", "/data/out.csv")

    monkeypatch.setattr(cli, "cmd_info", disk_full)
    code, _, err = run(["info", str(trained)], capsys)
    assert code == 2 and err.strip() == "error: No space left on device: /data/out.csv"


def test_predict_columns_make_a_kaggle_submission(trained, tmp_path, capsys):
    src = tmp_path / "test.csv"
    src.write_text("id,keyword,text\n11,fire,forest fire near the town\n12,,what a lovely day\n",
                   encoding="utf-8")
    out = tmp_path / "submission.csv"
    code, stdout, _ = run(["predict", str(trained), "--input", str(src), "--output", str(out),
                           "--columns", "id,target=label"], capsys)
    assert code == 0 and "2 predictions" in stdout
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "id,target" and [x.split(",")[0] for x in lines[1:]] == ["11", "12"]
    code, _, err = run(["predict", str(trained), "--input", str(src), "--columns", "id,nope"],
                       capsys)
    assert code == 2 and "no output column 'nope'" in err


def test_every_command_has_help_text_that_renders():
    import argparse

    from tweetlab.cli import build_parser

    def parsers(p: argparse.ArgumentParser):
        yield p
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    yield from parsers(sub)

    seen = list(parsers(build_parser()))
    assert len(seen) > 15  # the top level, every command and the generator subcommands
    for p in seen:
        text = p.format_help()
        assert "%%" not in text and "%(" not in text, p.prog


def test_main_puts_the_logger_back_as_it_was():
    import logging

    log = logging.getLogger("tweetlab")
    before = (log.handlers[:], log.propagate, log.level)
    with pytest.raises(SystemExit):
        main(["--version"])
    assert main(["predict", "a lovely day"]) == 0
    assert (log.handlers, log.propagate, log.level) == before


def test_ctrl_c_mentions_resume_only_for_commands_that_can_resume(trained, csv_file, capsys,
                                                                   monkeypatch):
    import tweetlab.cli

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(tweetlab.cli, "load", interrupt)
    assert main(["predict", str(trained), "a tweet"]) == 130
    err = capsys.readouterr().err
    assert "interrupted" in err and "--resume" not in err
    monkeypatch.setattr(tweetlab.cli, "train", interrupt)
    assert main(["train", str(csv_file), "--out", str(trained.parent / "new")]) == 130
    assert "plus --resume continues it" in capsys.readouterr().err
    monkeypatch.setattr(tweetlab.cli, "build", interrupt)  # tweetlab build resumes too
    assert main(["build", "en-sentiment", "--data", str(csv_file.parent)]) == 130
    assert "plus --resume continues it" in capsys.readouterr().err


@pytest.mark.parametrize("argv, hint", [
    (["trian", "data.csv"], "did you mean train?"),
    (["train", "data.csv", "--model", "fastext"], "did you mean fasttext?"),
    (["generator", "trian"], "did you mean train?"),
    (["train", "data.csv", "--modle", "tfidf"], "did you mean --model?"),
    (["collect", "tweets.js"], "to read a file: tweetlab collect import FILE"),
    (["generator", "petro.csv"], "to read a file: tweetlab generator train FILE"),
    (["tweets.csv"], "to read a file: tweetlab train FILE"),
])
def test_a_mistyped_command_or_option_names_what_was_meant(argv, hint, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2 and hint in capsys.readouterr().err


def test_an_unknown_word_gets_no_made_up_suggestion(capsys):
    with pytest.raises(SystemExit):
        main(["collect", "bogus"])
    with pytest.raises(SystemExit):
        main(["train", "data.csv", "--zzz", "1"])
    err = capsys.readouterr().err
    assert "did you mean" not in err and "to read a file" not in err


def test_quiet_may_follow_the_command(tmp_path, csv_file, capsys):
    for argv in (["-q", "train"], ["train"]):
        out = tmp_path / f"m{len(argv)}"
        rest = ["-q"] if argv == ["train"] else []
        code, _, err = run([*argv, str(csv_file), "--model", "tfidf", "--out", str(out), *rest],
                           capsys)
        assert code == 0 and "tweetlab: training" not in err
    code, _, err = run(["train", str(csv_file), "--model", "tfidf", "--out",
                        str(tmp_path / "loud")], capsys)
    assert code == 0 and "tweetlab: training" in err  # not quiet unless asked


# ------------------------------------------------------- files labelled a piece at a time
@pytest.mark.parametrize("name", ["p.csv", "p.tsv.gz", "p.jsonl", "p.parquet"])
def test_predict_file_in_pieces_writes_the_same_table_as_at_once(trained, csv_file, tmp_path,
                                                                  name):
    import tweetlab
    from tweetlab.data import load_dataset

    if name.endswith("parquet"):
        pytest.importorskip("pyarrow")
    header, rows = tweetlab.predict_table(trained, csv_file)
    counts = tweetlab.predict_file(trained, csv_file, tmp_path / name, chunk_size=7)
    assert sum(counts.values()) == len(rows) == 80
    back = load_dataset(tmp_path / name, label="label")
    assert back.texts == [r[header.index("text")] for r in rows]
    assert back.labels == [r[header.index("label")] for r in rows]
    assert back.columns["id"] == [r[0] for r in rows]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_predict_file_stops_cleanly_at_a_bad_row_far_into_the_file(trained, csv_file,
                                                                   tmp_path):
    import tweetlab
    from tweetlab.errors import DataError

    src = tmp_path / "in.csv"
    lines = csv_file.read_text(encoding="utf-8").splitlines()
    src.write_text("\n".join(lines + ["1,2024-02-01,,positive"] + lines[1:]) + "\n",
                   encoding="utf-8")
    out = tmp_path / "out.csv"
    with pytest.raises(DataError, match="line 82.*empty text"):
        tweetlab.predict_file(trained, src, out, chunk_size=10)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "model", "tweets.csv"]
    counts = tweetlab.predict_file(trained, src, out, chunk_size=10, skip_bad_rows=True)
    assert sum(counts.values()) == 160


def test_predict_to_stdout_in_pieces_prints_one_header(trained, csv_file, capsys,
                                                       monkeypatch):
    from tweetlab.models.base import TextClassifier

    code, whole, _ = run(["predict", str(trained), "--input", str(csv_file), "--columns",
                          "id,label"], capsys)
    monkeypatch.setattr(TextClassifier, "PREDICT_CHUNK", 9)  # 9 pieces
    code, pieces, err = run(["predict", str(trained), "--input", str(csv_file), "--columns",
                             "id,label"], capsys)
    assert code == 0 and pieces == whole and pieces.count("id,label") == 1
    assert len(pieces.splitlines()) == 81 and "predict" in err  # a progress bar
    assert "80/80" in err  # its total: estimated while reading, exact at the end


def test_pieces_without_a_column_the_first_had_leave_its_cells_empty(trained, tmp_path):
    import tweetlab

    src = tmp_path / "t.jsonl"
    src.write_text('{"text": "happy great day", "sentiment": "positive"}\n'
                   '{"text": "awful news"}\n', encoding="utf-8")
    header, pieces = tweetlab.iter_predictions(trained, src, chunk_size=1)
    first, second = list(pieces)
    assert header[:2] == ["text", "true_label"]
    assert first[0][1] == "positive" and second[0][:2] == ["awful news", None]


def test_table_writer_leaves_nothing_when_the_work_fails(tmp_path):
    from tweetlab.data.writers import TableWriter

    out = tmp_path / "p.csv.gz"
    with pytest.raises(RuntimeError), TableWriter(out, ["a"]) as table:
        table.write([["1"]])
        raise RuntimeError("scoring failed")
    assert list(tmp_path.iterdir()) == []
    with TableWriter(out, ["a"]) as table:
        pass  # no rows: a table with its header only
    import gzip

    assert gzip.decompress(out.read_bytes()) == b"a\n"
    with pytest.raises(Exception, match="already exists"):
        TableWriter(out, ["a"])


def test_predict_file_with_worker_processes_writes_the_same_file(trained, csv_file, tmp_path,
                                                                 capsys):
    import tweetlab

    one = tweetlab.predict_file(trained, csv_file, tmp_path / "one.csv", chunk_size=9,
                                workers=1)
    two = tweetlab.predict_file(trained, csv_file, tmp_path / "two.csv", chunk_size=9,
                                workers=2)
    assert one == two
    assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "two.csv").read_bytes()
    code, _, err = run(["predict", str(trained), "--input", str(csv_file), "--workers", "0"],
                       capsys)
    assert code == 2 and "workers = 0" in err


def test_evaluate_a_large_file_shows_progress_and_scores_the_same(trained, csv_file,
                                                                  monkeypatch, capsys):
    import tweetlab
    from tweetlab.models.base import TextClassifier

    def scores(report):
        return {k: v for k, v in report.to_dict().items()
                if k not in ("predict_seconds", "tweets_per_second")}

    plain = scores(tweetlab.evaluate(trained, csv_file))
    band = scores(tweetlab.evaluate(trained, csv_file, neutral_band=(0.3, 0.7)))
    monkeypatch.setattr(TextClassifier, "PREDICT_CHUNK", 9)  # 9 pieces: a bar over them
    assert scores(tweetlab.evaluate(trained, csv_file, progress=True)) == plain
    assert "evaluate" in capsys.readouterr().err
    assert scores(tweetlab.evaluate(trained, csv_file, neutral_band=(0.3, 0.7),
                                    progress=True)) == band


def test_predict_shows_no_progress_bar_for_a_file_of_one_piece(trained, csv_file, capsys):
    code, _, err = run(["predict", str(trained), "--input", str(csv_file), "--columns", "id"],
                       capsys)
    assert code == 0 and "predict" not in err and "%|" not in err


def test_every_command_that_reads_a_tweet_table_takes_an_encoding(tmp_path, capsys):
    from tweetlab.cli import _command_parsers, build_parser

    for sub in _command_parsers(build_parser()):
        inputs = {a.dest for a in sub._actions if not a.option_strings} & {"data", "train",
                                                                           "test"}
        options = {o for a in sub._actions for o in a.option_strings}
        if inputs or "--input" in options:
            assert "--encoding" in options, sub.prog  # what a decoding error tells users to pass
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_bytes("text\ncafé au lait\nbonjour\n".encode("cp1252"))
    b.write_bytes("text\ncafé au lait\n".encode("cp1252"))
    code, _, err = run(["leakage", str(a), str(b)], capsys)
    assert code == 2 and "--encoding cp1252" in err
    code, out, _ = run(["leakage", str(a), str(b), "--encoding", "cp1252"], capsys)
    assert code == 0 and "1" in out


def test_piped_lines_are_scored_in_batches_with_the_same_labels(trained, monkeypatch, capsys):
    import tweetlab
    from tweetlab.cli import _waiting_lines

    lines = [f"{w} tweet number {i}" for i in range(300) for w in ("lovely", "awful")][:500]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines[:250]) + "\n\n  \n"
                                                 + "\r\n".join(lines[250:]) + "\n"))
    code, out, _ = run(["predict", str(trained)], capsys)
    got = out.splitlines()
    model = tweetlab.load(trained)
    assert code == 0 and len(got) == 500
    assert [g.split()[0] for g in got] == model.predict(lines)
    assert [g.split("%  ", 1)[1] for g in got] == lines
    batches = list(_waiting_lines(io.StringIO("a\nb\n\nc\n"), most=2))
    assert [x for b in batches for x in b] == ["a", "b", "c"] and max(map(len, batches)) <= 2


def test_generate_prints_one_tweet_per_line_even_with_line_breaks(monkeypatch, capsys):
    import json as _json

    import tweetlab.generation as generation

    class Stub:
        rejected_ = 0
        family = "char-lstm"

        def generate(self, *a, **k):
            return ["first line\nsecond line", "plain"]

    monkeypatch.setattr(generation, "load_generator", lambda path: Stub())
    code, out, _ = run(["generate", "any-folder", "--seed", "hi"], capsys)
    assert code == 0 and out.splitlines() == ["first line\\nsecond line", "plain"]
    code, out, _ = run(["generate", "any-folder", "--format", "jsonl"], capsys)
    assert [_json.loads(x)["text"] for x in out.splitlines()] == ["first line\nsecond line",
                                                                    "plain"]


def test_evaluate_warns_when_the_test_file_was_cut_from_the_training_file(tmp_path, capsys):
    from .conftest import make_corpus

    texts, labels = make_corpus(300, seed=11)
    whole = tmp_path / "all.csv"
    part = tmp_path / "part.csv"
    other = tmp_path / "other.csv"
    for path, rows in ((whole, range(300)), (part, range(40))):
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["text", "label"])
            w.writerows([texts[i], labels[i]] for i in rows)
    fresh, fresh_labels = make_corpus(60, seed=99)
    with other.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "label"])
        w.writerows(zip([t + " zzz" for t in fresh], fresh_labels, strict=True))
    model = tmp_path / "m"
    assert run(["train", str(whole), "--model", "tfidf", "--out", str(model)], capsys)[0] == 0
    assert (model / "training_texts.safetensors").exists()
    code, _, err = run(["evaluate", str(model), str(part), "--out", str(tmp_path / "e")], capsys)
    assert code == 0 and "were in this model's training part" in err
    code, _, err = run(["evaluate", str(model), str(other), "--out", str(tmp_path / "f")],
                       capsys)
    assert code == 0 and "training part" not in err
