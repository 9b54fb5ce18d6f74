"""MkDocs hook: the CLI page's command reference is the parser's own help, so it cannot go
stale. ``<!-- cli-reference -->`` in a page becomes one section per command."""

from __future__ import annotations

import argparse
import os
from typing import Any

MARK = "<!-- cli-reference -->"


def _help(parser: argparse.ArgumentParser) -> str:
    os.environ.setdefault("COLUMNS", "100")  # argparse wraps to the terminal's width
    return parser.format_help()


def _sections() -> str:
    from tweetlab.cli import build_parser

    parser = build_parser()
    out = ["## tweetlab", "", "```text", _help(parser).rstrip(), "```", ""]
    subs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, sub in subs.choices.items():
        out += [f"## tweetlab {name}", "", "```text", _help(sub).rstrip(), "```", ""]
        nested = [a for a in sub._actions if isinstance(a, argparse._SubParsersAction)]
        for action in nested:
            for sname, ssub in action.choices.items():
                out += [f"### tweetlab {name} {sname}", "", "```text", _help(ssub).rstrip(),
                        "```", ""]
    return "\n".join(out)


def on_page_markdown(markdown: str, **_: Any) -> str:
    return markdown.replace(MARK, _sections()) if MARK in markdown else markdown
