#!/usr/bin/env bash
# LibreOffice Calc without a display: the workbook tests convert the donor and manager
# workbooks to PDF with it, to prove another reader than Excel opens them cleanly.
set -euo pipefail
command -v libreoffice >/dev/null 2>&1 && exit 0
bash "$(dirname "$0")/../apt-install.sh" libreoffice-calc-nogui
