#!/usr/bin/env bash
# Headless Chromium and the Node packages that drive it (playwright-core) and check the pages
# (axe-core), for tests/it/browser.rs. Does nothing when both are present and node_modules
# matches the committed package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/../browser"

bash ../apt-install.sh chromium chromium-driver

command -v node >/dev/null || bash ../apt-install.sh nodejs npm
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
    echo "tests/peers/browser.sh: playwright-core needs Node.js 20 or newer, found $(node --version)" >&2
    exit 1
fi

# npm ci when node_modules is missing or was installed from another lock file: the stamp
# holds the hash of the lock file it was installed from.
stamp=node_modules/.pantau-lock.sha256
wanted=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
    npm ci --no-audit --no-fund --loglevel=error
    echo "$wanted" > "$stamp"
fi
