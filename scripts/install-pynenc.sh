#!/usr/bin/env bash
# Installs the Python 3.12 venv that runs pynenc 0.4.0's shared suites against the plugin:
#   .tools/pynenc-venv   pynenc==0.4.0 + its test plugins (scripts/requirements-pynenc.txt),
#                        the generated client (gen/python) and pynenc-status-orchestrator, the
#                        latter installed from the wheel `python -m build` makes, as a user gets it.
# pynenc 0.4 needs Python >= 3.12, which is not this machine's default python3: the script looks
# for it (PYNENC_PYTHON, python3.12 / python3.13 on PATH, pyenv's shims with PYENV_VERSION, pyenv's
# versions folder, /usr/bin, /usr/local/bin) and says what to install when there is none.
# Idempotent: the venv is rebuilt when the interpreter or the pins change; the two local
# distributions are reinstalled when their sources change. Prints the venv's python last.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
VENV="$TOOLS/pynenc-venv"
REQS="$ROOT/scripts/requirements-pynenc.txt"
PLUGIN="$ROOT/pynenc-status-orchestrator"

# --- find a Python >= 3.12 ------------------------------------------------------------
is_py312() { # prints the interpreter's real path when it runs and is >= 3.12
  local out
  out="$("$@" -c 'import sys; assert sys.version_info >= (3, 12); print(sys.executable)' 2>/dev/null)" || return 1
  [[ -n "$out" ]] && echo "$out"
}
find_python() {
  local c v
  if [[ -n "${PYNENC_PYTHON:-}" ]]; then
    is_py312 "$PYNENC_PYTHON" && return 0
    echo "PYNENC_PYTHON=$PYNENC_PYTHON is not a Python >= 3.12" >&2
    return 1
  fi
  for c in python3.12 python3.13 python3.14; do
    command -v "$c" > /dev/null 2>&1 && is_py312 "$c" && return 0
  done
  # pyenv: the shim only runs a version that is selected; select each installed 3.12+ in turn.
  local pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
  for c in "$pyenv_root"/versions/3.1[2-9]*/bin/python3.1[2-9] "$pyenv_root"/versions/3.[2-9][0-9]*/bin/python3; do
    [[ -x "$c" ]] || continue
    v="$(basename "$(dirname "$(dirname "$c")")")"
    if command -v python3.12 > /dev/null 2>&1; then
      PYENV_VERSION="$v" is_py312 python3.12 && return 0
    fi
    is_py312 "$c" && return 0
  done
  for c in /usr/bin/python3.12 /usr/local/bin/python3.12 /usr/bin/python3.13 /usr/local/bin/python3.13 python3; do
    command -v "$c" > /dev/null 2>&1 && is_py312 "$c" && return 0
  done
  return 1
}
if ! PY312="$(find_python)"; then
  cat >&2 <<'MSG'
install-pynenc: no Python 3.12 or later found, and pynenc 0.4 needs it.
  Looked at: $PYNENC_PYTHON, python3.12/3.13/3.14 on PATH, pyenv's versions (~/.pyenv/versions/3.12*),
  /usr/bin and /usr/local/bin.
  Install one (e.g. `pyenv install 3.12`, or your distribution's python3.12 with its venv module),
  or point PYNENC_PYTHON at it.
MSG
  exit 1
fi

# --- the venv and pinned dependencies ---------------------------------------------------
STAMP="$VENV/.installed"
WANT="$("$PY312" --version 2>&1)|$PY312|$(sha256sum "$REQS" | cut -d' ' -f1)"
if [[ -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$WANT" ]]; then
  echo "pynenc venv: up to date ($("$VENV/bin/python" --version))" >&2
else
  echo "pynenc venv: installing into $VENV with $PY312" >&2
  rm -rf "$VENV"
  "$PY312" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQS"
  echo "$WANT" > "$STAMP"
  rm -f "$VENV/.local-installed"
fi

# --- the generated client and the plugin, from this checkout -------------------------------
# Hash of every tracked or new file of both folders (build outputs are ignored by their .gitignore).
tree_hash() {
  (cd "$ROOT" && git ls-files -co --exclude-standard -- gen/python pynenc-status-orchestrator package.json \
    | LC_ALL=C sort | while read -r f; do [[ -f "$f" ]] && sha256sum "$f"; done) | sha256sum | cut -d' ' -f1
}
LOCAL_STAMP="$VENV/.local-installed"
LOCAL_WANT="$(tree_hash)"
if [[ -f "$LOCAL_STAMP" && "$(cat "$LOCAL_STAMP")" == "$LOCAL_WANT" && -d "$TOOLS/pynenc-dist/plugin" ]]; then
  echo "pynenc-status-orchestrator: up to date" >&2
else
  echo "pynenc-status-orchestrator: building and installing" >&2
  DIST="$TOOLS/pynenc-dist"
  rm -rf "$DIST" && mkdir -p "$DIST"
  # sdist, then the wheel from that sdist (python -m build's default): the sdist must be complete.
  "$VENV/bin/python" -m build --no-isolation --outdir "$DIST/client" "$ROOT/gen/python" > "$DIST/build-client.log" 2>&1 \
    || { cat "$DIST/build-client.log" >&2; exit 1; }
  "$VENV/bin/python" -m build --no-isolation --outdir "$DIST/plugin" "$PLUGIN" > "$DIST/build-plugin.log" 2>&1 \
    || { cat "$DIST/build-plugin.log" >&2; exit 1; }
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --force-reinstall \
    "$DIST"/client/*.whl "$DIST"/plugin/*.whl
  # Dependencies resolved against the pins: fails when the plugin asks for something they lack.
  "$VENV/bin/python" -m pip check >&2
  echo "$LOCAL_WANT" > "$LOCAL_STAMP"
fi
echo "$VENV/bin/python"
