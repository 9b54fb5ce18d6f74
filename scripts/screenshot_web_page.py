"""Take the README's screenshot of the web page: the bundled models and a generator folder
served on loopback, a few tweets classified, three tweets written.

Usage: python scripts/screenshot_web_page.py GENERATOR_DIR [PROMPT] [--name NAME]
       [--out docs/img/web_page.png]
Needs playwright and a Chromium (scripts/install_browser.sh).
"""

from __future__ import annotations

import argparse
import shutil
import socket
import threading
import time
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright

from tweetlab.bundled import available
from tweetlab.serving import ServeSettings, create_app

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("generator")
    parser.add_argument("prompt", nargs="?", default="The fake news media")
    parser.add_argument("--name", help="the generator's name on the page (default: its folder's)")
    parser.add_argument("--out", default=str(ROOT / "docs" / "img" / "web_page.png"))
    args = parser.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    models = {name: name for name in available()}
    models[args.name or Path(args.generator).name] = args.generator
    server = uvicorn.Server(uvicorn.Config(create_app(models, ServeSettings()), host="127.0.0.1",
                                           port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--headless", "--no-sandbox"],
                                    chromium_sandbox=False)
        page = browser.new_page(viewport={"width": 1000, "height": 900})
        page.goto(f"http://127.0.0.1:{port}/")
        page.wait_for_selector("#model option", state="attached")
        page.fill("#texts", "What a lovely sunny day at the beach\n"
                            "Worst customer service ever, never again")
        page.click("#classify")
        page.wait_for_selector(".prediction >> nth=1")
        page.fill("#prompt", args.prompt)
        page.click("#generate")
        page.wait_for_selector(".generated >> nth=2")
        page.screenshot(path=args.out, full_page=True)
        browser.close()
    server.should_exit = True
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
