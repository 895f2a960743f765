#!/usr/bin/env bash
# The pandas peer of benches/job_million.rs: a virtual environment under target/bench-venv with
# pinned pandas, python-calamine (read_excel's calamine engine) and xlsxwriter (to_excel's
# engine). Does nothing when the environment already holds these versions. Benchmarks only:
# neither the tests nor CI need it.
set -euo pipefail
cd "$(dirname "$0")/.."

pins=(pandas==2.3.3 python-calamine==0.6.1 xlsxwriter==3.2.9)
venv=target/bench-venv
stamp=$venv/.pantau-pins
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "${pins[*]}" ]; then
    exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "${pins[@]}"
echo "${pins[*]}" > "$stamp"
