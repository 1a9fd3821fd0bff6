#!/usr/bin/env bash
# Add tinyagent to the desktop's application menu (after `pipx install .`).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
data="${XDG_DATA_HOME:-$HOME/.local/share}"
install -Dm644 "$here/tinyagent.desktop" "$data/applications/tinyagent.desktop"
install -Dm644 "$here/../../resources/icons/tinyagent.svg" "$data/icons/hicolor/scalable/apps/tinyagent.svg"
command -v update-desktop-database >/dev/null && update-desktop-database "$data/applications" || true
echo "installed $data/applications/tinyagent.desktop"
