#!/usr/bin/env bash
# The Prometheus files, checked with promtool (Debian's prometheus package): the rules, their
# unit tests (rules.test.yml), the scrape config. Missing promtool fails under CI (.ci/run
# installs it) and is said and skipped on a developer's machine, like tests/system_tools.py.
set -euo pipefail
cd "$(dirname "$0")/../deploy/prometheus"
if ! command -v promtool >/dev/null; then
  if [ -n "${CI:-}" ]; then
    echo "promtool missing in CI: .ci/run installs Debian's prometheus" >&2
    exit 1
  fi
  echo "promtool is not installed (apt-get install prometheus): deploy/prometheus not checked" >&2
  exit 0
fi
promtool check rules rules.yml
promtool test rules rules.test.yml
promtool check config prometheus.yml
