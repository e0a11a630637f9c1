#!/usr/bin/env bash
# Kunde's test command (the README's second quick-start command).
#
# Installs everything the tests need — the project with its test extras into .venv, and
# Debian's Chromium for the browser tests and Dovecot for the IMAP tests — then runs the static checks and the whole
# suite on SQLite, and again on PostgreSQL whenever one is reachable. With
# KUNDE_REQUIRE_POSTGRES=1 (set by CI) a missing PostgreSQL is a failure, not a skip.
set -euo pipefail
cd "$(dirname "$0")"

VENV="${KUNDE_VENV:-.venv}"
PG_URL="${KUNDE_TEST_POSTGRES_URL:-postgres://root@127.0.0.1:5432/kunde}"
PYTEST_ARGS=("$@")

say() { printf '\n== %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root (or sudo) to run: $*" >&2; return 1; fi
}

say "Python environment ($VENV)"
if [ ! -x "$VENV/bin/python" ]; then
  if ! python3 -m venv "$VENV" 2>/dev/null; then
    rm -rf "$VENV"
    echo "python3 -m venv failed; installing Debian's python3-venv" >&2
    as_root apt-get update -qq && as_root apt-get install -y -qq python3-venv
    python3 -m venv "$VENV"
  fi
fi
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q -e ".[test]"
PY="$VENV/bin/python"

say "Chromium for the browser tests"
if [ ! -x /usr/bin/chromium ]; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
fi
/usr/bin/chromium --version

say "Dovecot for the IMAP tests"
if ! command -v dovecot >/dev/null && [ ! -x /usr/sbin/dovecot ]; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd
fi

# A scratch data directory: the tests never touch ./data.
KUNDE_DATA_DIR="$(mktemp -d)"
export KUNDE_DATA_DIR
trap 'rm -rf "$KUNDE_DATA_DIR"' EXIT
export DJANGO_SETTINGS_MODULE=kunde.settings

say "Static checks"
"$VENV/bin/ruff" check .
"$VENV/bin/mypy"  # the files listed in pyproject.toml
"$PY" -m django check --fail-level WARNING
"$PY" -m django makemigrations --check --dry-run
"$PY" -m django openapi --check
KUNDE_ENV=production SECRET_KEY="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(64))')" \
  ALLOWED_HOSTS=crm.example.com "$PY" -m django check --deploy --fail-level WARNING

pg_reachable() {
  "$PY" - "$PG_URL" <<'PYEOF'
import sys
import psycopg
url = sys.argv[1].rsplit("/", 1)[0] + "/postgres"
try:
    psycopg.connect(url, connect_timeout=3).close()
except Exception as exc:
    print(f"PostgreSQL not reachable at {url}: {exc}", file=sys.stderr)
    sys.exit(1)
PYEOF
}

say "Test suite on SQLite"
"$PY" -m pytest -q "${PYTEST_ARGS[@]}"
ran="SQLite"

if pg_reachable; then
  say "Test suite on PostgreSQL ($PG_URL)"
  DATABASE_URL="$PG_URL" "$PY" -m pytest -q "${PYTEST_ARGS[@]}"
  ran="$ran and PostgreSQL"
elif [ "${KUNDE_REQUIRE_POSTGRES:-0}" = 1 ]; then
  echo "PostgreSQL is required (KUNDE_REQUIRE_POSTGRES=1) but not reachable" >&2
  exit 1
else
  echo "PostgreSQL not reachable: skipped the PostgreSQL run" >&2
fi

say "All tests passed on $ran."
