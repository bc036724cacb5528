#!/usr/bin/env bash
# Install what the review queue's browser test (tests/review/test_review_browser.py) needs:
# Debian's headless-capable Chromium at /usr/bin/chromium. The test drives it over the Chrome
# DevTools Protocol with the `websockets` package already in the venv, so no chromedriver,
# selenium or browser download is needed (chromium-driver is installed too for convenience).
# Called by .ci/run; safe to re-run.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
    echo "install-browser: $(/usr/bin/chromium --version 2>/dev/null || echo chromium) already installed"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium chromium-driver fonts-dejavu-core ca-certificates
/usr/bin/chromium --version
