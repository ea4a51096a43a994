#!/usr/bin/env bash
# Validates the web API's OpenAPI document (Sources/CAMServer/Public/openapi.json) with
# openapi-spec-validator from PyPI (pinned in tools/requirements-web.txt), installed in the
# git-ignored venv tools/.venv-web.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=tools/.venv-web
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -c "import openapi_spec_validator" 2>/dev/null || "$VENV/bin/pip" install -q -r tools/requirements-web.txt
"$VENV/bin/python" - Sources/CAMServer/Public/openapi.json <<'PY'
import json, sys
from openapi_spec_validator import validate
with open(sys.argv[1]) as f:
    doc = json.load(f)
validate(doc)
print(f"{sys.argv[1]}: valid OpenAPI {doc['openapi']}, {len(doc['paths'])} paths")
PY
