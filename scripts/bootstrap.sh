#!/usr/bin/env bash
# Create the virtual environment. Debian splits venv/ensurepip into python3.X-venv;
# install it when missing (as root, or with sudo) instead of failing half-way.
set -euo pipefail
venv="${1:-.venv}"
python="${PYTHON:-python3.11}"
command -v "$python" >/dev/null || python=python3
"$python" -c 'import sys; assert sys.version_info >= (3, 11), sys.version' \
  || { echo "voicepod needs Python 3.11 or newer" >&2; exit 1; }
if ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
  pkg="python$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')-venv"
  echo "installing $pkg (needed for python -m venv)"
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq "$pkg"
fi
"$python" -m venv "$venv"
"$venv/bin/pip" install --quiet --upgrade pip
