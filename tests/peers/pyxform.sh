#!/usr/bin/env bash
# pyxform: the XLSForm converter used by KoboToolbox and ODK, to check the shipped forms.
set -euo pipefail
python3 -c 'import pyxform' 2>/dev/null && exit 0
python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore 'pyxform==4.5.0'
