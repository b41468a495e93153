#!/usr/bin/env bash
# buf breaking: the contracts in proto/ must stay wire-compatible with main.
# On a branch other than main we compare with main; on main itself (CI runs on a
# clone of main) with the previous commit. BUF_AGAINST overrides both.
set -euo pipefail
cd "$(dirname "$0")/.."
BUF="${BUF:-.venv/bin/buf}"
against="${BUF_AGAINST:-}"
if [ -z "$against" ]; then
  branch=$(git rev-parse --abbrev-ref HEAD 2>/dev/null || echo "")
  if [ "$branch" != "main" ] && git rev-parse -q --verify main >/dev/null; then
    ref=main
  elif git rev-parse -q --verify HEAD~1 >/dev/null; then
    ref=$(git rev-parse HEAD~1)
  else
    echo "buf breaking: no earlier commit to compare with"; exit 0
  fi
  if ! git cat-file -e "$ref:proto/buf.yaml" 2>/dev/null; then
    echo "buf breaking: $ref has no proto/buf.yaml yet, nothing to compare"; exit 0
  fi
  against=".git#ref=$ref,subdir=proto"
fi
"$BUF" breaking proto --against "$against"
echo "buf breaking: proto/ is compatible with $against"
