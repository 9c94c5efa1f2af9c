#!/usr/bin/env bash
# Fuzzes one of KubeKit's parsers of untrusted input with libFuzzer (+ AddressSanitizer).
#
#   Scripts/fuzz.sh TARGET SECONDS [libFuzzer options...]
#
# TARGET: yaml | manifests | kubeconfig | status | watch | json | websocket | tar (see Fuzz/Sources/KubeKitFuzz).
# Seeds come from Fuzz/Corpus/TARGET (committed); what the fuzzer finds goes to .build-fuzz/corpus/TARGET and
# crashes to .build-fuzz/crashes/TARGET (neither is committed). Reproduce a crash with:
#   KUBEKIT_FUZZ_TARGET=TARGET .build-fuzz/release/KubeKitFuzz .build-fuzz/crashes/TARGET/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 2 ]; then
  echo "usage: Scripts/fuzz.sh yaml|manifests|kubeconfig|status|watch|json|websocket|tar SECONDS [libFuzzer options]" >&2
  exit 2
fi
target=$1
seconds=$2
shift 2
case "$target" in
  yaml|manifests|kubeconfig|status|watch|json|websocket|tar) ;;
  *) echo "fuzz.sh: unknown target $target" >&2; exit 2 ;;
esac
bash Scripts/setup.sh
root=$(pwd)
(cd Fuzz && swift build -c release --scratch-path "$root/.build-fuzz" \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library >&2)
mkdir -p ".build-fuzz/corpus/$target" ".build-fuzz/crashes/$target"
KUBEKIT_FUZZ_TARGET=$target exec .build-fuzz/release/KubeKitFuzz \
  ".build-fuzz/corpus/$target" "Fuzz/Corpus/$target" \
  -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix=".build-fuzz/crashes/$target/" -print_final_stats=1 "$@"
