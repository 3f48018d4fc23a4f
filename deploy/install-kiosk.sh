#!/usr/bin/env bash
# Install a counter device (Debian 12 / Raspberry Pi OS with a touch screen), as root:
#   deploy/install-kiosk.sh [--wheel dist/ctt_survey-*.whl] [--root /]
# Puts the program in /opt/survey/venv, the kiosk's store in /var/lib/survey-kiosk (user `kiosk`), and
# starts survey-kiosk.service: the app full screen in the cage Wayland compositor on tty1 from boot,
# restarted if it crashes. Then enrol it (docs/deploy.md). `--root DIR` stages into a folder (CI).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SOURCE=$(dirname "$HERE")
ROOT=/
WHEEL=
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT=$2; shift 2 ;;
    --wheel) WHEEL=$2; shift 2 ;;
    *) echo "install-kiosk: unknown option $1 (use --wheel FILE, --root DIR)" >&2; exit 2 ;;
  esac
done
REAL=$([ "$ROOT" = / ] && echo yes || echo no)
if [ "$REAL" = yes ] && [ "$(id -u)" != 0 ]; then
  echo "install-kiosk: run as root (sudo deploy/install-kiosk.sh)" >&2; exit 1
fi
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3

if [ "$REAL" = yes ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    python3 python3-venv cage libegl1 libgl1-mesa-dri libmtdev1 fonts-noto-core espeak-ng
  id kiosk >/dev/null 2>&1 || useradd --system --home-dir /var/lib/survey-kiosk --shell /usr/sbin/nologin \
    --groups video,input,render,audio kiosk
fi
if [ -z "$WHEEL" ]; then
  mkdir -p "$ROOT/opt/survey/dist"
  "$PY" -m pip wheel -q --no-deps -w "$ROOT/opt/survey/dist" "$SOURCE"
  WHEEL=$(ls -t "$ROOT"/opt/survey/dist/ctt_survey-*.whl | head -1)
fi
VENV="$ROOT/opt/survey/venv"
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade "pip>=24"
"$VENV/bin/python" -m pip install -q -c "$SOURCE/requirements.lock" "$WHEEL[kiosk]"

install -d -m 0750 "$ROOT/var/lib/survey-kiosk"
install -d -m 0755 "$ROOT/etc/systemd/system"
install -m 0644 "$HERE/systemd/survey-kiosk.service" "$ROOT/etc/systemd/system/survey-kiosk.service"
if [ "$REAL" = yes ]; then
  chown -R kiosk:kiosk /var/lib/survey-kiosk
  systemctl daemon-reload
  systemctl set-default graphical.target
  systemctl enable --now survey-kiosk.service
  echo "install-kiosk: enrol it: sudo -u kiosk SURVEY_KIOSK_HOME=/var/lib/survey-kiosk \\"
  echo "  /opt/survey/venv/bin/survey-kiosk enrol --server https://SERVER --code CODE --pin PIN"
else
  echo "install-kiosk: staged into $ROOT"
fi
