#!/usr/bin/env bash
# The README's test command: installs the real programs the tests talk to (the "peers":
# pyxform, a headless Chromium, LibreOffice, an SMTP server, ...) and runs the test suite.
# Each tests/peers/*.sh installs one group of peers and does nothing when they are already
# there, so running this twice is quick. Needs root (or sudo) for Debian packages.
set -euo pipefail
cd "$(dirname "$0")/.."

for peer in tests/peers/*.sh; do
    [ -e "$peer" ] || continue
    printf '==> installing test peers: %s\n' "$(basename "$peer" .sh)"
    bash "$peer"
done

printf '==> cargo test\n'
cargo test --locked "$@"
