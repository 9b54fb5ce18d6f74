import gzip
import json
from pathlib import Path

import pytest

from tweetlab.data import Dataset, check_leakage, iter_dataset, load_dataset, split_dataset
from tweetlab.errors import DataError


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_named_columns_are_found_and_extra_columns_travel(csv_file):
    ds = load_dataset(csv_file)
    assert len(ds) == 80
    assert set(ds.classes) == {"negative", "positive"}
    assert ds.columns["id"][0] == "1000"
    assert ds.columns["date"][0].startswith("2024-01-01")


def test_gzip_is_read_transparently(tmp_path, csv_file):
    gz = tmp_path / "tweets.csv.gz"
    gz.write_bytes(gzip.compress(csv_file.read_bytes()))
    assert load_dataset(gz).texts == load_dataset(csv_file).texts


def test_sentiment140_is_recognised_without_options(tmp_path):
    rows = ['"0","1467810369","Mon Apr 06 22:19:45 PDT 2009","NO_QUERY","bob","so sad caf\xe9"',
            '"4","1467810370","Mon Apr 06 22:19:49 PDT 2009","NO_QUERY","ann","love it"']
    ds = load_dataset(write(tmp_path / "s140.csv", "\n".join(rows) + "\n", "latin-1"))
    assert ds.format == "sentiment140"
    assert ds.labels == ["negative", "positive"]
    assert ds.texts[0] == "so sad café"
    assert ds.columns["user"] == ["bob", "ann"]


def test_kaggle_entity_file_without_header(tmp_path):
    text = ('2401,Borderlands,Positive,"im getting on borderlands, and i will murder you all"\n'
            "2402,Nvidia,Negative,drivers broke again\n")
    ds = load_dataset(write(tmp_path / "twitter_training.csv", text))
    assert ds.format == "entity"
    assert ds.labels == ["Positive", "Negative"]
    assert ds.columns["entity"] == ["Borderlands", "Nvidia"]
    assert ds.texts[0].startswith("im getting on borderlands, and")


def test_kaggle_disaster_file(tmp_path):
    text = ("id,keyword,location,text,target\n1,,,Our Deeds are the Reason,1\n"
            "4,fire,Canada,Forest fire near La Ronge,1\n5,,,what a nice day,0\n")
    ds = load_dataset(write(tmp_path / "train.csv", text))
    assert ds.format == "disaster"
    assert ds.labels == ["1", "1", "0"]
    assert ds.columns["keyword"] == ["", "fire", ""]


def test_tweeteval_pair_with_mapping(tmp_path):
    write(tmp_path / "train_text.txt", "good one \nbad one \nmeh \n")
    write(tmp_path / "train_labels.txt", "2\n0\n1\n")
    write(tmp_path / "mapping.txt", "0\tnegative\n1\tneutral\n2\tpositive\n")
    ds = load_dataset(tmp_path / "train_text.txt")
    assert ds.format == "tweeteval"
    assert ds.labels == ["positive", "negative", "neutral"]


def test_rutweetcorp_semicolon_file(tmp_path):
    text = ('"408906692374446080";"1386325927";"pleease_shut_up";"хоть я и школота :D";"1";"0";'
            '"0";"0";"7569";"62";"61";"0"\n'
            '"408906692374446081";"1386325928";"vasya";"всё плохо";"-1";"0";"0";"0";"1";"2";"3";"0"\n')
    ds = load_dataset(write(tmp_path / "positive.csv", text))
    assert ds.format == "rutweetcorp"
    assert ds.labels == ["positive", "negative"]
    assert ds.texts[1] == "всё плохо"


def test_tsv_jsonl_and_parquet(tmp_path):
    write(tmp_path / "a.tsv", "tweet\tlabel\nhi there\tpos\nugh\tneg\n")
    assert load_dataset(tmp_path / "a.tsv").labels == ["pos", "neg"]
    lines = [json.dumps({"full_text": "hola", "label": 1, "user": "x"}),
             json.dumps({"full_text": "adiós", "label": 0, "user": "y"})]
    ds = load_dataset(write(tmp_path / "a.jsonl", "\n".join(lines)))
    assert ds.texts == ["hola", "adiós"] and ds.labels == ["1", "0"]
    assert ds.columns["user"] == ["x", "y"]
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    pd.DataFrame({"text": ["a b", "c d"], "label": ["x", "y"]}).to_parquet(tmp_path / "a.parquet")
    assert load_dataset(tmp_path / "a.parquet").labels == ["x", "y"]


def test_quoted_newlines_keep_line_numbers(tmp_path):
    text = 'text,label\n"line one\nline two",a\n"",b\n'
    with pytest.raises(DataError) as err:
        load_dataset(write(tmp_path / "q.csv", text))
    assert err.value.line == 4 and err.value.field == "text"


def test_missing_file_error_names_the_file(tmp_path):
    with pytest.raises(DataError, match="nope.csv: file not found"):
        load_dataset(tmp_path / "nope.csv")


def test_unknown_column_error_lists_the_columns(csv_file):
    with pytest.raises(DataError) as err:
        load_dataset(csv_file, text="body_text")
    assert "id, date, text, sentiment" in str(err.value)
    assert err.value.field == "body_text"


def test_undecodable_bytes_error_names_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"text,label\nfine,a\nbroken \xff byte,b\n")
    with pytest.raises(DataError) as err:
        load_dataset(path)
    assert err.value.line == 3
    # the suggestion is an encoding that decodes the whole file: cp1252 (what Windows
    # programs write) when it does, else latin-1 (which decodes any byte)
    assert "'ÿ' in cp1252" in str(err.value) and "--encoding cp1252" in str(err.value)
    assert load_dataset(path, encoding="cp1252").texts[1] == "broken ÿ byte"
    path.write_bytes(b"text,label\nfine,a\nbroken \xff byte \x81,b\n")  # 0x81: not cp1252
    with pytest.raises(DataError, match="--encoding latin-1"):
        load_dataset(path)


def test_empty_text_error_names_line_and_field(tmp_path):
    with pytest.raises(DataError) as err:
        load_dataset(write(tmp_path / "e.csv", "tweet,label\nok,a\n   ,b\n"))
    assert (err.value.line, err.value.field, err.value.message) == (3, "tweet", "empty text")


def test_malformed_row_error_and_skip_bad_rows(tmp_path):
    path = write(tmp_path / "m.csv", "text,label\nok,a\ntoo,many,fields\n,b\nfine,b\nlast,\n")
    with pytest.raises(DataError, match="line 3: malformed row: expected 2 fields, found 3"):
        load_dataset(path)
    ds = load_dataset(path, skip_bad_rows=True)
    assert ds.texts == ["ok", "fine"]
    assert [(r.line, r.reason) for r in ds.skipped] == [
        (3, "malformed row: expected 2 fields, found 3"), (4, "empty text"), (6, "missing label")]


def test_invalid_json_line_is_located(tmp_path):
    path = write(tmp_path / "x.jsonl", '{"text": "a", "label": "x"}\n{"text": oops}\n')
    with pytest.raises(DataError, match="line 2: invalid JSON"):
        load_dataset(path)


def test_unlabelled_data_can_be_read_for_prediction(tmp_path):
    ds = load_dataset(write(tmp_path / "u.csv", "text\nhello\nworld\n"), require_labels=False)
    assert ds.labels is None and ds.texts == ["hello", "world"]


def test_stratified_split_keeps_label_shares():
    ds = Dataset(texts=[str(i) for i in range(100)], labels=["a"] * 80 + ["b"] * 20)
    train, test = split_dataset(ds, test_size=0.25, by="stratified", seed=3)
    assert test.label_counts() == {"a": 20, "b": 5}
    assert set(train.texts).isdisjoint(test.texts)


def test_group_split_never_separates_an_id():
    ids = [str(i // 6) for i in range(120)]
    ds = Dataset(texts=[f"t{i}" for i in range(120)], labels=["a", "b"] * 60, columns={"id": ids})
    train, test = split_dataset(ds, test_size=0.2, seed=1)  # auto -> group
    assert set(train.columns["id"]).isdisjoint(test.columns["id"])
    assert 12 <= len(test) <= 36


def test_time_split_puts_newest_rows_in_test():
    dates = [f"2024-01-{d:02d}" for d in range(1, 21)]
    ds = Dataset(texts=[str(i) for i in range(20)], labels=None, columns={"date": dates})
    train, test = split_dataset(ds, test_size=0.25, by="time")
    assert min(test.columns["date"]) > max(train.columns["date"])


def test_time_split_rejects_unparsable_dates():
    ds = Dataset(texts=["a", "b", "c"], columns={"date": ["2024-01-01", "soon", "2024-01-02"]},
                 lines=[2, 3, 4], source="d.csv")
    with pytest.raises(DataError, match="d.csv, line 3, field 'date': unparsable date"):
        split_dataset(ds, test_size=1, by="time")


def test_leakage_check_counts_exact_and_normalised_overlap():
    a = Dataset(texts=["Hello world", "fire in town https://t.co/x"])
    b = Dataset(texts=["Hello world", "FIRE in town!! https://t.co/y", "new tweet"])
    report = check_leakage(a, b)
    assert (report.exact, report.normalized) == (1, 2)


def test_labels_not_required_are_kept_only_when_every_row_has_one(tmp_path):
    full = tmp_path / "full.csv"
    full.write_text("text,label\nfine day,pos\nawful day,neg\n")
    part = tmp_path / "part.csv"
    part.write_text("text,label\nfine day,pos\nawful day,\n")
    assert load_dataset(full, require_labels=False).labels == ["pos", "neg"]
    ds = load_dataset(part, require_labels=False)
    assert ds.labels is None and ds.texts == ["fine day", "awful day"]


def test_a_file_without_a_text_column_is_named_briefly(tmp_path):
    # A pixel CSV given to a text model: the message stays one readable line and says
    # what to do, instead of listing 785 column names.
    path = tmp_path / "digits.csv"
    header = ["label"] + [f"pixel{i}" for i in range(784)]
    path.write_text(",".join(header) + "\n" + ",".join(["3"] + ["0"] * 784) + "\n",
                    encoding="utf-8")
    with pytest.raises(DataError) as err:
        load_dataset(path)
    msg = str(err.value)
    assert "... (785 columns)" in msg and "pixel783" not in msg
    assert "image-cnn" in msg
    plain = tmp_path / "plain.csv"
    plain.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"columns: a, b \(name it with"):
        load_dataset(plain)


# --------------------------------------------------------------- chunked reading (stream)
def _chunks(path, **kw):
    from tweetlab.data.stream import iter_chunks

    return list(iter_chunks(path, **kw))


def test_chunks_of_a_gzip_csv_hold_every_row_with_its_number_and_roles(tmp_path):
    rows = ["id,tweet,created_at,lang"] + [f'{i},"tweet, number {i}",2024-01-0{1 + i % 9},en'
                                           for i in range(7)]
    path = tmp_path / "t.csv.gz"
    path.write_bytes(gzip.compress(("\n".join(rows) + "\n").encode()))
    chunks = _chunks(path, chunk_size=3)
    assert [len(c) for c in chunks] == [3, 3, 1]
    texts = [t for c in chunks for t in c["text"]]
    assert texts == load_dataset(path, require_labels=False).texts == \
        [f"tweet, number {i}" for i in range(7)]
    assert [r for c in chunks for r in c["_row"]] == list(range(1, 8))
    assert {"id", "date", "lang"} <= set(chunks[0].columns)


def test_chunks_name_the_columns_of_the_headerless_entity_layout(tmp_path):
    path = tmp_path / "e.csv"
    path.write_text('1,Nvidia,Positive,"great drivers"\n1,Nvidia,Positive,""\n'
                    '2,Amazon,Negative,late again\n')
    (chunk,) = _chunks(path)
    assert list(chunk["text"]) == ["great drivers", "", "late again"]
    assert list(chunk["entity"]) == ["Nvidia", "Nvidia", "Amazon"]
    assert list(chunk["label"]) == ["Positive", "Positive", "Negative"]


def test_chunks_of_jsonl_take_the_user_name_and_name_a_bad_line(tmp_path):
    good = [{"text": "hola", "user": {"screen_name": "ana", "id": 1}}, "a bare string"]
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join(json.dumps(o) for o in good) + "\n\n")
    (chunk,) = _chunks(path)
    assert list(chunk["text"]) == ["hola", "a bare string"] and chunk["user"][0] == "ana"
    path.write_text(json.dumps(good[0]) + "\n{oops\n")
    with pytest.raises(DataError, match=r"line 2.*invalid JSON"):
        _chunks(path)


def test_chunks_of_parquet(tmp_path):
    pd = pytest.importorskip("pandas")
    path = tmp_path / "t.parquet"
    pd.DataFrame({"text": [f"t{i}" for i in range(5)], "label": ["a", "b"] * 2 + ["a"]}
                 ).to_parquet(path)
    chunks = _chunks(path, chunk_size=2)
    assert [list(c["text"]) for c in chunks] == [["t0", "t1"], ["t2", "t3"], ["t4"]]
    assert [r for c in chunks for r in c["_row"]] == [1, 2, 3, 4, 5]


def test_chunked_reading_errors_name_the_file_and_say_what_to_do(tmp_path):
    csv_path = tmp_path / "t.csv"
    csv_path.write_text("words,when\nhi,2024\n")
    with pytest.raises(DataError, match=r"t\.csv.*cannot tell which column.*--text"):
        _chunks(csv_path)
    with pytest.raises(DataError, match=r"no column 'tweet'.*words, when"):
        _chunks(csv_path, text="tweet")
    assert list(_chunks(csv_path, text="words")[0]["text"]) == ["hi"]
    with pytest.raises(DataError, match="file not found"):
        _chunks(tmp_path / "none.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataError, match="file is empty"):
        _chunks(tmp_path / "empty.csv")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("text\ncaf\xe9 con leche\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"latin\.csv.*cannot decode.*--encoding cp1252") as err:
        _chunks(latin)
    assert err.value.line == 2 and "0xe9 at column 4" in str(err.value)
    assert list(_chunks(latin, encoding="latin-1")[0]["text"]) == ["café con leche"]


def _write(path: Path, content: str | bytes) -> Path:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


@pytest.mark.parametrize("name, content, options, message", [
    ("folder", None, {}, "is a folder"),
    ("t.csv.gz", b"\x1f\x8bnot really gzip", {}, "t.csv.gz"),
    ("t.csv", "text,label\nhi,a\n", {"encoding": "klingon"}, "klingon"),
    ("t.csv", "text,label\n,a\n   ,b\n", {"skip_bad_rows": True}, "no usable rows"),
    ("t.jsonl", '{"text": 5, "label": "a"}\n', {}, "line 1.*'text'.*expected text, found int"),
    ("t.jsonl", '{"words": "hi", "label": "a"}\n', {}, "fields: words, label"),
    ("t.jsonl", '{"text": "hi", "what": "a"}\n', {}, "which field holds the label"),
    ("t.csv", "text,label\nhi,a\n", {"format": "xml"}, "unknown format 'xml'"),
    ("x_text.txt", "one\ntwo\n", {}, "x_labels.txt"),
])
def test_reading_errors_name_the_file_and_the_problem(tmp_path, name, content, options, message):
    path = tmp_path / name
    if content is None:
        path.mkdir()
    else:
        _write(path, content)
    with pytest.raises(DataError, match=message) as err:
        load_dataset(path, **options)
    assert name in str(err.value)


def test_tweeteval_texts_and_labels_must_pair_up(tmp_path):
    _write(tmp_path / "x_text.txt", "one\ntwo\nthree\n")
    _write(tmp_path / "x_labels.txt", "0\n1\n")
    with pytest.raises(DataError, match="3 texts but 2 labels in x_labels.txt"):
        load_dataset(tmp_path / "x_text.txt")


def test_parquet_without_a_label_column_is_a_clear_error_unless_labels_are_optional(tmp_path):
    pd = pytest.importorskip("pandas")
    path = tmp_path / "t.parquet"
    pd.DataFrame({"text": ["a", "b"], "other": [1, 2]}).to_parquet(path)
    with pytest.raises(DataError, match="which column holds the label; columns: text, other"):
        load_dataset(path)
    assert load_dataset(path, require_labels=False).texts == ["a", "b"]


# ---------------------------------------------------------------- reading a piece at a time
def test_iter_dataset_pieces_hold_every_row_with_lines_skips_and_labels(tmp_path):
    from tweetlab.data import iter_dataset

    rows = ["text,label"] + [f"tweet {i},{'ab'[i % 2]}" for i in range(10)]
    rows[3] = ",a"  # line 4: an empty text
    rows[7] = "tweet 6,"  # line 8: no label
    path = write(tmp_path / "t.csv.gz", "")
    path.write_bytes(gzip.compress(("\n".join(rows) + "\n").encode()))
    pieces = list(iter_dataset(path, chunk_size=3, skip_bad_rows=True, require_labels=False))
    assert [len(p) for p in pieces] == [3, 3, 3]
    assert [line for p in pieces for line in p.lines] == [2, 3, 5, 6, 7, 8, 9, 10, 11]
    assert [[r.line for r in p.skipped] for p in pieces] == [[4], [], []]
    # labels are kept in a piece when each of its rows has one
    assert pieces[0].labels == ["a", "b", "b"] and pieces[1].labels is None
    whole = load_dataset(path, skip_bad_rows=True, require_labels=False)
    assert [t for p in pieces for t in p.texts] == whole.texts
    with pytest.raises(DataError, match="line 4.*empty text"):
        list(iter_dataset(path, chunk_size=3))


def test_a_bad_byte_far_into_a_file_is_located_across_read_blocks(tmp_path, monkeypatch):
    import tweetlab.data.readers as readers

    monkeypatch.setattr(readers, "_BLOCK", 7)  # blocks end inside lines and characters
    line = "caf\u00e9 \u00f1and\u00fa,a\n"  # two-byte characters
    body = ("\ufefftext,label\n" + line * 5).encode() + b"bro\xffken,b\n"
    path = tmp_path / "t.csv.gz"
    path.write_bytes(gzip.compress(body))
    with pytest.raises(DataError) as err:
        load_dataset(path)
    assert err.value.line == 7 and "0xff at column 4" in str(err.value)
    assert "cp1252" in str(err.value)
    path.write_bytes(gzip.compress(body.replace(b"\xff", b"")))  # the BOM is not text
    assert load_dataset(path).texts == ["caf\u00e9 \u00f1and\u00fa"] * 5 + ["broken"]


def test_a_file_cut_short_is_named_as_damaged(tmp_path):
    path = tmp_path / "t.csv.gz"
    path.write_bytes(gzip.compress(b"text,label\n" + b"hello there,a\n" * 5000)[:-30])
    with pytest.raises(DataError, match="t.csv.gz.*damaged gzip data"):
        load_dataset(path)


def _long_file(path: Path) -> Path:
    """3,000 tweets of ~400 characters as CSV (gzip by the name), JSONL or Parquet."""
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"text": [f"tweet number {i} " * 20 for i in range(3000)]})
    if path.name.endswith(".parquet"):
        frame.to_parquet(path, row_group_size=500)
    elif path.name.endswith(".jsonl"):
        frame.to_json(path, orient="records", lines=True)
    else:
        frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("name", ["t.csv", "t.csv.gz", "t.jsonl", "t.parquet"])
def test_pieces_say_how_far_into_the_file_reading_has_got(tmp_path, name):
    from tweetlab.data import iter_dataset

    path = _long_file(tmp_path / name)
    pieces = iter_dataset(path, chunk_size=500, require_labels=False)
    seen = []
    for _ in pieces:
        seen.append(pieces.fraction_read)
    assert len(seen) == 6 and seen == sorted(seen) and seen[-1] == 1.0
    assert 0 < seen[0] < 0.9  # a piece in, reading is not done


@pytest.mark.parametrize("name", ["t.csv.gz", "t.jsonl", "t.parquet"])
def test_chunks_for_analyze_say_how_far_into_the_file_reading_has_got(tmp_path, name):
    from tweetlab.data.readers import ReadPosition
    from tweetlab.data.stream import iter_chunks

    path = _long_file(tmp_path / name)
    position = ReadPosition(path)
    seen = [position.fraction() for _ in iter_chunks(path, chunk_size=500, position=position)]
    assert len(seen) == 6 and seen == sorted(seen) and seen[-1] == 1.0
    assert 0 < seen[0] < 0.9


def test_a_dataset_says_what_it_holds_and_refuses_ragged_columns():
    from tweetlab.data import Dataset

    ds = Dataset(texts=["a", "b", "c"], labels=["x", "y", "x"], columns={"id": [1, 2, 3]},
                 source="t.csv", format="csv")
    assert repr(ds) == "Dataset(3 rows; labels {x: 2, y: 1}; columns ['id']; from 't.csv' (csv))"
    with pytest.raises(ValueError, match="2 labels for 3 texts"):
        Dataset(texts=["a", "b", "c"], labels=["x", "y"])
    with pytest.raises(ValueError, match="column 'id' has 1 values for 2 texts"):
        Dataset(texts=["a", "b"], columns={"id": [1]})


def test_bad_jsonl_lines_are_named_and_can_be_skipped(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('{"text": "good", "label": "pos"}\n'
                    '{"text": "bad", "label": "neg"\n'          # line 2: cut short
                    '["a list", "not an object"]\n'              # line 3
                    '{"text": 42, "label": "neg"}\n'             # line 4: a number as text
                    '\n'
                    '{"text": "fine", "label": "neg"}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"line 2.*invalid JSON"):
        load_dataset(path)
    ds = load_dataset(path, skip_bad_rows=True)
    assert ds.texts == ["good", "fine"] and ds.lines == [1, 6]
    # (lines 2 and 3 were read while the reader looked ahead for the field names: they
    # went uncounted before)
    assert [s.line for s in ds.skipped] == [2, 3, 4]
    assert ds.skipped[0].reason.startswith("invalid JSON")
    assert ds.skipped[1].reason == "expected a JSON object per line"
    assert ds.skipped[2].reason == "expected text, found int"
    pieces = list(iter_dataset(path, chunk_size=1, skip_bad_rows=True))
    assert sum(len(p.skipped) for p in pieces) == 3 and [p.texts for p in pieces] == [
        ["good"], ["fine"]]


def test_an_empty_or_unreadable_file_is_one_clear_error(tmp_path):
    empty = tmp_path / "e.csv"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(DataError, match="file is empty"):
        load_dataset(empty)
    nothing = tmp_path / "e.jsonl"
    nothing.write_text("\n", encoding="utf-8")
    with pytest.raises(DataError, match="no JSON objects"):
        load_dataset(nothing)
    pytest.importorskip("pyarrow")
    broken = tmp_path / "b.parquet"
    broken.write_bytes(b"PAR1 this is not really parquet")
    with pytest.raises(DataError, match="cannot read Parquet"):
        load_dataset(broken)


@pytest.mark.parametrize(("head", "kind"), [(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG image"),
                                            (b"\x7fELF\x02\x01\x01\x00\x00\xff\xfe", "ELF"),
                                            (b"\xff\xfei\x00d\x00", "UTF-16")])
def test_a_file_that_is_not_text_is_named_as_such_not_given_an_encoding_hint(tmp_path, head,
                                                                            kind):
    path = tmp_path / "input.csv"
    path.write_bytes(head + bytes(range(256)) * 4)
    with pytest.raises(DataError, match=f"not a text file of tweets: it looks like .*{kind}") \
            as err:
        load_dataset(path)
    assert "--encoding" not in str(err.value)
