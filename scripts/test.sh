#!/usr/bin/env bash
# Runs every medoffice test, installing what the tests need on a fresh Debian machine:
# PostgreSQL (for the store and use-case suite, which runs on SQLite AND PostgreSQL) and
# Chromium with ChromeDriver (for the browser journeys). Then: rustfmt check, clippy with
# warnings as errors, and the whole test suite. Fails if the PostgreSQL suite could not run.
#
# Environment: MEDOFFICE_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test).
set -euo pipefail
cd "$(dirname "$0")/.."

export MEDOFFICE_TEST_POSTGRES_URL="${MEDOFFICE_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
SUDO=""
if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
APT_UPDATED=""

say() { printf '\n== %s\n' "$*"; }

apt_install() {
  if [ -z "$APT_UPDATED" ]; then
    $SUDO apt-get update -qq
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

ensure_postgres() {
  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    return
  fi
  say "PostgreSQL is not listening on 127.0.0.1:5432: installing and starting it"
  if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
    apt_install postgresql postgresql-client
  fi
  local version
  version="$(ls /etc/postgresql | sort -V | tail -n 1)"
  local hba="/etc/postgresql/$version/main/pg_hba.conf"
  # The tests connect as postgres over TCP on loopback without a password.
  if ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
    $SUDO sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  fi
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start || $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main restart
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  pg_isready -h 127.0.0.1 -p 5432
}

ensure_test_database() {
  if ! psql "$MEDOFFICE_TEST_POSTGRES_URL" -Atc 'SELECT 1' >/dev/null 2>&1; then
    psql "postgres://postgres@127.0.0.1:5432/postgres" -Atc 'CREATE DATABASE test' >/dev/null
  fi
  psql "$MEDOFFICE_TEST_POSTGRES_URL" -Atc 'SELECT 1' >/dev/null
}

ensure_chromium() {
  if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    return
  fi
  say "Installing Chromium and ChromeDriver (Debian packages) for the browser tests"
  apt_install chromium chromium-driver
}

say "Services and tools"
command -v psql >/dev/null 2>&1 || apt_install postgresql-client
# The ledger's export is checked against an independent accounting tool.
command -v hledger >/dev/null 2>&1 || { say "Installing hledger (Debian package) for the ledger cross-check"; apt_install hledger; }
ensure_postgres
ensure_test_database
ensure_chromium
# The letters' tests read their PDFs back with pdftotext (poppler-utils).
command -v pdftotext >/dev/null 2>&1 || { say "Installing poppler-utils (Debian package) for the PDF text checks"; apt_install poppler-utils; }
# The TLS test makes its certificate with the openssl command.
command -v openssl >/dev/null 2>&1 || { say "Installing openssl (Debian package) for the TLS test's certificate"; apt_install openssl; }
# The x12 crate's tests have pyx12 (PyPI) validate every 837P file medoffice writes; it lives in a
# cached virtual environment (scripts/x12-validate --install is idempotent).
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || apt_install python3 python3-venv
scripts/x12-validate --install >/dev/null
echo "PostgreSQL: $(psql "$MEDOFFICE_TEST_POSTGRES_URL" -Atc 'SHOW server_version')"
echo "Chromium: $(/usr/bin/chromium --version 2>/dev/null | head -n 1)"
echo "hledger: $(hledger --version 2>/dev/null | head -n 1)"
echo "pyx12: $(scripts/x12-validate --install)"

say "cargo fmt --check"
cargo fmt --all -- --check

say "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

say "cargo test (SQLite and PostgreSQL suites, API, browser)"
log="$(mktemp)"
set +e
cargo test --workspace --locked 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
if [ "$status" != "0" ]; then
  echo "tests failed" >&2
  exit "$status"
fi

# The PostgreSQL suite must have run: count its tests in the output.
pg_tests=$(grep -cE '^test .*_postgres \.\.\. ok$' "$log" || true)
sqlite_tests=$(grep -cE '^test .*_sqlite \.\.\. ok$' "$log" || true)
echo "store and use-case tests passed: $sqlite_tests on SQLite, $pg_tests on PostgreSQL"
if [ "$pg_tests" -eq 0 ] || [ "$pg_tests" -ne "$sqlite_tests" ]; then
  echo "the PostgreSQL suite did not run in full: this run does not count" >&2
  exit 1
fi
passed=$(awk '/^test result: /{for(i=1;i<=NF;i++) if($(i+1) ~ /^passed/) s+=$i} END{print s+0}' "$log")
failed=$(awk '/^test result: /{for(i=1;i<=NF;i++) if($(i+1) ~ /^failed/) s+=$i} END{print s+0}' "$log")
echo
echo "${passed} passed, ${failed} failed"
