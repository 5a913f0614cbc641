#!/bin/sh
# dvs as a library, the way a user links it: `cmake --install` into a scratch prefix, then
# api/examples/status built by its own CMake project with find_package(dvs), and again with
# pkg-config alone; both programs open a real ledger made by the real dvs and print its status.
# Usage: install_test.sh SOURCE_DIR BUILD_DIR
set -eu
src=$1
build=$2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
prefix=$scratch/prefix
cmake --install "$build" --prefix "$prefix" >"$scratch/install.log"
for f in include/dvs/ledger.h include/dvs/status.h include/dvs/assert.h \
  include/dvs/bundle_status.h lib/cmake/dvs/dvsConfig.cmake lib/pkgconfig/dvs.pc \
  lib/libdvs_api.a bin/dvs bin/dvs-verify; do
  [ -f "$prefix/$f" ] || { echo "not installed: $f"; cat "$scratch/install.log"; exit 1; }
done
# The public headers are self-contained: each compiles on its own with nothing but the prefix's
# include folder, and none names an internal or generated header (the system may well have
# lmdb.h, so compiling alone would not show that).
[ ! -e "$prefix/include/dvs/internal" ] || { echo "internal headers installed"; exit 1; }
headers=$(find "$prefix/include" -type f)
[ -n "$headers" ] || { echo "no headers installed"; exit 1; }
for h in $headers; do
  g++ -std=c++20 -fsyntax-only -I "$prefix/include" -x c++ "$h" 2>"$scratch/header.log" ||
    { echo "installed header does not compile on its own: $h"; cat "$scratch/header.log"; exit 1; }
done
if grep -n 'lmdb\.h\|\.pb\.h\|ledger/\|statemachine/\|api/' $headers; then
  echo "an installed header names an internal or generated header"; exit 1
fi
# The library's headers never reach back into the source or build tree.
if grep -rl "$src\|$build" "$prefix/lib/cmake/dvs" "$prefix/lib/pkgconfig"; then
  echo "the installed package names the source or build tree"; exit 1
fi

# A ledger with one released service, made by the installed dvs.
cd "$scratch"
export DVS_LEDGER="$scratch/ledger"
dvs=$prefix/bin/dvs
for who in root publisher governance; do "$dvs" keygen --out $who.key >/dev/null; done
"$dvs" init --root-key root.key --name example >/dev/null
export DVS_KEY=root.key
"$dvs" key grant publisher --pub publisher.key.pub --role publisher >/dev/null
"$dvs" key grant governance --pub governance.key.pub --role governance --role release_admin >/dev/null
cat >tax_calc.yaml <<YAML
name: tax_calc
version: "8.7"
code: registry.gov/tax_calc:8.7
governance: {license: MIT}
YAML
id=$("$dvs" package tax_calc.yaml --key publisher.key)
"$dvs" approve "$id" --key governance.key >/dev/null
"$dvs" deploy "$id" --key governance.key >/dev/null
want="tax_calc 8.7 $id stable 100%"

# With CMake: the example's own project, find_package(dvs) from the prefix.
cmake -S "$src/api/examples/status" -B "$scratch/example" -DCMAKE_PREFIX_PATH="$prefix" \
  >"$scratch/configure.log" 2>&1 || { cat "$scratch/configure.log"; exit 1; }
cmake --build "$scratch/example" >"$scratch/build.log" 2>&1 || { cat "$scratch/build.log"; exit 1; }
got=$("$scratch/example/dvs-status-example" "$DVS_LEDGER" tax_calc)
[ "$got" = "$want" ] || { echo "find_package build printed '$got', want '$want'"; exit 1; }

# With pkg-config alone.
flags=$(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs dvs)
# shellcheck disable=SC2086
g++ -o "$scratch/example-pc" "$src/api/examples/status/main.cc" $flags
got=$("$scratch/example-pc" "$DVS_LEDGER" tax_calc)
[ "$got" = "$want" ] || { echo "pkg-config build printed '$got', want '$want'"; exit 1; }

# A bad argument is an error naming the problem, not a crash.
if "$scratch/example-pc" "$scratch/nowhere" tax_calc 2>"$scratch/err"; then
  echo "opening a missing ledger succeeded"; exit 1
fi
[ -s "$scratch/err" ] || { echo "opening a missing ledger printed no error"; exit 1; }
echo "installed, found with find_package and pkg-config, example prints: $got"
