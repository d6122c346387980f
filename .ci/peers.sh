#!/usr/bin/env bash
# Installs the third-party peers the device driver tests start themselves
# (devices/internal/peers): Debian's python3-pymodbus and mbpoll, Mosquitto,
# and node-opcua from npm into a cache folder outside the repository.
# Idempotent: it installs only what is missing and says what it did.
#
#   LINEWISE_NODE_OPCUA_DIR   where node-opcua goes (default ~/.cache/linewise/node-opcua)
#   NODE_OPCUA_VERSION        the pinned version (default below)
set -euo pipefail

NODE_OPCUA_VERSION="${NODE_OPCUA_VERSION:-2.186.4}"
NODE_OPCUA_DIR="${LINEWISE_NODE_OPCUA_DIR:-$HOME/.cache/linewise/node-opcua}"

sudo_() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

echo "== peers: Debian packages"
missing=()
for pkg in python3-pymodbus mbpoll mosquitto; do
  if dpkg -s "$pkg" >/dev/null 2>&1; then
    echo "   $pkg: installed ($(dpkg-query -W -f='${Version}' "$pkg"))"
  else
    missing+=("$pkg")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "   installing: ${missing[*]}"
  sudo_ apt-get update -qq
  sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
# The tests run Debian's interpreter, where the package puts the library
# (a pyenv python3 on PATH would not see it).
/usr/bin/python3 -c 'import pymodbus; print("   pymodbus", pymodbus.__version__, "for /usr/bin/python3")'

echo "== peers: node-opcua ${NODE_OPCUA_VERSION} in ${NODE_OPCUA_DIR}"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "   node and npm are required (apt-get install nodejs npm)" >&2
  exit 1
fi
installed=""
pkg_json="${NODE_OPCUA_DIR}/node_modules/node-opcua/package.json"
if [ -f "$pkg_json" ]; then
  installed="$(node -p "require('${pkg_json}').version" 2>/dev/null || true)"
fi
if [ "$installed" = "$NODE_OPCUA_VERSION" ]; then
  echo "   node-opcua: installed ($installed)"
else
  echo "   installing node-opcua@${NODE_OPCUA_VERSION} (found: ${installed:-none})"
  mkdir -p "$NODE_OPCUA_DIR"
  # node-opcua declares a newer engine than some distributions ship; it runs.
  npm install --prefix "$NODE_OPCUA_DIR" --no-audit --no-fund --loglevel=error \
    "node-opcua@${NODE_OPCUA_VERSION}"
fi
echo "== peers: ready"
