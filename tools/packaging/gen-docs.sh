#!/bin/sh
# Generates, from the help text of the built dvs, one man page per command (OUT/man/dvs-*.1)
# and the bash and zsh completions (OUT/dvs.bash-completion, OUT/_dvs). Run by the build (tools/packaging/
# CMakeLists.txt); a command added to dvs gets its page and its completion with no edit here.
# Usage: gen-docs.sh DVS_BINARY OUT_DIR [DVS_VERIFY_BINARY]
set -eu
dvs=$1
out=$2
verify=${3:-}
mkdir -p "$out/man"
version=$("$dvs" --version | awk '{print $2}')

# The subcommand names listed under "Subcommands:" in a help text on stdin.
subcommands() { awk '/^Subcommands:$/{on=1; next} on && /^  [a-z]/{print $1; next} on{exit}'; }
# The long options of a help text on stdin ("--json", "--key", ...).
options() { grep -o -- '--[a-z][a-z-]*' | sort -u | tr '\n' ' '; }

cases=""
walk() {  # walk "sub words..."
  help=$("$dvs" "$@" --help)
  name=$(printf 'dvs %s' "$*" | sed 's/ *$//')
  page=$(printf '%s' "$name" | tr ' ' '-')
  summary=$(printf '%s\n' "$help" | head -n 1 | sed 's/\\/\\\\/g')
  {
    printf '.TH %s 1 "" "dvs %s" "dvs manual"\n' "$(echo "$page" | tr a-z A-Z)" "$version"
    printf '.SH NAME\n%s \\- %s\n' "$page" "$summary"
    printf '.SH DESCRIPTION\n.nf\n'
    # Preformatted as dvs prints it; a line starting with . or ' would be a roff request.
    printf '%s\n' "$help" | sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"
    printf '.fi\n.SH SEE ALSO\ndvs(1), dvs-serve(1), dvs-verify(1)\n'
  } >"$out/man/$page.1"
  subs=$(printf '%s\n' "$help" | subcommands)
  words=$(printf '%s %s' "$subs" "$(printf '%s\n' "$help" | options)" | tr '\n' ' ')
  cases="$cases    \"$*\") list=\"$words\" ;;
"
  for s in $subs; do walk "$@" "$s"; done
}
walk
# dvs-verify(1), from its help the same way.
if [ -n "$verify" ]; then
  {
    printf '.TH DVS-VERIFY 1 "" "dvs %s" "dvs manual"\n' "$version"
    printf '.SH NAME\ndvs-verify \\- %s\n.SH DESCRIPTION\n.nf\n' \
      "$("$verify" --help | head -n 1 | sed 's/^dvs-verify: //')"
    "$verify" --help | sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"
    printf '.fi\n.SH SEE ALSO\ndvs(1)\n'
  } >"$out/man/dvs-verify.1"
fi

cat >"$out/dvs.bash-completion" <<COMPLETION
# bash completion for dvs (generated from its --help by tools/packaging/gen-docs.sh)
_dvs() {
  local cur=\${COMP_WORDS[COMP_CWORD]} path="" w i
  # The command path typed so far: the words that are commands, not options or values.
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=\${COMP_WORDS[i]}
    case "\$w" in -*) continue ;; esac
    case " \$(_dvs_words "\$path") " in *" \$w "*) path="\${path:+\$path }\$w" ;; esac
  done
  COMPREPLY=(\$(compgen -W "\$(_dvs_words "\$path")" -- "\$cur"))
  [ \${#COMPREPLY[@]} -eq 0 ] && COMPREPLY=(\$(compgen -f -- "\$cur"))
  return 0
}
_dvs_words() {
  local list=""
  case "\$1" in
$cases  esac
  printf '%s' "\$list"
}
complete -F _dvs dvs
COMPLETION

cat >"$out/_dvs" <<COMPLETION
#compdef dvs
# zsh completion for dvs (generated from its --help by tools/packaging/gen-docs.sh)
_dvs_words() {
  local list=""
  case "\$1" in
$cases  esac
  print -r -- "\$list"
}
_dvs() {
  local cmdpath="" w i
  # The command path typed so far: the words that are commands, not options or values.
  for ((i = 2; i < CURRENT; i++)); do
    w=\${words[i]}
    [[ \$w == -* ]] && continue
    [[ " \$(_dvs_words "\$cmdpath") " == *" \$w "* ]] && cmdpath="\${cmdpath:+\$cmdpath }\$w"
  done
  local -a cands
  cands=(\${=\$(_dvs_words "\$cmdpath")})
  compadd -- \$cands || _files
}
_dvs "\$@"
COMPLETION
