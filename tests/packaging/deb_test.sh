#!/bin/sh
# The Debian package as an administrator meets it: built with cpack from this build, unpacked
# with dpkg -x into a scratch root, its dvs run from there; its systemd unit checked with
# systemd-analyze verify where that exists. Usage: deb_test.sh BUILD_DIR
set -eu
build=$1
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cd "$build"
if ! cpack -G DEB -B "$scratch/out" >"$scratch/cpack.log" 2>&1; then
  cat "$scratch/cpack.log"; exit 1
fi
deb=$(ls "$scratch"/out/dvs_*.deb)
dpkg-deb --field "$deb" Package Version Depends
dpkg -x "$deb" "$scratch/root"
root=$scratch/root
version=$("$root/usr/bin/dvs" --version)
echo "$version"
case "$version" in "dvs "*" (commit "*) ;; *) echo "unexpected: $version"; exit 1 ;; esac
"$root/usr/bin/dvs-verify" --help >/dev/null
# Every shared library the programs load comes from a package the .deb depends on.
depends=$(dpkg-deb --field "$deb" Depends)
for prog in dvs dvs-verify; do
  for lib in $(ldd "$root/usr/bin/$prog" | awk '/=> \// {print $3}'); do
    pkg=$(dpkg -S "$lib" 2>/dev/null || dpkg -S "$(readlink -f "$lib")" 2>/dev/null ||
          dpkg -S "${lib#/usr}" 2>/dev/null || true)
    pkg=$(echo "$pkg" | head -n 1 | cut -d: -f1)
    # A sanitized build (tools/run test's second pass) is never packaged for users.
    case "$pkg" in libasan*|libubsan*) continue ;; esac
    [ -n "$pkg" ] || { echo "$prog loads $lib, which no package owns"; exit 1; }
    case ", $depends," in *", $pkg,"*|*", $pkg "*) ;;
      *) echo "$prog loads $lib from $pkg, missing from Depends: $depends"; exit 1 ;; esac
  done
done
# The programs only: the library, its headers and CMake package are for `cmake --install`.
if dpkg -c "$deb" | grep -E '/include/|[.]a$|/cmake/|/pkgconfig/'; then
  echo "the package carries the library"; exit 1
fi
for f in lib/systemd/system/dvs-serve.service usr/lib/sysusers.d/dvs.conf etc/dvs/serve.yaml \
  usr/share/man/man1/dvs.1 usr/share/man/man1/dvs-status.1 usr/share/man/man1/dvs-key-grant.1 \
  usr/share/man/man1/dvs-serve.1 usr/share/man/man1/dvs-verify.1 \
  usr/share/bash-completion/completions/dvs usr/share/zsh/vendor-completions/_dvs; do
  [ -f "$root/$f" ] || { echo "missing from the package: /$f"; exit 1; }
done
# A man page per command, each saying what that command's --help says.
for cmd in status "key grant" serve; do
  page=$root/usr/share/man/man1/dvs-$(echo "$cmd" | tr ' ' -).1
  # shellcheck disable=SC2086
  "$root/usr/bin/dvs" $cmd --help | head -n 1 >"$scratch/first"
  grep -qF "$(cat "$scratch/first")" "$page" || { echo "$page does not say what --help says"; exit 1; }
done
# The completion completes commands, subcommands and options.
completes() {
  bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _dvs; printf "%s\n" "${COMPREPLY[@]}" | sort | paste -sd" "' \
    _ "$root/usr/share/bash-completion/completions/dvs" "$@"
}
[ "$(completes dvs stat)" = "state status" ] || { echo "dvs stat<TAB>: $(completes dvs stat)"; exit 1; }
[ "$(completes dvs key gr)" = "grant" ] || { echo "dvs key gr<TAB>: $(completes dvs key gr)"; exit 1; }
[ "$(completes dvs status --js)" = "--json" ] || { echo "--js<TAB>: $(completes dvs status --js)"; exit 1; }
# The zsh completion, the same way: compadd stands in for zsh's, filtering by the current word.
zcompletes() {
  zsh -fc 'compadd() { local c; for c in "$@"; do [[ $c != -- && $c == ${words[CURRENT]}* ]] && print -r -- $c; done; return 0 }
    file=$1; shift; words=("$@"); CURRENT=$#; source $file' _ "$root/usr/share/zsh/vendor-completions/_dvs" "$@" |
    sort | paste -sd" "
}
if command -v zsh >/dev/null 2>&1; then
  [ "$(zcompletes dvs stat)" = "state status" ] || { echo "zsh: dvs stat<TAB>: $(zcompletes dvs stat)"; exit 1; }
  [ "$(zcompletes dvs key gr)" = "grant" ] || { echo "zsh: dvs key gr<TAB>: $(zcompletes dvs key gr)"; exit 1; }
  [ "$(zcompletes dvs status --js)" = "--json" ] || { echo "zsh: --js<TAB>: $(zcompletes dvs status --js)"; exit 1; }
else
  echo "zsh not installed: its completion not exercised"
fi
# The example config must be one `dvs serve --config` accepts: start it on a scratch ledger.
"$root/usr/bin/dvs" keygen --out "$scratch/root.key" >/dev/null
"$root/usr/bin/dvs" init --root-key "$scratch/root.key" --ledger "$scratch/ledger" >/dev/null
"$root/usr/bin/dvs" serve --ledger "$scratch/ledger" --config "$root/etc/dvs/serve.yaml" \
  --listen 127.0.0.1:0 >"$scratch/serve.out" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q listening "$scratch/serve.out" && break; sleep 0.05; done
kill "$pid"; wait "$pid" || { cat "$scratch/serve.out"; exit 1; }
grep -q 'listening on http://127.0.0.1:' "$scratch/serve.out" || { cat "$scratch/serve.out"; exit 1; }
if command -v systemd-analyze >/dev/null 2>&1; then
  # As installed, with ExecStart pointing at the unpacked binary.
  sed "s|/usr/bin/dvs|$root/usr/bin/dvs|" "$root/lib/systemd/system/dvs-serve.service" \
    >"$scratch/dvs-serve.service"
  systemd-analyze verify "$scratch/dvs-serve.service"
  echo "systemd-analyze verify: ok"
else
  echo "systemd-analyze not installed: unit not verified"
fi
