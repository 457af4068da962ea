# Sourced by scripts/serve and scripts/test: makes sure .venv exists with the pinned
# requirements installed, and that the Debian packages named in $DEBIAN_PACKAGES are there.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

ensure_debian_packages() {
  local missing=()
  for spec in "$@"; do
    # spec = package:command-or-file that proves it is installed
    local pkg="${spec%%:*}" probe="${spec#*:}"
    if [[ "$probe" == /* ]]; then [[ -e "$probe" ]] || missing+=("$pkg")
    else command -v "$probe" >/dev/null 2>&1 || missing+=("$pkg"); fi
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  echo "Installing Debian packages: ${missing[*]}"
  local sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_venv() {
  local requirements="$1" python="${PYTHON:-python3}"
  if [[ ! -x .venv/bin/python ]]; then
    "$python" -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
    "$python" -m venv .venv
  fi
  local stamp=.venv/.requirements-stamp
  local wanted
  wanted="$(cat requirements*.txt | sha256sum | cut -d' ' -f1)-$requirements"
  if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$wanted" ]]; then
    .venv/bin/python -m pip install -q --disable-pip-version-check -r "$requirements"
    echo "$wanted" > "$stamp"
  fi
}
