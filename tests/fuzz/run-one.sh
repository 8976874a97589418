#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time on its seed corpus and reports in TAP.
set -u
bin=$1; secs=$2
name=$(basename "$bin")
seeds=tests/fuzz/corpus/${name#fuzz_}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
[ -d "$seeds" ] && cp -r "$seeds"/. "$work"/ 2>/dev/null
if "$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=5 "$work" -artifact_prefix="$work/" ; then
  echo "ok - $name: no crash in ${secs}s"
else
  echo "not ok - $name crashed; reproducer:"; ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* 2>/dev/null
  for f in "$work"/crash-* "$work"/leak-* "$work"/timeout-*; do [ -f "$f" ] && mkdir -p build/fuzz-artifacts && cp "$f" build/fuzz-artifacts/; done
  exit 1
fi
