#!/usr/bin/env bash
# The installed studio starts and opens its window on a real X server (Xvfb), as a user's desktop would run it.
# Usage: .ci/start_check.sh [STUDIO_COMMAND]   (default: .venv/bin/unclip-studio); exit 0 when the window is up.
set -uo pipefail
cd "$(dirname "$0")/.."
studio="${1:-$PWD/.venv/bin/unclip-studio}"
export DEBIAN_FRONTEND=noninteractive
need=(xvfb x11-utils libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1)
if ! dpkg -s "${need[@]}" >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null || { echo "start check: apt-get failed" >&2; exit 1; }
fi
unset QT_QPA_PLATFORM
xvfb-run -a bash -c '
  "$0" & pid=$!
  for i in $(seq 1 90); do
    if xwininfo -root -tree 2>/dev/null | grep -q "\"unCLIP Studio\": (\"unclip-studio\""; then
      echo "start check: the studio window is up after ${i} s"; kill $pid; wait $pid 2>/dev/null; exit 0
    fi
    kill -0 $pid 2>/dev/null || { wait $pid; echo "start check: the studio exited with status $? before its window showed" >&2; exit 1; }
    sleep 1
  done
  kill $pid; echo "start check: no studio window after 90 s" >&2; exit 1' "$studio"
