#!/usr/bin/env bash
# Helper for the peer scripts: installs Debian packages that are missing, quietly.
# Usage: bash tests/apt-install.sh PACKAGE...  (called by the scripts in tests/peers/)
set -euo pipefail
missing=()
for package in "$@"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# With recommended packages: Chromium and LibreOffice need their fonts to lay out pages the
# way the tests measure them.
$sudo apt-get install -y -qq "${missing[@]}" >/dev/null
