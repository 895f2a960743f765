#!/usr/bin/env bash
# Converts XLSForm workbooks with pyxform's xls2xform (the reference converter) and fails when
# any of them does not convert.
#
#   .ci/check_forms.sh                          # every forms/*.xlsx
#   .ci/check_forms.sh forms tests/data/forms   # directories (their .xlsx and .xls) and/or files
#   STRICT=1 .ci/check_forms.sh                 # pyxform warnings fail too
#
# Needs `xls2xform` on PATH (pip install pyxform). When Java is installed, xls2xform also runs
# ODK Validate (JavaRosa) on the result; without Java that step is skipped, and said so.
# pyxform cannot read .ods, so .ods files are not checked.
set -euo pipefail

cd "$(dirname "$0")/.."

# The module form works even where pip's script folder is not on PATH (pyenv shims that were
# not rehashed, --user installs).
if ! python3 -c 'import pyxform' >/dev/null 2>&1; then
    echo "check_forms: pyxform not found; install it with: pip install pyxform" >&2
    exit 2
fi
xls2xform() { python3 -m pyxform.xls2xform "$@"; }

validate=()
if command -v java >/dev/null 2>&1; then
    echo "check_forms: pyxform + ODK Validate (Java found)"
else
    validate=(--skip_validate)
    echo "check_forms: pyxform only (no Java, so ODK Validate is skipped)"
fi

targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(forms)

files=()
for target in "${targets[@]}"; do
    if [ -d "$target" ]; then
        while IFS= read -r -d '' f; do files+=("$f"); done < <(
            find "$target" -maxdepth 1 -type f \( -name '*.xlsx' -o -name '*.xls' \) \
                ! -name '~$*' ! -name '.~lock*' -print0 | sort -z
        )
    elif [ -f "$target" ]; then
        files+=("$target")
    else
        echo "check_forms: no such file or directory: $target" >&2
        exit 2
    fi
done
if [ ${#files[@]} -eq 0 ]; then
    echo "check_forms: no .xlsx/.xls forms found in: ${targets[*]}" >&2
    exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

failed=0
i=0
for f in "${files[@]}"; do
    i=$((i + 1))
    out="$tmp/$i.xml"
    # --json makes xls2xform catch every error and report {"code", "message", "warnings"} as
    # its last line (100 ok, 101 ok with warnings, 999 error); its exit status alone is not
    # reliable (some errors exit 0).
    report=$(xls2xform --json "${validate[@]}" "$f" "$out" 2>&1 | tail -n 1) || true
    verdict=$(
        REPORT="$report" STRICT="${STRICT:-0}" python3 - <<'EOF'
import json, os
try:
    r = json.loads(os.environ["REPORT"])
except ValueError:
    print("FAIL\tunexpected output: " + os.environ["REPORT"][:500])
    raise SystemExit
code, warnings = r.get("code"), r.get("warnings") or []
if code in (100, 101) and not (warnings and os.environ["STRICT"] == "1"):
    print("ok\t" + (f"{len(warnings)} warning(s)" if warnings else "no warnings"))
else:
    message = "pyxform warnings (STRICT=1)" if code in (100, 101) else str(r.get("message"))
    lines = [l for l in message.splitlines() if l.strip()]
    print("FAIL\t" + (lines[0] if lines else "error"))
    for l in lines[1:]:
        print("detail\t" + l)
for w in warnings:
    print("warning\t" + " ".join(str(w).split()))
EOF
    )
    status=${verdict%%$'\t'*}
    first=${verdict%%$'\n'*}
    if [ "$status" = "ok" ] && [ -s "$out" ]; then
        echo "ok    $f (${first#*$'\t'})"
    else
        echo "FAIL  $f: ${first#*$'\t'}"
        failed=$((failed + 1))
    fi
    # pyxform's warnings, indented under their file.
    printf '%s\n' "$verdict" | sed -n -e 's/^warning\t/      warning: /p' -e 's/^detail\t/      /p'
done

if [ "$failed" -gt 0 ]; then
    echo "check_forms: $failed of ${#files[@]} form(s) failed"
    exit 1
fi
echo "check_forms: all ${#files[@]} form(s) converted"
