"""The REST service: predictions, models, limits with 4xx JSON, API key, metrics, batching."""

from __future__ import annotations

import asyncio
import threading
import time

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tweetlab.errors import ConfigError
from tweetlab.models import create
from tweetlab.serving import ServeSettings, check_exposure, create_app
from tweetlab.serving.batching import MicroBatcher

from .conftest import make_corpus


@pytest.fixture(scope="module")
def model_dirs(tmp_path_factory):
    root = tmp_path_factory.mktemp("served")
    texts, labels = make_corpus(200)
    sentiment = create("tfidf").fit(texts, labels).save(root / "sentiment")
    t3, l3 = make_corpus(150, classes=3)
    three = create("tfidf").fit(t3, l3).save(root / "three")
    return sentiment, three


@pytest.fixture
def client(model_dirs):
    with TestClient(create_app(list(model_dirs), ServeSettings(max_texts=50, max_chars=300,
                                                                max_body=20_000))) as c:
        yield c


def test_predict_returns_a_label_and_probabilities_per_text(client):
    r = client.post("/v1/predict", json={"texts": ["I love this awesome day", "hate, awful"]})
    assert r.status_code == 200
    body = r.json()
    assert body["model"] == "sentiment"
    labels = [p["label"] for p in body["predictions"]]
    assert labels == ["positive", "negative"]
    for p in body["predictions"]:
        assert sum(p["probabilities"].values()) == pytest.approx(1.0, abs=1e-4)
        assert p["confidence"] == p["probabilities"][p["label"]]


def test_a_script_the_model_never_learned_is_named_in_a_warning(client):
    greek = {"texts": ["Καλημέρα, τι ωραία μέρα"]}  # the corpus: Latin, some Cyrillic
    body = client.post("/v1/predict", json=greek).json()
    assert "Greek" in body["warning"] and "multilingual-sentiment" in body["warning"]
    assert client.post("/v1/predict", json={"texts": ["love it"]}).json()["warning"] is None
    batch = client.post("/v1/predict", json={"texts": ["Καλημέρα"] + ["love it"] * 20}).json()
    assert batch["warning"] is None  # one Greek tweet in 21: under 5%
    explained = client.post("/v1/explain", json=greek).json()
    assert "Greek" in explained["warning"]


def test_single_text_request_gives_a_list_too(client):
    r = client.post("/v1/predict", json={"texts": ["love it"]})
    assert len(r.json()["predictions"]) == 1


def test_a_model_is_picked_by_name(client):
    r = client.post("/v1/predict", json={"model": "three", "texts": ["the movie today"]})
    assert r.status_code == 200 and r.json()["model"] == "three"
    assert set(r.json()["predictions"][0]["probabilities"]) == {"negative", "neutral", "positive"}


def test_neutral_band_for_binary_models(client):
    r = client.post("/v1/predict", json={"texts": ["the"], "neutral_band": [0.0, 1.0]})
    assert r.json()["predictions"][0]["label"] == "neutral"
    r = client.post("/v1/predict", json={"model": "three", "texts": ["x"],
                                         "neutral_band": [0.4, 0.6]})
    assert r.status_code == 422 and "binary" in r.json()["error"]


def test_models_lists_names_labels_and_family(client):
    body = client.get("/v1/models").json()
    assert body["default"] == "sentiment"
    assert [m["name"] for m in body["models"]] == ["sentiment", "three"]
    assert body["models"][0]["labels"] == ["negative", "positive"]
    assert body["models"][0]["family"] == "tfidf"


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok", "models": 2}


@pytest.mark.parametrize("payload, status, words", [
    ({"model": "nope", "texts": ["a"]}, 404, "unknown model"),
    ({"texts": "not a list"}, 422, "invalid request"),
    ({"texts": [1, 2]}, 422, "invalid request"),
    ({"texts": []}, 422, "invalid request"),
    ({}, 422, "invalid request"),
    ({"texts": ["a"], "colour": "red"}, 422, "invalid request"),
    ({"texts": ["a"] * 51}, 422, "the limit is 50"),
    ({"texts": ["a" * 301]}, 422, "the limit is 300"),
    ({"texts": ["a"], "neutral_band": [0.9, 0.1]}, 422, "neutral band"),
])
def test_bad_requests_get_a_4xx_json_error(client, payload, status, words):
    r = client.post("/v1/predict", json=payload)
    assert r.status_code == status
    assert words in r.json()["error"]


def test_malformed_json_is_a_422(client):
    r = client.post("/v1/predict", content=b"{nope", headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["error"] == "invalid request"


def test_body_over_the_limit_is_413(client):
    r = client.post("/v1/predict", json={"texts": ["a" * 100] * 300})
    assert r.status_code == 413 and "too large" in r.json()["error"]


def test_chunked_body_over_the_limit_is_413(client):
    def chunks():
        for _ in range(30):
            yield b"x" * 1000

    r = client.post("/v1/predict", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413


def test_metrics_count_requests_errors_and_latency(client):
    client.post("/v1/predict", json={"texts": ["love"]})
    client.post("/v1/predict", json={"model": "nope", "texts": ["x"]})
    text = client.get("/metrics").text
    assert 'tweetlab_requests_total{route="/v1/predict",status="200"} 1' in text
    assert 'tweetlab_errors_total{route="/v1/predict"} 1' in text
    assert 'tweetlab_request_seconds_bucket{route="/v1/predict",le="+Inf"} 2' in text
    assert 'tweetlab_texts_total{model="sentiment"} 1' in text


def test_csv_upload_is_scored_and_returned(client):
    csv_text = "id,text\n1,I love this awesome day\n2,\"hate, awful, worst\"\n"
    r = client.post("/v1/predict-csv", content=csv_text.encode(),
                    headers={"Content-Type": "text/csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = r.text.strip().splitlines()
    assert lines[0] == "id,text,label,confidence,p_negative,p_positive"
    assert lines[1].startswith("1,I love this awesome day,positive,")
    assert lines[2].split(",")[-4] == "negative"


def test_csv_upload_with_its_own_label_column_keeps_it(client):
    csv_text = "text,label\nI love this awesome day,positive\n"
    r = client.post("/v1/predict-csv", content=csv_text.encode(),
                    headers={"Content-Type": "text/csv"})
    lines = r.text.strip().splitlines()
    assert lines[0] == ("text,label,predicted_label,predicted_confidence,"
                        "predicted_p_negative,predicted_p_positive")
    assert lines[1].startswith("I love this awesome day,positive,positive,")


def test_csv_without_a_text_column_is_a_clear_422(client):
    r = client.post("/v1/predict-csv", content=b"a,b\n1,2\n", headers={"Content-Type": "text/csv"})
    assert r.status_code == 422 and "text_column" in r.json()["error"]
    r = client.post("/v1/predict-csv?text_column=b", content=b"a,b\n1,love\n",
                    headers={"Content-Type": "text/csv"})
    assert r.status_code == 200 and "positive" in r.text


def test_csv_upload_problems_are_422s_that_say_where(client):
    def post(body: bytes, query: str = ""):
        return client.post("/v1/predict-csv" + query, content=body,
                           headers={"Content-Type": "text/csv"})

    r = post(b"a,text\n1,love\n", "?text_column=tweet")
    assert r.status_code == 422 and "no column 'tweet'" in r.json()["error"]
    r = post(b"\n")
    assert r.status_code == 422 and "the CSV is empty" in r.json()["error"]
    r = post(b"id,text\n1,love\n2\n")  # the second row stops before the text
    assert r.status_code == 422 and r.json()["error"].startswith("line 3: row has no field")
    r = post(b"text\n" + b"love\n" * (50 * 100 + 1))  # max_texts 50 x 100 rows
    assert r.status_code == 422 and "the limit is 5,000" in r.json()["error"]


def test_csv_in_another_encoding_or_as_a_form_upload(client):
    latin = "text\n\u00e9t\u00e9 awesome love\n".encode("latin-1")
    r = client.post("/v1/predict-csv", content=latin, headers={"Content-Type": "text/csv"})
    assert r.status_code == 422 and "encoding=latin-1" in r.json()["error"]
    r = client.post("/v1/predict-csv?encoding=latin-1", content=latin,
                    headers={"Content-Type": "text/csv"})
    assert r.status_code == 200 and "\u00e9t\u00e9 awesome love,positive" in r.text
    r = client.post("/v1/predict-csv?encoding=klingon", content=latin,
                    headers={"Content-Type": "text/csv"})
    assert r.status_code == 422 and "unknown encoding" in r.json()["error"]
    r = client.post("/v1/predict-csv?encoding=base64", content=latin,
                    headers={"Content-Type": "text/csv"})
    assert r.status_code == 422 and "not a text encoding" in r.json()["error"]
    r = client.post("/v1/predict-csv?encoding=utf%008", content=latin,
                    headers={"Content-Type": "text/csv"})
    assert r.status_code == 422 and "unknown encoding" in r.json()["error"]
    r = client.post("/v1/predict-csv", files={"file": ("t.csv", b"text\nlove\n", "text/csv")})
    assert r.status_code == 415 and "--data-binary" in r.json()["error"]


def test_explain_gives_each_word_a_weight_for_the_label(client):
    r = client.post("/v1/explain", json={"texts": ["the movie was awesome", "hate, awful"]})
    assert r.status_code == 200
    body = r.json()
    assert body["model"] == "sentiment"
    first, second = body["explanations"]
    assert (first["label"], first["target"]) == ("positive", "positive")
    assert [w["word"] for w in first["words"]] == ["the", "movie", "was", "awesome"]
    weights = {w["word"]: w["weight"] for w in first["words"]}
    assert max(weights, key=weights.get) == "awesome" and weights["awesome"] > 1
    assert second["label"] == "negative" and second["words"][0] == {
        "word": "hate,", "start": 0, "end": 5, "weight": second["words"][0]["weight"]}
    assert first["probabilities"] == client.post(
        "/v1/predict", json={"texts": ["the movie was awesome"]}).json()["predictions"][0][
        "probabilities"]


def test_explain_limits_and_errors_are_4xx_json(client):
    r = client.post("/v1/explain", json={"texts": ["love"] * 21})
    assert r.status_code == 422 and "the limit is 20" in r.json()["error"]
    r = client.post("/v1/explain", json={"texts": ["x" * 301]})
    assert r.status_code == 422 and "characters" in r.json()["error"]
    r = client.post("/v1/explain", json={"texts": ["love"], "target": "joy"})
    assert r.status_code == 422 and "not a class" in r.json()["error"]
    r = client.post("/v1/explain", json={"texts": ["love"], "model": "nope"})
    assert r.status_code == 404
    r = client.post("/v1/explain", json={"texts": ["love"], "target": "negative",
                                         "model": "three"})
    assert r.status_code == 200 and r.json()["explanations"][0]["target"] == "negative"


def test_web_page_is_served(client):
    r = client.get("/")
    assert r.status_code == 200 and "<textarea" in r.text and "/v1/predict" in r.text


def test_openapi_documents_the_routes(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/predict", "/v1/models", "/healthz", "/metrics", "/v1/predict-csv",
            "/v1/explain"} <= set(paths)


def test_api_key_is_required_when_set(model_dirs):
    settings = ServeSettings(api_key="s3cret")
    with TestClient(create_app([model_dirs[0]], settings)) as c:
        assert c.post("/v1/predict", json={"texts": ["a"]}).status_code == 401
        bad = c.post("/v1/predict", json={"texts": ["a"]}, headers={"Authorization": "Bearer x"})
        assert bad.status_code == 401 and "s3cret" not in bad.text
        ok = c.post("/v1/predict", json={"texts": ["a"]},
                    headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 200
        assert c.get("/healthz").status_code == 200  # liveness stays open
        assert c.get("/metrics").status_code == 401


def test_non_loopback_bind_needs_an_api_key():
    with pytest.raises(ConfigError, match="TWEETLAB_API_KEY"):
        check_exposure(ServeSettings(host="0.0.0.0"))
    check_exposure(ServeSettings(host="0.0.0.0", api_key="k"))
    check_exposure(ServeSettings(host="127.0.0.1"))
    check_exposure(ServeSettings(host="::1"))


def test_settings_come_from_the_environment():
    s = ServeSettings.from_env({"TWEETLAB_API_KEY": "k", "TWEETLAB_MAX_TEXTS": "7"})
    assert s.api_key == "k" and s.max_texts == 7 and "k" not in repr(s)
    with pytest.raises(ConfigError, match="TWEETLAB_MAX_TEXTS"):
        ServeSettings.from_env({"TWEETLAB_MAX_TEXTS": "many"})


def test_concurrent_single_texts_share_micro_batches():
    calls: list[int] = []

    def fn(texts):
        calls.append(len(texts))
        return np.array([[len(t), 1.0] for t in texts])

    async def main():
        b = MicroBatcher(fn, max_batch=8, max_wait=0.05)
        b.start()
        out = await asyncio.gather(*(b.submit("x" * i) for i in range(20)))
        await b.stop()
        return out

    out = asyncio.run(main())
    assert [o[0] for o in out] == list(range(20))  # each request gets its own row
    assert sum(calls) == 20 and len(calls) <= 4 and max(calls) <= 8


def test_micro_batcher_passes_model_errors_to_every_waiter():
    def fn(texts):
        raise RuntimeError("boom")

    async def main():
        b = MicroBatcher(fn, max_wait=0.01)
        b.start()
        res = await asyncio.gather(b.submit("a"), b.submit("b"), return_exceptions=True)
        await b.stop()
        return res

    assert all(isinstance(r, RuntimeError) for r in asyncio.run(main()))


def test_threads_hitting_the_app_at_once_all_get_answers(client):
    results: list[int] = []

    def hit(i):
        r = client.post("/v1/predict", json={"texts": [f"love day {i}"]})
        results.append(r.status_code)

    threads = [threading.Thread(target=hit, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * 16
    assert "tweetlab_microbatches_total" in client.get("/metrics").text


@pytest.mark.parametrize("payload", [
    {"texts": ["love it", "hate it", "the movie"]},
    {"model": "three", "texts": ["awful day"]},
    {"texts": ["so so"], "neutral_band": [0.2, 0.8]},
])
def test_hot_path_answers_exactly_like_the_fastapi_route(model_dirs, payload):
    app = create_app(list(model_dirs))
    with TestClient(app) as c:
        hot = c.post("/v1/predict", json=payload)
        texts_hot = app.state.metrics.texts.copy()
        app.hot = None  # the plain FastAPI route
        plain = c.post("/v1/predict", json=payload)
    assert hot.status_code == plain.status_code == 200
    assert hot.json() == plain.json()
    assert hot.headers["content-type"] == "application/json"
    assert sum(texts_hot.values()) == len(payload["texts"])


def test_hot_path_hands_errors_to_the_route_and_counts_once(client):
    # invalid band: scored on the hot path, then refused by the route with its 422 body
    r = client.post("/v1/predict", json={"texts": ["x"], "neutral_band": [0.9, 0.1]})
    assert r.status_code == 422 and r.json()["error"]
    assert client.post("/v1/predict", json={"texts": "x"}).status_code == 422
    text = client.get("/metrics").text
    assert 'tweetlab_requests_total{route="/v1/predict",status="422"} 2' in text
    assert 'tweetlab_requests_total{route="/v1/predict",status="200"}' not in text
    assert 'tweetlab_texts_total{model="sentiment"}' not in text  # nothing was answered


def test_micro_batcher_runs_fast_models_inline_and_slow_ones_in_a_thread():
    main_thread = threading.get_ident()

    def batcher_threads(cost_s: float) -> set[bool]:
        seen: list[bool] = []

        def fn(texts):
            seen.append(threading.get_ident() == main_thread)
            end = time.thread_time() + cost_s
            while time.thread_time() < end:
                pass
            return np.ones((len(texts), 2))

        async def main():
            b = MicroBatcher(fn, inline_s=0.002)
            b.start()
            for _ in range(8):
                await b.submit("a")
            await b.stop()

        asyncio.run(main())
        return seen

    fast = batcher_threads(0.0)
    assert fast[:3] == [False] * 3 and all(fast[3:])  # measured in the thread, then inline
    assert not any(batcher_threads(0.01))  # 10 ms a call: always in a worker thread


def test_worker_processes_build_the_app_from_the_environment(model_dirs, monkeypatch):
    import json

    from tweetlab.serving.app import app_from_env

    monkeypatch.setenv("TWEETLAB_SERVE_MODELS", json.dumps({"mine": str(model_dirs[0])}))
    monkeypatch.setenv("TWEETLAB_THREADS", "1")
    app = app_from_env()
    assert app.state.settings.threads == 1
    with TestClient(app) as c:
        assert c.get("/v1/models").json()["default"] == "mine"
        assert c.post("/v1/predict", json={"texts": ["love"]}).status_code == 200


def test_serve_refuses_zero_workers():
    from tweetlab.serving import serve

    with pytest.raises(ConfigError, match="workers"):
        serve(workers=0)


def test_serve_checks_its_models_and_port_before_starting(tmp_path, monkeypatch):
    # Failures inside uvicorn's startup are tracebacks in the server log; these are
    # checked first and are one-line errors.
    import json
    import socket

    import uvicorn

    from tweetlab.errors import ModelError
    from tweetlab.serving import serve

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("uvicorn started"))
    with pytest.raises(ModelError, match="not found"):
        serve([str(tmp_path / "missing")])
    img = tmp_path / "img"
    img.mkdir()
    (img / "config.json").write_text(json.dumps({"format": "tweetlab.model", "format_version": 1,
                                                 "task": "image-classification"}))
    with pytest.raises(ConfigError, match="image-classification"):
        serve([str(img)])
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ConfigError, match=f"127.0.0.1:{port}"):
            serve(port=port)


# ------------------------------------------------------------------ tweet generators
@pytest.fixture(scope="module")
def generator_dir(tmp_path_factory):
    from .test_ngram import repetitive_account, tiny

    gen = tiny(ngram=6).fit(repetitive_account(200))
    return gen.save(tmp_path_factory.mktemp("gen") / "petro",
                    metrics={"valid_bits_per_char": 2.5})


@pytest.fixture
def mixed(model_dirs, generator_dir):
    with TestClient(create_app([model_dirs[0], generator_dir])) as c:
        yield c


def test_generate_writes_tweets_that_start_with_the_prompt(mixed):
    r = mixed.post("/v1/generate", json={"prompt": "el", "n": 4, "seed": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["model"] == "petro" and len(body["tweets"]) == 4
    assert all(t.startswith("el") and len(t) <= 280 for t in body["tweets"])
    again = mixed.post("/v1/generate", json={"prompt": "el", "n": 4, "seed": 3}).json()
    assert again["tweets"] == body["tweets"]  # a seed reproduces
    short = mixed.post("/v1/generate", json={"model": "petro", "n": 2, "max_chars": 20,
                                             "allow_copies": True}).json()
    assert all(len(t) <= 20 for t in short["tweets"]) and short["rejected"] == 0


def test_models_lists_generators_and_each_route_points_to_the_other(mixed):
    models = {m["name"]: m for m in mixed.get("/v1/models").json()["models"]}
    assert models["petro"]["task"] == "text-generation"
    assert models["petro"]["metrics"] == {"bits_per_char": 2.5}
    assert models["sentiment"]["task"] == "text-classification"
    assert mixed.get("/healthz").json()["models"] == 2
    r = mixed.post("/v1/predict", json={"model": "petro", "texts": ["hola"]})
    assert r.status_code == 404 and "/v1/generate" in r.json()["error"]
    r = mixed.post("/v1/generate", json={"model": "sentiment"})
    assert r.status_code == 404 and "/v1/predict" in r.json()["error"]
    r = mixed.post("/v1/generate", json={"model": "nobody"})
    assert r.status_code == 404 and r.json()["detail"] == {"generators": ["petro"]}


@pytest.mark.parametrize("body, where", [
    ({"n": 0}, "n"), ({"n": 21}, "n"), ({"temperature": 0}, "temperature"),
    ({"top_p": 1.5}, "top_p"), ({"max_chars": 281}, "max_chars"), ({"prompt": "x" * 300}, "prompt"),
    ({"colour": "red"}, "colour")])
def test_bad_generation_requests_are_422_naming_the_field(mixed, body, where):
    r = mixed.post("/v1/generate", json=body)
    assert r.status_code == 422 and where in str(r.json()["detail"])


def test_a_prompt_longer_than_max_chars_is_a_422_not_a_500(mixed):
    r = mixed.post("/v1/generate", json={"prompt": "el pueblo", "max_chars": 5})
    assert r.status_code == 422 and "max_chars" in r.json()["error"]


def test_only_generators_served_predict_says_so(generator_dir):
    with TestClient(create_app([generator_dir])) as c:
        assert c.get("/v1/models").json()["default"] == "petro"
        r = c.post("/v1/predict", json={"texts": ["hola"]})
        assert r.status_code == 404 and "only tweet generators" in r.json()["error"]
        assert c.post("/v1/generate", json={"n": 1}).status_code == 200


def test_generate_without_a_generator_served_is_a_404(client):
    r = client.post("/v1/generate", json={"n": 1})
    assert r.status_code == 404 and "no tweet generator" in r.json()["error"]


def test_generate_needs_the_api_key_and_refusals_count_under_its_route(model_dirs, generator_dir):
    settings = ServeSettings(api_key="s3cret")
    with TestClient(create_app([model_dirs[0], generator_dir], settings)) as c:
        assert c.post("/v1/generate", json={"n": 1}).status_code == 401
        key = {"Authorization": "Bearer s3cret"}
        assert c.post("/v1/generate", json={"n": 1, "seed": 0}, headers=key).status_code == 200
        text = c.get("/metrics", headers=key).text
    assert 'tweetlab_requests_total{route="/v1/generate",status="401"} 1' in text
    assert 'tweetlab_requests_total{route="/v1/generate",status="200"} 1' in text


def test_a_port_out_of_range_is_a_clear_error():
    for port in (0, 70000):
        with pytest.raises(ConfigError, match="1-65535"):
            ServeSettings(port=port)


def test_each_model_scores_one_tweet_while_the_server_starts(model_dirs, monkeypatch):
    # (a model's first call pays for lazy set-up: ~0.8 s for the multilingual encoder)
    import tweetlab.serving.app as app_module

    scored: list[list[str]] = []
    real = app_module.load_model

    def counting(path, **kw):
        model = real(path, **kw)
        proba = model.predict_proba
        model.predict_proba = lambda texts: (scored.append(list(texts)), proba(texts))[1]
        return model

    monkeypatch.setattr(app_module, "load_model", counting)
    with TestClient(create_app(list(model_dirs), ServeSettings())):
        assert scored == [["warm-up"], ["warm-up"]]  # before any request


def test_json_endpoints_refuse_bodies_a_web_page_could_send_without_asking(client):
    body = '{"texts": ["love it"]}'
    r = client.post("/v1/predict", content=body, headers={"Content-Type": "text/plain"})
    assert r.status_code == 415 and "application/json" in r.json()["error"]
    r = client.post("/v1/predict-csv", content="text\nlove it\n",
                    headers={"Content-Type": "text/plain"})
    assert r.status_code == 415 and "text/csv" in r.json()["error"]
    r = client.post("/v1/predict", content=body,
                    headers={"Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 200


def test_csv_rows_keep_the_text_length_limit_and_name_the_line(client):
    settings = client.app.state.settings
    csv_body = "id,text\n1,love it\n2," + "a" * (settings.max_chars + 1) + "\n"
    r = client.post("/v1/predict-csv", content=csv_body, headers={"Content-Type": "text/csv"})
    assert r.status_code == 422 and r.json()["error"].startswith("line 3:")
    assert "characters; the limit is" in r.json()["error"]


def test_an_unreadable_csv_field_is_a_422_naming_its_line(client):
    import csv as _csv

    huge = '"' + "a" * (_csv.field_size_limit() + 10) + '"'
    r = client.post("/v1/predict-csv", content=f"text\nfine\n{huge}\n",
                    headers={"Content-Type": "text/csv"})
    assert r.status_code == 422 and r.json()["error"].startswith("line ")


def test_every_error_answers_in_the_one_json_shape(client):
    for r in (client.get("/no/such/page"),
              client.get("/v1/predict"),  # 405
              client.post("/v1/predict", content=b'{"texts": ["\xff\xfe"]}',
                          headers={"Content-Type": "application/json"}),
              client.post("/v1/predict", content="[" * 5000 + "]" * 5000,
                          headers={"Content-Type": "application/json"})):
        assert r.status_code in (400, 404, 405, 422), r.status_code
        body = r.json()
        assert set(body) == {"error", "detail"} and body["error"], (r.status_code, body)


def test_an_unexpected_error_is_a_500_in_the_json_shape(monkeypatch):
    from fastapi.testclient import TestClient

    from tweetlab.serving import app as app_module

    def boom(*a, **k):
        raise RuntimeError("bug")

    monkeypatch.setattr(app_module, "_predictions", boom)
    with TestClient(app_module.create_app(None), raise_server_exceptions=False) as c:
        r = c.post("/v1/predict", json={"texts": ["love it"]})
    assert r.status_code == 500 and r.json() == {"error": "internal server error",
                                                 "detail": "RuntimeError"}


def test_explain_caps_the_words_of_a_request(model_dirs):
    with TestClient(create_app(list(model_dirs), ServeSettings(max_explain_words=10))) as c:
        r = c.post("/v1/explain", json={"texts": ["one two three four five six"] * 2})
        assert r.status_code == 422 and "12 words to explain; the limit is 10" in \
            r.json()["error"]
        r = c.post("/v1/explain", json={"texts": ["love this awesome day"]})
        assert r.status_code == 200


def test_explain_stops_when_the_client_has_gone(monkeypatch):
    import asyncio

    from fastapi.testclient import TestClient
    from starlette.requests import Request

    from tweetlab.serving.app import create_app

    calls = []
    monkeypatch.setattr(Request, "is_disconnected", lambda self: _true(calls))
    with TestClient(create_app(None)) as c:
        r = c.post("/v1/explain", json={"model": "en-sentiment",
                                        "texts": ["love it", "hate it", "fine"]})
    assert r.status_code == 499 and len(calls) == 1  # asked once, after the first text
    del asyncio


async def _true(calls: list) -> bool:
    calls.append(1)
    return True


def test_a_body_that_does_not_arrive_in_time_gets_a_408():
    import asyncio

    from tweetlab.serving.middleware import BodyLimit
    from tweetlab.serving.settings import ServeSettings

    sent = []

    async def app(scope, receive, send):  # never reached
        raise AssertionError

    async def receive():
        if not sent:
            sent.append(1)
            return {"type": "http.request", "body": b'{"texts": [', "more_body": True}
        await asyncio.sleep(3600)  # the client stalls mid-upload

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/v1/predict",
             "headers": [(b"content-type", b"application/json")]}
    middleware = BodyLimit(app, settings=ServeSettings(body_timeout=0.2))
    asyncio.run(asyncio.wait_for(middleware(scope, receive, send), 5))
    start = next(m for m in sent[1:] if m["type"] == "http.response.start")
    assert start["status"] == 408


def test_serve_caps_concurrent_connections(monkeypatch):
    import uvicorn

    from tweetlab.serving.app import serve

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: seen.update(k))
    monkeypatch.setenv("TWEETLAB_MAX_CONNECTIONS", "32")
    from tweetlab.serving import app as app_module

    monkeypatch.setattr(app_module, "_check_port_free", lambda host, port: None)
    serve(["en-sentiment"], port=8765)
    assert seen["limit_concurrency"] == 32


def test_api_docs_load_their_scripts_from_the_server_not_a_cdn(client):
    import re

    page = client.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/") for s in sources), sources
    for s in sources:
        assert client.get(s).status_code == 200, s
    assert "cdn" not in page.text.lower()
    redoc = client.get("/redoc")
    assert redoc.status_code == 200 and "fonts.googleapis" not in redoc.text
