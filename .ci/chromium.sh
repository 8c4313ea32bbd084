#!/usr/bin/env bash
# Headless Chromium from Debian's packages, as root, for the tests that look at pages as a person
# would (tests/orchestration/test_ui.py, the insight report): they fail in CI without it.
#
#   bash .ci/chromium.sh
#
# Installs `chromium` and the fonts pages are drawn with when the browser is missing; does nothing
# when it is there. Progress goes to stderr.
set -euo pipefail

say() { echo "chromium.sh: $*" >&2; }

if command -v chromium >/dev/null 2>&1; then
    say "$(chromium --version 2>/dev/null) is installed"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    say "run as root (it installs Debian packages)"
    exit 1
fi

say "installing Chromium from Debian's packages"
started=$(date +%s)
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core fonts-liberation >&2
if ! command -v chromium >/dev/null 2>&1; then
    say "no chromium on PATH after installing"
    exit 1
fi
say "installed $(chromium --version 2>/dev/null) in $(($(date +%s) - started)) s"
