#!/usr/bin/env bash
# aiosmtpd: a real SMTP server in Python, which tests/smtp/server.py wraps so that the email
# tests deliver over TCP on loopback and can make the server answer 4xx or 5xx.
set -euo pipefail
python3 -c 'import aiosmtpd' 2>/dev/null && exit 0
python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore 'aiosmtpd==1.4.6'
