"""Fuzz the OpenAPI schema with schemathesis: no input may cause a server error."""

from __future__ import annotations

import pytest

from tweetlab.models import create
from tweetlab.serving import ServeSettings, create_app

from .conftest import make_corpus

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402


def _app():
    import tempfile
    from pathlib import Path

    from .test_ngram import repetitive_account, tiny

    texts, labels = make_corpus(120)
    root = Path(tempfile.mkdtemp())
    path = create("tfidf").fit(texts, labels).save(root / "m")
    gen = tiny(ngram=4).fit(repetitive_account(60)).save(root / "g")  # POST /v1/generate too
    return create_app([path, gen], ServeSettings(max_texts=20, max_chars=500))


schema = schemathesis.openapi.from_asgi("/openapi.json", _app())


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_gets_a_server_error(case):
    from schemathesis.checks import not_a_server_error

    case.call_and_validate(checks=[not_a_server_error])
