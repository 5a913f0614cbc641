#!/usr/bin/env bash
# Runs one exhaustive SPIN check of release.pml and fails on any error, on an incomplete search,
# or when spin is missing. Prints pan's report (states explored) either way.
#
#   proofs/check.sh safety              invariants 1-5 and the rollback assertion, all interleavings
#   proofs/check.sh liveness            canary_leaves under weak fairness (no pausing by hand)
#   proofs/check.sh liveness with-pause the same with pausing allowed: must find a counterexample
#   proofs/check.sh broken VARIANT ASSERTION
#                                       expects -DVARIANT to violate the monitor's assertion named
#                                       ASSERTION (e.g. inv3_one_canary_per_service): the test of the
#                                       test, and of which invariant the broken rule was guarding
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
command -v spin >/dev/null || { echo "check.sh: spin is not installed (apt-get install spin)" >&2; exit 1; }
command -v gcc >/dev/null || { echo "check.sh: gcc is not installed" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

mode=${1:-}
case "$mode" in
  safety)
    spin -a "$here/release.pml" >/dev/null
    gcc -O2 -DSAFETY -DNOCLAIM -DVECTORSZ=4096 -o pan pan.c
    ./pan -m10000000 >report.txt 2>&1 || true ;;
  liveness)
    # "liveness with-pause" lets the release_admin pause forever: pan must then find an
    # acceptance cycle, which shows the liveness check is not vacuous.
    # Each round is evaluated before the next (as dvs serve does): with rounds piling up, a
    # controller that only ever looks after an error would hold forever.
    if [ "${2:-}" = with-pause ]; then defs=(-DEACH_ROUND); else defs=(-DNO_PAUSE -DEACH_ROUND); fi
    spin -a "${defs[@]}" "$here/release.pml" >/dev/null
    gcc -O2 -DNFAIR=4 -DVECTORSZ=4096 -o pan pan.c
    ./pan -a -f -m10000000 -N canary_leaves >report.txt 2>&1 || true
    if [ "${2:-}" = with-pause ]; then
      cat report.txt
      grep -q "acceptance cycle" report.txt ||
        { echo "check.sh: no counterexample with pausing allowed: the liveness check is vacuous" >&2; exit 1; }
      echo "check.sh: a canary paused forever never leaves, as expected"
      exit 0
    fi ;;
  broken)
    variant=${2:?usage: check.sh broken VARIANT ASSERTION}
    want=${3:?usage: check.sh broken VARIANT ASSERTION}
    spin -a "-D$variant" "$here/release.pml" >/dev/null
    gcc -O2 -DSAFETY -DNOCLAIM -DVECTORSZ=4096 -o pan pan.c
    # -c0: do not stop at the first violation, so that every invariant the variant breaks is
    # reported (a rule can break two at once: two canaries also make the weights sum to 105).
    ./pan -c0 -m10000000 >report.txt 2>&1 || true
    grep -v "assertion violated" report.txt
    violated=$(grep -o "assertion violated [^ ]*" report.txt | sort | uniq -c || true)
    echo "violations by assertion:"
    echo "${violated:-  none}"
    if grep -q "errors: 0" report.txt; then
      echo "check.sh: the broken variant $variant was NOT caught: the model checks nothing" >&2
      exit 1
    fi
    grep -q "assertion violated $want\b" report.txt ||
      { echo "check.sh: $variant did not violate $want (the invariant it breaks)" >&2; exit 1; }
    echo "check.sh: $variant violates $want, as expected"
    exit 0 ;;
  *) echo "usage: check.sh safety|liveness|broken VARIANT" >&2; exit 2 ;;
esac

cat report.txt
if grep -qi "max search depth too small" report.txt; then
  echo "check.sh: the search was cut off by its depth limit: incomplete" >&2; exit 1
fi
if grep -qi "search not completed" report.txt; then
  echo "check.sh: the search did not complete" >&2; exit 1
fi
grep -q "errors: 0" report.txt || { echo "check.sh: $mode check FAILED" >&2; exit 1; }
echo "check.sh: $mode holds over every state explored"
