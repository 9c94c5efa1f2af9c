#!/usr/bin/env bash
# Runs the whole test suite under ThreadSanitizer in its own build folder (.build-tsan) and fails on any
# report. Suppressions: none.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/setup.sh
log=$(mktemp)
status=0
TSAN_OPTIONS="halt_on_error=0 second_deadlock_stack=1 ${TSAN_OPTIONS:-}" \
  swift test --sanitize=thread --scratch-path .build-tsan "$@" 2>&1 | tee "$log" || status=$?
reports=$(grep -c "WARNING: ThreadSanitizer" "$log" || true)
echo "tsan.sh: $reports ThreadSanitizer report(s)"
rm -f "$log"
[ "$status" -eq 0 ] && [ "$reports" -eq 0 ]
