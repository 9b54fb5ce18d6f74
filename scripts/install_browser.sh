#!/usr/bin/env bash
# Best effort: make Debian's Chromium available for the web-page test (tests/test_web_page.py).
# Installs it only where that needs no password (root with apt-get, as on CI); elsewhere
# it says how, and the browser test skips.
set -u
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's chromium for the browser test (apt-get)..."
  if (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
      >/tmp/tweetlab-chromium-install.log 2>&1; then
    exit 0
  fi
  echo "could not install chromium (see /tmp/tweetlab-chromium-install.log); the browser test will skip"
  exit 0
fi
echo "no chromium found: the browser test will skip (sudo apt-get install chromium to run it)"
exit 0
