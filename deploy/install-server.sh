#!/usr/bin/env bash
# Install the survey server on a Debian 12 machine (or a VPS), as root:
#   deploy/install-server.sh [--wheel dist/ctt_survey-*.whl] [--root /]
# Puts the program in /opt/survey/venv, its data in /var/lib/survey-server (user `survey`), settings in
# /etc/survey-server/env (0600), backups in /var/backups/survey-server, and starts survey-server.service
# with the nightly backup timer. `--root DIR` installs into a staging folder instead (no users, no
# systemctl, no Debian packages): what CI checks.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SOURCE=$(dirname "$HERE")
ROOT=/
WHEEL=
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT=$2; shift 2 ;;
    --wheel) WHEEL=$2; shift 2 ;;
    *) echo "install-server: unknown option $1 (use --wheel FILE, --root DIR)" >&2; exit 2 ;;
  esac
done
REAL=$([ "$ROOT" = / ] && echo yes || echo no)
if [ "$REAL" = yes ] && [ "$(id -u)" != 0 ]; then
  echo "install-server: run as root (sudo deploy/install-server.sh)" >&2; exit 1
fi
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3

if [ "$REAL" = yes ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    python3 python3-venv postgresql-client fonts-noto-core fonts-liberation2 sqlite3
  id survey >/dev/null 2>&1 || useradd --system --home-dir /var/lib/survey-server --shell /usr/sbin/nologin survey
fi
if [ -z "$WHEEL" ]; then
  mkdir -p "$ROOT/opt/survey/dist"
  "$PY" -m pip wheel -q --no-deps -w "$ROOT/opt/survey/dist" "$SOURCE"
  WHEEL=$(ls -t "$ROOT"/opt/survey/dist/ctt_survey-*.whl | head -1)
fi

VENV="$ROOT/opt/survey/venv"
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade "pip>=24"
"$VENV/bin/python" -m pip install -q -c "$SOURCE/requirements.lock" "$WHEEL[server]"

install -d -m 0750 "$ROOT/var/lib/survey-server" "$ROOT/var/backups/survey-server"
install -d -m 0755 "$ROOT/etc/systemd/system" "$ROOT/etc/survey-server"
for unit in survey-server.service survey-server-backup.service survey-server-backup.timer; do
  install -m 0644 "$HERE/systemd/$unit" "$ROOT/etc/systemd/system/$unit"
done
ENV_FILE="$ROOT/etc/survey-server/env"
if [ ! -f "$ENV_FILE" ]; then
  (umask 077 && cat > "$ENV_FILE" <<ENV
# survey-server settings (docs/deploy.md). PostgreSQL for a province:
# SURVEY_DATABASE_URL=postgresql+psycopg://survey:MAT-KHAU@127.0.0.1:5432/survey
SURVEY_DATABASE_URL=sqlite:////var/lib/survey-server/server.db
SURVEY_DATA_DIR=/var/lib/survey-server/data
# The address browsers use; https makes the dashboard's cookies Secure:
# SURVEY_PUBLIC_URL=https://survey.xa.local
# The signing key is kept in SURVEY_DATA_DIR/secret.key (0600, made by `survey-server init`);
# `survey-server key rotate` replaces it. SURVEY_SECRET_KEY=… here would set it instead.
ENV
  )
fi
if [ "$REAL" = yes ]; then
  chown -R survey:survey /var/lib/survey-server /var/backups/survey-server
  chown root:survey "$ENV_FILE" && chmod 0640 "$ENV_FILE"
  systemctl daemon-reload
  systemctl enable --now survey-server.service survey-server-backup.timer
  echo "install-server: survey-server runs on 127.0.0.1:8000; put Caddy in front (deploy/Caddyfile)."
else
  echo "install-server: staged into $ROOT"
fi
