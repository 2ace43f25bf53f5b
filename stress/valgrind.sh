#!/usr/bin/env bash
# Memory-error checks under valgrind (memcheck). Not part of `npm run test:stress` by default
# (STRESS_VALGRIND=1 adds it); run alone: bash stress/valgrind.sh
#
#  (a) the Rust core tests (cargo test --no-default-features), one thread, each test in its
#      own valgrind process so one failure names its test. The tests that reserve or commit
#      whole blocks only *touch* a little of them, so all of them fit under valgrind (the
#      slowest, full_arena_is_an_error_not_a_panic, takes ~30 s); only the throughput
#      benchmark is skipped by default (VALGRIND_SKIP to change that).
#  (b) the hostile-JS scenario (stress/hostile.js) with few iterations and small documents,
#      under `valgrind node`. V8 generates and patches machine code and scans its own stack
#      conservatively, so this run uses --smc-check=all-non-file, node --jitless (no JIT
#      code at all) and the suppressions in stress/valgrind-node.supp (V8/Node internals
#      only: nothing in raw-transfer is suppressed).
#
# Env: VALGRIND_SKIP (extended regex of test names to skip, replaces the default),
#      VALGRIND_HOSTILE_ITERS (default 50), VALGRIND_PART=a|b (one part only).
# Exit status: non-zero if valgrind reported an error in any run (or a test failed).
set -uo pipefail
cd "$(dirname "$0")/.."

if ! command -v valgrind >/dev/null; then
  echo "valgrind: not installed (apt-get install valgrind); skipped"
  exit 0
fi

SKIP_DEFAULT='throughput'
SKIP="${VALGRIND_SKIP:-$SKIP_DEFAULT}"
PART="${VALGRIND_PART:-ab}"
VG=(valgrind --error-exitcode=99 --quiet --num-callers=30)
failures=0
start_all=$(date +%s)

if [[ "$PART" == *a* ]]; then
  echo "== valgrind (a): Rust core tests"
  json=$(cargo test --no-default-features --no-run --message-format=json 2>/tmp/raw-transfer-valgrind-cargo.log)
  if [ $? -ne 0 ]; then
    echo "cargo test --no-run failed:"; tail -20 /tmp/raw-transfer-valgrind-cargo.log; exit 1
  fi
  # Test executables: compiler artifacts built with the test profile.
  mapfile -t bins < <(printf '%s\n' "$json" | node -e '
    const lines = require("fs").readFileSync(0, "utf8").split("\n")
    for (const l of lines) {
      let d; try { d = JSON.parse(l) } catch { continue }
      if (d.reason === "compiler-artifact" && d.executable && d.profile && d.profile.test) console.log(d.executable)
    }')
  ran=0; skipped=0
  for bin in "${bins[@]}"; do
    mapfile -t tests < <("$bin" --list 2>/dev/null | sed -n 's/: test$//p')
    for t in "${tests[@]}"; do
      if [[ "$t" =~ $SKIP ]]; then skipped=$((skipped + 1)); continue; fi
      s=$(date +%s%N)
      out=$("${VG[@]}" "$bin" --exact "$t" --test-threads=1 2>&1)
      rc=$?
      ms=$(( ($(date +%s%N) - s) / 1000000 ))
      ran=$((ran + 1))
      if [ $rc -ne 0 ]; then
        failures=$((failures + 1))
        echo "FAIL ($rc) ${ms} ms $(basename "$bin") $t"
        printf '%s\n' "$out" | grep -E '^==[0-9]+==|panicked|FAILED' | head -40
      else
        echo "ok   ${ms} ms $t"
      fi
    done
  done
  echo "== (a): $ran tests under valgrind, $skipped skipped (/$SKIP/), $failures failed, $(( $(date +%s) - start_all )) s"
fi

if [[ "$PART" == *b* ]]; then
  echo "== valgrind (b): hostile JS under valgrind node"
  s=$(date +%s)
  log=/tmp/raw-transfer-valgrind-node.log
  STRESS_HOSTILE_ITERS="${VALGRIND_HOSTILE_ITERS:-50}" STRESS_HOSTILE_SMALL=1 STRESS_NO_PROBE=1 \
    "${VG[@]}" --smc-check=all-non-file --suppressions=stress/valgrind-node.supp --log-file="$log" \
    node --jitless --expose-gc stress/hostile.js > /tmp/raw-transfer-valgrind-node.out 2>&1
  rc=$?
  grep '^@@STRESS_RESULT' /tmp/raw-transfer-valgrind-node.out | cut -c1-400
  errors=$(grep -c 'Invalid \|uninitialised\|Mismatched\|overlap\|definitely lost' "$log" || true)
  if [ $rc -ne 0 ]; then
    failures=$((failures + 1))
    echo "FAIL: exit $rc; valgrind log $log (first reports below)"
    grep -E '^==[0-9]+== (Invalid|Conditional|Use of|Syscall|Mismatched|Source and destination|   (at|by) )' "$log" | head -60
    tail -5 /tmp/raw-transfer-valgrind-node.out
  else
    echo "ok: no valgrind errors ($errors error lines) in $(( $(date +%s) - s )) s"
  fi
fi

echo "== valgrind: $failures failure(s), $(( $(date +%s) - start_all )) s in all"
[ $failures -eq 0 ]
