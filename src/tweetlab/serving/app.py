"""The FastAPI app: ``create_app(models)`` builds it; models load in the lifespan.

Routes: ``POST /v1/predict``, ``POST /v1/predict-csv``, ``POST /v1/generate`` (tweet
generators), ``GET /v1/models``, ``GET /healthz``, ``GET /metrics`` (Prometheus),
``GET /`` (a web page to try the models), OpenAPI docs at ``/docs``. Bad input always
gets a 4xx JSON body ``{"error": ..., "detail": ...}``, never a 5xx.

>>> from fastapi.testclient import TestClient
>>> import tempfile, tweetlab
>>> m = tweetlab.create("tfidf").fit(["good", "great", "bad", "awful"], ["pos", "pos", "neg", "neg"])
>>> path = m.save(tempfile.mkdtemp() + "/m")
>>> with TestClient(create_app([path])) as client:
...     client.post("/v1/predict", json={"texts": ["great"]}).json()["predictions"][0]["label"]
'pos'
"""

from __future__ import annotations

import asyncio
import codecs
import csv
import gc
import io
import json
import logging
import os
import socket
import threading
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import torch
from fastapi import APIRouter, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from .._version import __version__
from ..api import SLOW_FAMILIES
from ..bundled import available, resolve
from ..errors import ConfigError, TweetlabError, list_columns
from ..explanation import explain
from ..models import load_model
from ..models.base import label_confidence
from ..persistence import read_config, read_metrics
from ..text.scripts import check_scripts, mostly, script_note
from .batching import MicroBatcher
from .metrics import Metrics
from .middleware import (
    BodyLimit,
    Observe,
    _error,
    _key_ok,
    _read_body,
    _replay,
    _too_slow,
    _wrong_content_type,
)
from .schemas import (
    ExplainRequest,
    ExplainResponse,
    ExplanationBody,
    GenerateRequest,
    GenerateResponse,
    Health,
    ModelInfo,
    ModelList,
    Prediction,
    PredictRequest,
    PredictResponse,
)
from .settings import ServeSettings, check_exposure

log = logging.getLogger("tweetlab")
STATIC = Path(__file__).resolve().parent / "static"
_THREAD = threading.local()
# Families that run a pretrained encoder: heavy enough per call to want all cores.
ENCODER_FAMILIES = {"transformer", "embed-lr"}
GENERATION = "text-generation"  # the task of tweet generators (generation.GENERATION_TASK)


@dataclass
class Served:
    """One loaded model with its micro-batcher."""

    name: str
    model: Any
    source: str
    metrics: dict[str, float | None]
    batcher: MicroBatcher | None = None
    threads: int = 0  # torch threads to score with (0: leave as is)

    def score(self, texts: list[str]) -> np.ndarray:
        """``predict_proba`` with this server's torch thread count in the calling thread."""
        if self.threads and getattr(_THREAD, "torch_threads", 0) != self.threads:
            # Per thread: OpenMP keeps the count per calling thread (event loop, workers).
            torch.set_num_threads(self.threads)
            _THREAD.torch_threads = self.threads
        return self.model.predict_proba(texts)


@dataclass
class ServedGenerator:
    """One loaded tweet generator; one generation at a time (it keeps per-call state)."""

    name: str
    generator: Any
    source: str
    metrics: dict[str, float | None]
    lock: threading.Lock = field(default_factory=threading.Lock)

    def generate(self, req: GenerateRequest) -> tuple[list[str], int]:
        with self.lock:
            tweets = self.generator.generate(
                req.prompt, n=req.n, temperature=req.temperature, top_k=req.top_k,
                top_p=req.top_p, max_chars=req.max_chars, seed=req.seed,
                novelty=not req.allow_copies, trim=req.trim)
            return tweets, int(self.generator.rejected_)


def _model_sources(models: Sequence[str | Path] | Mapping[str, str | Path] | None
                   ) -> dict[str, Path]:
    if models is None or (not isinstance(models, Mapping) and len(models) == 0):
        names = available()
        if not names:
            raise ConfigError("no models to serve: name model folders (tweetlab serve DIR ...)")
        return {n: resolve(n) for n in names}
    if isinstance(models, Mapping):
        return {str(k): resolve(str(v)) for k, v in models.items()}
    out: dict[str, Path] = {}
    for m in models:
        path = resolve(str(m))
        name = str(m) if path.parent.name == "bundled" and str(m) == path.name else path.name
        base, i = name, 2
        while name in out:
            name, i = f"{base}-{i}", i + 1
        out[name] = path
    return out


def _check_servable(sources: Mapping[str, Path]) -> None:
    """Every folder is a tweet classifier or generator - checked before uvicorn starts,
    where a failure while loading would be a traceback in the server log."""

    for path in sources.values():
        task = read_config(path).get("task", "text-classification")
        if task not in {"text-classification", GENERATION}:
            raise ConfigError(f"{path} holds a model for {task}; serve takes tweet "
                              "classifiers and tweet generators")


def _check_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigError(f"cannot listen on {host}:{port} ({exc.strerror}); another "
                              "server may be running there - pass --port N") from None


def create_app(models: Sequence[str | Path] | Mapping[str, str | Path] | None = None,
               settings: ServeSettings | None = None) -> FastAPI:
    """The REST app serving ``models`` (folders or bundled names; default: bundled ones).

    The first model is the default of ``POST /v1/predict``. Models are loaded when the
    app starts (its lifespan), not here.
    """
    settings = settings or ServeSettings.from_env()
    sources = _model_sources(models)
    metrics = Metrics()
    served: dict[str, Served] = {}
    generators: dict[str, ServedGenerator] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from ..generation import load_generator  # lazy: imports torch

        for name, path in sources.items():
            if read_config(path).get("task") == GENERATION:
                gen = await asyncio.to_thread(load_generator, path)
                bpc = read_metrics(path).get("valid_bits_per_char")
                generators[name] = ServedGenerator(name, gen, str(path),
                                                   {"bits_per_char": bpc})
                log.info("serving %s (%s generator) from %s", name, gen.family, path)
                continue
            model = await asyncio.to_thread(load_model, path)
            # One tweet scored before the first request: a model's first call pays for
            # lazy set-up (the multilingual encoder's: ~0.8 s; fasttext's: ~25 ms).
            await asyncio.to_thread(model.predict_proba, ["warm-up"])
            saved = read_metrics(path)
            held = saved.get("summary") or saved.get("validation") or {}
            entry = Served(name, model, str(path),
                           {"accuracy": held.get("accuracy"), "macro_f1": held.get("macro_f1")})
            entry.batcher = MicroBatcher(entry.score, max_batch=settings.max_batch,
                                         max_wait=settings.max_wait_ms / 1000,
                                         on_batch=metrics.count_batch)
            entry.batcher.start()
            served[name] = entry
            log.info("serving %s (%s) from %s", name, model.family, path)
        threads = settings.threads or (
            1 if all(e.model.family not in ENCODER_FAMILIES for e in served.values())
            else torch.get_num_threads())
        before = torch.get_num_threads()
        for entry in served.values():
            entry.threads = threads
        log.info("torch threads per process: %d", threads)
        # Everything loaded so far lives as long as the server: keep it out of the cyclic
        # GC, whose full passes over these ~300k objects took ~200 ms (the p99 spikes).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            for entry in served.values():
                if entry.batcher:
                    await entry.batcher.stop()
            served.clear()
            generators.clear()
            gc.unfreeze()
            torch.set_num_threads(before)

    app = TweetlabApp(title="tweetlab", version=__version__, lifespan=lifespan,
                      description="Label tweets, and write new ones, with tweetlab models.",
                      docs_url=None, redoc_url=None)
    _offline_docs(app)
    app.hot = HotPredict(served, settings, metrics, generators)
    app.state.settings = settings
    app.state.served = served
    app.state.metrics = metrics

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()]
        return _error(422, "invalid request", detail)

    # Starlette's HTTPException: FastAPI's and the router's own (404, 405, a body that
    # does not parse) all answer in the one error shape, {"error": ..., "detail": ...}.
    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if isinstance(exc.detail, dict):
            return _error(exc.status_code, exc.detail.get("error", ""), exc.detail.get("detail"))
        return _error(exc.status_code, str(exc.detail), headers=exc.headers)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error while answering a request")
        return _error(500, "internal server error", type(exc).__name__)

    router = _routes(served, generators, settings, metrics)
    app.add_middleware(BodyLimit, settings=settings)
    app.add_middleware(Observe, settings=settings, metrics=metrics,  # outermost
                       routes=frozenset(getattr(r, "path", "") for r in router.routes))
    app.include_router(router)
    return app


def _offline_docs(app: FastAPI) -> None:
    """``/docs`` (Swagger UI) and ``/redoc`` from files installed with the package
    (fastapi-offline's copies), not from a CDN: the pages work with no network."""

    from fastapi.openapi.docs import (  # lazy: fastapi: slow to import
        get_redoc_html,
        get_swagger_ui_html,
    )
    from fastapi.staticfiles import StaticFiles  # lazy: fastapi: slow to import

    assets = "/docs-assets"
    app.mount(assets, StaticFiles(directory=str(files("fastapi_offline") / "static")),
              name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def swagger() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=app.openapi_url or "/openapi.json",
                                   title="tweetlab API", swagger_favicon_url=f"{assets}/favicon.png",
                                   swagger_js_url=f"{assets}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{assets}/swagger-ui.css")

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url=app.openapi_url or "/openapi.json",
                              title="tweetlab API", redoc_favicon_url=f"{assets}/favicon.png",
                              redoc_js_url=f"{assets}/redoc.standalone.js", with_google_fonts=False)


def _pick(served: dict[str, Served], name: str | None,
          generators: Mapping[str, ServedGenerator] | None = None) -> Served:
    generators = generators or {}
    if name is not None and name in generators:
        raise HTTPException(404, {"error": f"{name!r} is a tweet generator: POST /v1/generate",
                                  "detail": {"classifiers": list(served)}})
    if not served:
        if generators:
            raise HTTPException(404, {"error": "no classifier is served here (only tweet "
                                               "generators: POST /v1/generate)",
                                      "detail": {"generators": list(generators)}})
        raise HTTPException(503, "no model loaded yet")
    if name is None:
        return next(iter(served.values()))
    if name not in served:
        raise HTTPException(404, {"error": f"unknown model {name!r}",
                                  "detail": {"models": list(served)}})
    return served[name]


def _route(entry: Served, served: Mapping[str, Served], named: str | None,
           texts: Sequence[str]) -> tuple[Served, str | None]:
    """The model that labels ``texts`` and the warning that goes with its answer. A
    request that names no model and whose texts are mostly in a script ``entry`` never
    learned goes to a served multilingual model with the same labels (the bundled English
    and multilingual sentiment models), where there is one."""
    found = check_scripts(entry.model, texts)
    if named is None and mostly(found):
        other = next((e for e in served.values() if getattr(e.model, "multilingual", False)
                      and list(e.model.classes_) == list(entry.model.classes_)), None)
        if other is not None:
            return other, None
    return entry, script_note(entry.model, found, len(texts))


def _pick_generator(generators: dict[str, ServedGenerator], served: Mapping[str, Served],
                    name: str | None) -> ServedGenerator:
    if name is not None and name in served:
        raise HTTPException(404, {"error": f"{name!r} is a classifier: POST /v1/predict",
                                  "detail": {"generators": list(generators)}})
    if not generators:
        raise HTTPException(404, {"error": "no tweet generator is served here; start the "
                                           "server with a generator folder (tweetlab serve "
                                           "MODEL_DIR)", "detail": {"classifiers": list(served)}})
    if name is None:
        return next(iter(generators.values()))
    if name not in generators:
        raise HTTPException(404, {"error": f"unknown generator {name!r}",
                                  "detail": {"generators": list(generators)}})
    return generators[name]


def _predictions(model: Any, proba: np.ndarray, band: Any) -> list[Prediction]:
    try:
        labels = model.labels_from_proba(proba, band)
    except TweetlabError as exc:
        raise HTTPException(422, str(exc)) from None
    out = []
    for lab, p in zip(labels, proba, strict=True):
        probs = {c: round(float(v), 6) for c, v in zip(model.classes_, p, strict=True)}
        conf = label_confidence(model.classes_, lab, p)
        out.append(Prediction(label=lab, confidence=round(conf, 6), probabilities=probs))
    return out


def _check_texts(texts: Sequence[str], most: int, settings: ServeSettings) -> None:
    """422 for more than ``most`` texts in one request, or a text over the length limit."""
    if len(texts) > most:
        raise HTTPException(422, f"{len(texts)} texts in one request; the limit is {most}")
    long = [i for i, t in enumerate(texts) if len(t) > settings.max_chars]
    if long:
        raise HTTPException(422, {"error": f"text {long[0]} has {len(texts[long[0]])} "
                                           f"characters; the limit is {settings.max_chars}",
                                  "detail": {"texts": long[:20]}})


def _check_explain_words(texts: Sequence[str], family: str, settings: ServeSettings) -> None:
    """422 when explaining ``texts`` would cost more than the request allows: each word is
    one more scoring of its tweet, and a slow family's scoring costs ~100x a fast one's."""
    most = settings.max_explain_words // (20 if family in SLOW_FAMILIES else 1)
    words = sum(len(t.split()) for t in texts)
    if words > most:
        raise HTTPException(422, f"{words:,} words to explain; the limit is {most:,} per "
                                 f"request for {family} models (each word is one more "
                                 "scoring of its tweet): send fewer or shorter texts")


async def _predict(served: dict[str, Served], settings: ServeSettings, metrics: Metrics,
                   req: PredictRequest,
                   generators: Mapping[str, ServedGenerator] | None = None) -> PredictResponse:
    """``POST /v1/predict`` for a validated request; limits raise ``HTTPException``."""
    entry = _pick(served, req.model, generators)
    _check_texts(req.texts, settings.max_texts, settings)
    entry, warning = _route(entry, served, req.model, req.texts)
    if len(req.texts) == 1 and entry.batcher is not None:
        proba = (await entry.batcher.submit(req.texts[0]))[None, :]
    else:
        proba = await asyncio.to_thread(entry.score, req.texts)
    predictions = _predictions(entry.model, proba, req.neutral_band)
    metrics.count_texts(entry.name, len(req.texts))
    return PredictResponse(model=entry.name, predictions=predictions, warning=warning)


class HotPredict:
    """``POST /v1/predict`` answered ahead of FastAPI's request machinery: the hot path.

    Scoring a tweet with a fast family costs less than FastAPI's per-request work
    (middleware layers, routing, dependency solving, response-model re-validation), which
    set the latency under load. This path validates the body with the same pydantic model
    and answers with the same code as the FastAPI route, so the response is identical; it
    checks the API key and body limit and records the same metrics. Whatever it does not
    answer itself - a missing key, an oversized or invalid body, an error such as an
    unknown model - goes on to the full app with the body replayed, so every error body
    is the one the FastAPI route gives.
    """

    ROUTE = "/v1/predict"
    JSON = [(b"content-type", b"application/json")]

    def __init__(self, served: dict[str, Served], settings: ServeSettings,
                 metrics: Metrics, generators: Mapping[str, ServedGenerator] | None = None
                 ) -> None:
        self.served = served
        self.generators = generators
        self.settings = settings
        self.metrics = metrics
        self.expected = f"Bearer {settings.api_key}".encode() if settings.api_key else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send, full: ASGIApp) -> None:
        start = time.perf_counter()
        content_type = dict(scope.get("headers") or []).get(b"content-type", b"")
        if (self.expected is not None and not _key_ok(scope, self.expected)) \
                or _wrong_content_type(self.ROUTE, content_type) is not None:
            await full(scope, receive, send)  # its answer: 401 or 415
            return
        try:
            read = await _read_body(receive, self.settings.max_body, self.settings.body_timeout)
        except TimeoutError:
            await _too_slow(self.settings.body_timeout)(scope, receive, send)
            return
        if read is None:
            return
        body, more = read
        replay = _replay(body, more, receive)
        req = None
        if not more and len(body) <= self.settings.max_body:
            try:
                req = PredictRequest.model_validate_json(body)
            except ValueError:
                pass
        if req is None:
            await full(scope, replay, send)
            return
        try:
            out = await _predict(self.served, self.settings, self.metrics, req, self.generators)
        except Exception:  # noqa: BLE001 - the route raises it again: its error body, metrics
            await full(scope, replay, send)
            return
        payload = out.model_dump_json().encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [*self.JSON, (b"content-length", str(len(payload)).encode())]})
        await send({"type": "http.response.body", "body": payload})
        self.metrics.observe(self.ROUTE, 200, time.perf_counter() - start)


class TweetlabApp(FastAPI):
    """FastAPI, with ``POST /v1/predict`` taken by :class:`HotPredict` first."""

    hot: HotPredict | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.hot is not None and scope["type"] == "http" and \
                scope["path"] == HotPredict.ROUTE and scope["method"] == "POST":
            await self.hot(scope, receive, send, super().__call__)
            return
        await super().__call__(scope, receive, send)


def _decoded(raw: bytes, encoding: str) -> str:
    """``POST /v1/predict-csv``'s body as text; 422 for an unknown or non-text encoding or
    bytes it does not decode."""
    try:
        info = codecs.lookup(encoding)
    except (LookupError, ValueError):  # ValueError: e.g. a NUL in the name
        raise HTTPException(422, f"unknown encoding {encoding!r}") from None
    if not getattr(info, "_is_text_encoding", True):  # base64, zlib, rot13...
        raise HTTPException(422, f"{encoding!r} is not a text encoding")
    try:
        return raw.decode("utf-8-sig" if info.name == "utf-8" else info.name)
    except UnicodeDecodeError as exc:
        raise HTTPException(422, f"the CSV is not {encoding} (byte {exc.start}); pass "
                                 "encoding=, e.g. ?encoding=latin-1") from None
    except (UnicodeError, LookupError) as exc:
        raise HTTPException(422, f"cannot decode the CSV as {encoding} ({exc})") from None


def _csv_rows(text: str) -> list[list[str]]:
    """The rows of a CSV body; 422 naming the line of a row the csv module cannot read
    (a field over its 16 MiB limit, a stray quote in strict mode)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = []
    try:
        for row in reader:
            rows.append(row)
    except csv.Error as exc:
        raise HTTPException(422, f"line {reader.line_num}: the CSV cannot be read ({exc})"
                            ) from None
    return rows


def _text_column(header: list[str], text_column: str | None) -> int:
    """Which column of a CSV holds the tweets: the one named, one with a usual name, or
    the only one; 422 otherwise."""
    if text_column is not None:
        if text_column not in header:
            raise HTTPException(422, f"no column {text_column!r}; columns: "
                                     f"{list_columns(header)}")
        return header.index(text_column)
    guesses = [i for i, h in enumerate(header) if h.strip().lower() in {
        "text", "tweet", "full_text", "content", "message"}]
    if not guesses and len(header) > 1:
        raise HTTPException(422, f"cannot tell which column holds the tweets "
                                 f"(columns: {list_columns(header)}); pass text_column=")
    return guesses[0] if guesses else 0


def _scored_csv(header: list[str], body: list[list[str]], preds: list[Prediction],
                classes: list[str]) -> str:
    """The CSV with label, confidence and a probability per class added to every row
    (``predicted_`` in front when the file has such columns already, e.g. a gold label)."""
    out = io.StringIO()
    w = csv.writer(out)
    added = ["label", "confidence", *(f"p_{c}" for c in classes)]
    if {h.strip().lower() for h in header} & {a.lower() for a in added}:
        added = [f"predicted_{a}" for a in added]
    w.writerow([*header, *added])
    for r, p in zip(body, preds, strict=True):
        w.writerow([*r, p.label, f"{p.confidence:.4f}",
                    *(f"{p.probabilities[c]:.4f}" for c in classes)])
    return out.getvalue()


def _routes(served: dict[str, Served], generators: dict[str, ServedGenerator],
            settings: ServeSettings, metrics: Metrics) -> APIRouter:
    router = APIRouter()

    @router.post("/v1/predict", response_model=PredictResponse,
                 responses={401: {}, 404: {}, 413: {}, 422: {}})
    async def predict(req: PredictRequest) -> PredictResponse:
        """Label tweets: one label, its confidence and all class probabilities per text."""
        return await _predict(served, settings, metrics, req, generators)

    @router.post("/v1/explain", response_model=ExplainResponse,
                 responses={401: {}, 404: {}, 413: {}, 422: {}})
    async def explain_route(req: ExplainRequest, request: Request) -> ExplainResponse:
        """Why each text got its label: every word's weight, in bits of evidence for the
        label (each word left out in turn; a text of n words costs n + 1 predictions)."""

        entry = _pick(served, req.model, generators)
        _check_texts(req.texts, settings.max_explain_texts, settings)
        entry, warning = _route(entry, served, req.model, req.texts)
        _check_explain_words(req.texts, entry.model.family, settings)
        found = []
        try:
            for i, text in enumerate(req.texts):  # one text at a time: a client that left
                if i and await request.is_disconnected():  # stops the work
                    metrics.count_texts(entry.name, i)
                    raise HTTPException(499, "the client closed the connection")
                found += await asyncio.to_thread(
                    explain, entry.model, [text], target=req.target, entity=req.entity,
                    neutral_band=req.neutral_band, score=entry.score)
        except TweetlabError as exc:
            raise HTTPException(422, str(exc)) from None
        metrics.count_texts(entry.name, len(req.texts))
        return ExplainResponse(model=entry.name, explanations=[
            ExplanationBody.model_validate(e.to_dict()) for e in found], warning=warning)

    @router.post("/v1/generate", response_model=GenerateResponse,
                 responses={401: {}, 404: {}, 413: {}, 422: {}})
    async def generate(req: GenerateRequest) -> GenerateResponse:
        """Write new tweets in a generator's learned style, each starting with the prompt."""
        entry = _pick_generator(generators, served, req.model)
        try:
            tweets, rejected = await asyncio.to_thread(entry.generate, req)
        except TweetlabError as exc:
            raise HTTPException(422, str(exc)) from None
        metrics.count_texts(entry.name, len(tweets))
        return GenerateResponse(model=entry.name, tweets=tweets, rejected=rejected)

    @router.post("/v1/predict-csv", response_class=PlainTextResponse,
                 responses={200: {"content": {"text/csv": {}}}, 404: {}, 413: {}, 422: {}},
                 openapi_extra={"requestBody": {"required": True, "content": {
                     "text/csv": {"schema": {"type": "string"}}}}})
    async def predict_csv(request: Request,
                          model: str | None = Query(None, description="model name"),
                          text_column: str | None = Query(None, description="column of the "
                                                          "tweets (guessed when omitted)"),
                          encoding: str = Query("utf-8", description="the CSV's text encoding "
                                                "(e.g. latin-1, cp1252)")
                          ) -> Response:
        """Label every row of a CSV (sent as the body); returns it with label columns added."""
        entry = _pick(served, model, generators)
        # (the middleware has checked the Content-Type: text/csv, no form upload)
        rows = _csv_rows(_decoded(await request.body(), encoding))
        if not rows or not rows[0]:
            raise HTTPException(422, "the CSV is empty")
        header, body = rows[0], rows[1:]
        col = _text_column(header, text_column)
        # A slow model (a fine-tuned transformer) scores ~100 tweets/s: its requests are
        # held to the JSON endpoint's size, so one request cannot hold a core for minutes.
        most = settings.max_texts * (1 if entry.model.family in SLOW_FAMILIES else 100)
        if len(body) > most:
            raise HTTPException(422, f"{len(body):,} rows; the limit is {most:,}"
                                     + (f" for {entry.model.family} models" if most ==
                                        settings.max_texts else ""))
        bad = [n + 2 for n, r in enumerate(body) if len(r) <= col]
        if bad:
            raise HTTPException(422, f"line {bad[0]}: row has no field {header[col]!r}")
        texts = [r[col] for r in body]
        long = [n for n, t in enumerate(texts) if len(t) > settings.max_chars]
        if long:
            raise HTTPException(422, f"line {long[0] + 2}: the {header[col]!r} field has "
                                     f"{len(texts[long[0]]):,} characters; the limit is "
                                     f"{settings.max_chars:,}")
        proba = await asyncio.to_thread(entry.score, texts) if texts else \
            np.zeros((0, len(entry.model.classes_)))
        preds = _predictions(entry.model, proba, None)
        metrics.count_texts(entry.name, len(texts))
        return Response(_scored_csv(header, body, preds, list(entry.model.classes_)),
                        media_type="text/csv",
                        headers={"Content-Disposition": 'attachment; filename="scored.csv"'})

    @router.get("/v1/models", response_model=ModelList)
    async def list_models() -> ModelList:
        """The models served: name, family, labels and held-out scores; classifiers
        first, then tweet generators (task ``text-generation``)."""
        return ModelList(models=[ModelInfo(name=e.name, family=e.model.family,
                                           labels=list(e.model.output_labels),
                                           task=e.model.task, metrics=e.metrics,
                                           source=Path(e.source).name)
                                 for e in served.values()]
                         + [ModelInfo(name=g.name, family=g.generator.family, labels=[],
                                      task=GENERATION, metrics=g.metrics,
                                      source=Path(g.source).name)
                            for g in generators.values()],
                         default=next(iter(served), next(iter(generators), "")))

    @router.get("/healthz", response_model=Health)
    async def healthz() -> Health:
        """Liveness: ok once the models are loaded."""
        loaded = len(served) + len(generators)
        return Health(status="ok" if loaded else "loading", models=loaded)

    @router.get("/metrics", response_class=PlainTextResponse)
    async def prometheus() -> PlainTextResponse:
        """Requests, errors and latency in the Prometheus text format."""
        return PlainTextResponse(metrics.render(), media_type="text/plain; version=0.0.4")

    @router.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page() -> HTMLResponse:
        return HTMLResponse((STATIC / "index.html").read_text(encoding="utf-8"))

    return router


def app_from_env() -> FastAPI:
    """App factory for worker processes: models named in ``TWEETLAB_SERVE_MODELS`` (JSON)."""

    names = json.loads(os.environ.get("TWEETLAB_SERVE_MODELS", "[]"))
    return create_app(names or None, ServeSettings.from_env(
        host=os.environ.get("TWEETLAB_SERVE_HOST", "127.0.0.1")))


def serve(models: Sequence[str | Path] | None = None, *, host: str = "127.0.0.1",
          port: int = 8000, log_level: str = "info", workers: int = 1,
          threads: int | None = None) -> None:
    """Run the service with uvicorn until Ctrl-C (CLI: ``tweetlab serve``).

    ``workers`` > 1 starts that many processes on the same port (the kernel spreads the
    connections); each loads its own copy of the models and keeps its own ``/metrics``.
    """

    import uvicorn  # lazy: uvicorn: slow to import

    if workers < 1:
        raise ConfigError(f"workers = {workers}: must be >= 1")
    settings = ServeSettings.from_env(host=host, port=port, threads=threads)
    check_exposure(settings)
    sources = _model_sources(models)  # bad names fail here, before any worker starts
    _check_servable(sources)
    _check_port_free(host, port)
    if workers == 1:
        app = create_app(models, settings)
        uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False,
                    limit_concurrency=settings.max_connections)
        return
    os.environ["TWEETLAB_SERVE_MODELS"] = json.dumps(
        {name: str(path) for name, path in sources.items()})
    os.environ["TWEETLAB_SERVE_HOST"] = host
    if threads is not None:
        os.environ["TWEETLAB_THREADS"] = str(threads)
    uvicorn.run("tweetlab.serving.app:app_from_env", factory=True, host=host, port=port,
                workers=workers, log_level=log_level, access_log=False,
                limit_concurrency=settings.max_connections)
