#!/usr/bin/env bash
# Mutation testing of statemachine/: for each mutant of tools/mutants/mutants.txt, build the
# statemachine tests with that one rule deleted or inverted and run them; a test must fail.
#
#   tools/run mutants                      every mutant (tools/mutants/README.md has the score)
#   DVS_MUTANTS_SAMPLE=5 tools/run mutants a seeded random sample of 5 (equivalent ones left out)
#   tools/mutants/run_mutants.sh ID...     just those mutants
#
# Environment: DVS_MUTANTS_SEED (default: today, YYYYMMDD; printed so a sample can be rerun),
# DVS_MUTANTS_TIMEOUT (seconds per test run, default 120: the suite takes about 15 s), DVS_MUTANTS_JOBS (build jobs, default 2).
#
# The worktree is never modified: the sources are copied to build-mutants/src (only files whose
# content differs are rewritten, so the build in build-mutants/build stays incremental), each
# mutant is applied to the copy and undone after its run (and by a trap on interruption; the next
# run's copy repairs anything a killed run left behind). A mutant recompiles one .cc and relinks.
#
# Exit status: 0 when every mutant not listed as equivalent is killed; 1 when one survives, when a
# mutant is stale (its snippet no longer matches the source: update the list), when a mutant does
# not compile, or when the unmutated tests fail.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
list=tools/mutants/mutants.txt
tool="perl tools/mutants/mutants.pl"
out=$root/build-mutants
src=$out/src
bld=$out/build
timeout_s=${DVS_MUTANTS_TIMEOUT:-120}
jobs=${DVS_MUTANTS_JOBS:-2}
sample=${DVS_MUTANTS_SAMPLE:-0}
seed=${DVS_MUTANTS_SEED:-$(date -u +%Y%m%d)}
mkdir -p "$out"
exec 9>"$out/lock"
flock -n 9 || { echo "run_mutants: another run holds $out/lock" >&2; exit 1; }

# Stale mutants first: a list that no longer matches the code checks nothing.
stale=$($tool check "$list" "$root" | grep -v $'\tok$' || true)
if [ -n "$stale" ]; then
  echo "$stale" | sed 's/^/run_mutants: stale mutant /' >&2
  echo "run_mutants: $(echo "$stale" | wc -l) stale mutant(s): update $list" >&2
  exit 1
fi

if [ $# -gt 0 ]; then
  ids=("$@")
else
  mapfile -t ids < <($tool select "$list" "$sample" "$seed")
fi
total_listed=$($tool select "$list" | wc -l)
[ "$sample" -gt 0 ] && echo "run_mutants: sample of ${#ids[@]} of $total_listed mutants, seed $seed (DVS_MUTANTS_SEED=$seed to rerun)"

sync_sources() {
  git ls-files -z --cached --others --exclude-standard -- . ':!build*' | $tool sync "$root" "$src" >/dev/null
}
build_tests() {
  nice -n 5 cmake --build "$bld" --target statemachine_test -j "$jobs" >"$out/build.log" 2>&1
}
# In a child shell, so that a crash (a mutant that dereferences null) is reported in test.log as
# an exit status, not by this shell on the terminal.
run_tests() {
  RC_PARAMS="max_success=300" bash -c '"$@"; exit $?' run_tests timeout "$timeout_s" \
    "$bld/tests/statemachine_test" --gtest_brief=1 --gtest_fail_fast >"$out/test.log" 2>&1
}

current=""
restore() {
  if [ -n "$current" ]; then
    local f
    f=$($tool field "$list" "$current" file)
    cp "$root/$f" "$src/$f.restore" && mv "$src/$f.restore" "$src/$f"
    current=""
  fi
}
trap 'restore' EXIT
trap 'restore; exit 130' INT TERM

sync_sources
# The copy has no node_modules (git ignores them): the dashboard's chart library comes from the
# tree's own, which tools/run installs. Configured every run (seconds), so a cache made before
# a new option still gets it.
cmake -S "$src" -B "$bld" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -DNDEBUG" \
  -DDVS_UPLOT="$root/api/http/dashboard/node_modules/uplot/dist" >"$out/configure.log" 2>&1 ||
  { tail -n 30 "$out/configure.log" >&2; exit 1; }
t0=$(date +%s)
build_tests || { tail -n 40 "$out/build.log" >&2; echo "run_mutants: the unmutated tree does not build" >&2; exit 1; }
run_tests || { tail -n 40 "$out/test.log" >&2; echo "run_mutants: the unmutated tests fail" >&2; exit 1; }
echo "run_mutants: unmutated tree builds and passes ($(( $(date +%s) - t0 )) s)"

report=$out/report.txt
: >"$report"
killed=0 survived=0 equivalent=0 broken=0 n=0 total_time=0
for id in "${ids[@]}"; do
  n=$((n + 1))
  file=$($tool field "$list" "$id" file)
  equiv=$($tool field "$list" "$id" equivalent)
  start=$(date +%s)
  current=$id
  $tool apply "$list" "$id" "$root" "$src"
  if ! build_tests; then
    result="BUILD-ERROR"
    broken=$((broken + 1))
    cp "$out/build.log" "$out/build-error-$id.log"
  else
    built=$(date +%s)
    set +e
    run_tests
    rc=$?
    set -e
    if [ $rc -eq 0 ]; then
      if [ -n "$equiv" ]; then result="equivalent"; equivalent=$((equivalent + 1))
      else result="SURVIVED"; survived=$((survived + 1)); fi
    else
      why=$(grep -m1 -o '^\[  FAILED  \] [A-Za-z0-9_./]*' "$out/test.log" | sed 's/^\[  FAILED  \] //' || true)
      [ $rc -eq 124 ] && why="timeout"
      [ -z "$why" ] && why="exit $rc (crash)"
      result="killed by $why"
      killed=$((killed + 1))
      [ -n "$equiv" ] && result="$result (listed as equivalent: fix the list)"
    fi
  fi
  restore
  secs=$(( $(date +%s) - start ))
  total_time=$((total_time + secs))
  line=$(printf '%3d/%d %-34s %-28s %4ss  %s' "$n" "${#ids[@]}" "$id" "${file#statemachine/}" "$secs" "$result")
  echo "$line" | tee -a "$report"
done

scored=$((killed + survived))
score=100
[ $scored -gt 0 ] && score=$((100 * killed / scored))
avg=0
[ $n -gt 0 ] && avg=$((total_time / n))
summary="mutants: ${#ids[@]} run, $killed killed, $survived survived, $equivalent equivalent, $broken not building; score $score % ($killed/$scored); $avg s per mutant"
echo "$summary" | tee -a "$report"
[ $survived -eq 0 ] && [ $broken -eq 0 ]
