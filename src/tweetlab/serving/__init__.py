"""The REST service: ``create_app(models)`` for tests and embedding, ``serve`` to run it."""

from .app import create_app, serve
from .settings import ServeSettings, check_exposure

__all__ = ["ServeSettings", "check_exposure", "create_app", "serve"]
