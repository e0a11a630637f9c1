#!/usr/bin/env bash
# Kunde's quick start (the README's first command).
#
# On a fresh Debian/Ubuntu machine with Python 3.11: creates .venv, installs Kunde into
# it, prepares the SQLite database in ./data, loads demo data and creates an admin
# login on the first start, then serves Kunde at http://127.0.0.1:8000.
# Later starts skip what is done already. Ctrl-C stops the server.
#
# Environment: KUNDE_DATA_DIR (default ./data), KUNDE_HOST, KUNDE_PORT, KUNDE_VENV,
# KUNDE_DEMO_CUSTOMERS (default 200; 0 = no demo data), plus everything in docs/operations.md.
set -euo pipefail
cd "$(dirname "$0")"

VENV="${KUNDE_VENV:-.venv}"
export KUNDE_DATA_DIR="${KUNDE_DATA_DIR:-$PWD/data}"
HOST="${KUNDE_HOST:-127.0.0.1}"
PORT="${KUNDE_PORT:-8000}"
DEMO_CUSTOMERS="${KUNDE_DEMO_CUSTOMERS:-200}"
PASSWORD_FILE="$KUNDE_DATA_DIR/admin-password.txt"

say() { printf '\n== %s\n' "$*"; }
die() { printf '\nstart.sh: %s\n' "$*" >&2; exit 1; }

# --- Python 3.11 or newer -----------------------------------------------------------
PYTHON="${PYTHON:-python3}"
command -v "$PYTHON" >/dev/null || die "python3 was not found. Install it with: sudo apt-get install -y python3"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || die "Kunde needs Python 3.11 or newer; $("$PYTHON" --version 2>&1) was found."

# --- the virtual environment ------------------------------------------------------------
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
  say "Creating the virtual environment in $VENV"
  rm -rf "$VENV"
  if ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
    rm -rf "$VENV"
    venv_package="python$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')-venv"
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "python3 -m venv needs Debian's $venv_package; installing it."
      DEBIAN_FRONTEND=noninteractive apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$venv_package" \
        || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
      "$PYTHON" -m venv "$VENV"
    else
      die "python3 -m venv does not work: Debian's venv package is missing. Install it with:
    sudo apt-get install -y $venv_package
then run ./start.sh again."
    fi
  fi
fi

# --- install Kunde (again only when pyproject.toml changed) -----------------------------
stamp="$VENV/.kunde-installed"
wanted="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ ! -x "$VENV/bin/kunde" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  say "Installing Kunde and its dependencies (first time: a minute or two)"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e .
  echo "$wanted" > "$stamp"
fi
KUNDE="$VENV/bin/kunde"

# --- database, admin login, demo data ------------------------------------------------------
mkdir -p "$KUNDE_DATA_DIR"
say "Preparing the database in $KUNDE_DATA_DIR"
"$KUNDE" migrate --no-input -v0

if [ ! -f "$PASSWORD_FILE" ]; then
  # First start: an administrator with a generated password, kept (readable by you only)
  # in the data directory. An existing admin (created by hand) is left alone.
  password="$("$VENV/bin/python" -c 'import secrets; print(secrets.token_urlsafe(12))')"
  created="$(KUNDE_ADMIN_PASSWORD="$password" "$KUNDE" createadmin --username admin \
             --email admin@example.com --no-input --if-missing)"
  echo "$created"
  if [[ "$created" == *created* ]]; then
    (umask 077 && printf '%s\n' "$password" > "$PASSWORD_FILE")
  fi
fi

if [ "$DEMO_CUSTOMERS" != 0 ]; then
  # Only on a database without people: a first start, never over real data.
  password="$(cat "$PASSWORD_FILE" 2>/dev/null || true)"
  KUNDE_DEMO_PASSWORD="$password" "$KUNDE" demo --if-empty --customers "$DEMO_CUSTOMERS"
fi

# --- serve --------------------------------------------------------------------------------
say "Starting Kunde"
if [ -f "$PASSWORD_FILE" ]; then
  cat <<EOF

  ┌──────────────────────────────────────────────────────────────
  │  Kunde:     http://$HOST:$PORT/
  │  Log in as: admin
  │  Password:  $(cat "$PASSWORD_FILE")
  │  (saved in $PASSWORD_FILE; demo users have the same password)
  └──────────────────────────────────────────────────────────────

EOF
else
  printf '\n  Kunde: http://%s:%s/ (log in with your admin account)\n\n' "$HOST" "$PORT"
fi
exec "$KUNDE" serve --host "$HOST" --port "$PORT"
