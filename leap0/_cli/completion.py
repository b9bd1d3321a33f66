"""``leap0 completion bash|zsh|fish``: completion scripts, generated from the command table.

They complete commands, options, the values of options with choices, files
where a command takes them, and sandbox ids, which they ask the service for
with ``leap0 sandbox list --format id`` (2 s at most, no retries; nothing when
that fails, e.g. without an API key). bash and zsh share the generated lookup
functions; fish has its own ``complete`` lines.

Sandbox ids are the service's words, so no shell ever expands them: each
script reads them one a line and keeps only well-formed ids (1 to 128
letters, digits, ``.``, ``_``, ``-``; not ``.``, ``..`` or ``-...``), whatever
leap0 printed; bash then matches them against the word typed by prefix in
the script itself (``compgen -W`` would expand ``$(...)`` in them), zsh and
fish hand them to ``compadd`` and ``complete``, which quote what they insert.
"""

from __future__ import annotations

from .._constants import ID_CHARS, ID_MAX_LENGTH
from . import completion_words as words
from .completion_fish import fish
from .context import EXIT_OK, Context
from .spec import Opt

__all__ = ["main", "script"]

LIST_IDS = words.LIST_IDS

# bash and zsh alike: the service's ids, one a line, only those that are well-formed ids
# (the SDK's rule, its characters listed: a range such as a-z depends on the locale).
_SANDBOXES = f"""\
_leap0_sandboxes() {{
    local id
    command {LIST_IDS} 2>/dev/null | while IFS= read -r id || [[ -n $id ]]; do
        case $id in
            ''|.|..|-*|*[!{ID_CHARS}]*) ;;
            *) (( ${{#id}} <= {ID_MAX_LENGTH} )) && printf '%s\\n' "$id" ;;
        esac
    done
}}"""


def _lookups() -> str:
    """Shell functions (bash and zsh alike): children, options, values, positionals of a path."""
    children = [("", " ".join(command.name for command in words.top()))]
    children += [(path, " ".join(c.name for c in cmd.commands)) for path, cmd in words.paths()]
    options = [("", _names(words.options(None)) + " --help --version")]
    options += [(path, _names(words.options(cmd)) + " --help") for path, cmd in words.paths()]
    values: dict[str, str] = {}  # a command's own first: the first arm that matches wins
    positionals: list[tuple[str, str]] = []
    for path, cmd in words.paths():
        for o in cmd.options:
            if o.positional:
                positionals.append((path, words.value(o)))
                break
            if o.takes_value and words.value(o):
                values.update({f"'{path}|{name}'": words.value(o) for name in o.names})
    values.update(
        {f"*'|{name}'": words.value(o) for o in words.GLOBALS if o.takes_value for name in o.names}
    )
    valued = " ".join(name for o in words.every_option() if o.takes_value for name in o.names)
    return "\n".join(
        [
            f"_leap0_valued=' {valued} '",
            _case("_leap0_children", "$1", [(f"'{p}'", w) for p, w in children if w]),
            _case("_leap0_options", "$1", [(f"'{p}'", w) for p, w in options]),
            _case("_leap0_values", '"$1|$2"', [(pattern, w) for pattern, w in values.items() if w]),
            _case("_leap0_positional", "$1", [(f"'{p}'", w) for p, w in positionals if w]),
        ]
    )


def _names(options: list[Opt]) -> str:
    return " ".join(name for option in options if not option.positional for name in option.names)


def _case(function: str, subject: str, arms: list[tuple[str, str]]) -> str:
    lines = [f"{function}() {{", f"    case {subject} in"]
    lines += [f"        {pattern}) echo '{words}' ;;" for pattern, words in arms]
    return "\n".join([*lines, "    esac", "}"])


# The walk over the words typed so far: the command path, skipping options and their values.
_WALK = """\
    local at='' word skip=0 i
    for ((i = FIRST; i < LAST; i++)); do
        word=${WORDS[i]}
        if ((skip)); then skip=0; continue; fi
        case $word in
            --) return 0 ;;
            -*=*) ;;
            -*) case $_leap0_valued in *" $word "*) skip=1 ;; esac ;;
            *) case " $(_leap0_children "$at") " in
                   *" $word "*) at=${at:+$at }$word ;;
               esac ;;
        esac
    done
    local option='' values
    case $prev in -*) case $_leap0_valued in *" $prev "*) option=$prev ;; esac ;; esac
    case $cur in --*=*) option=${cur%%=*}; cur=${cur#*=} ;; esac
    if [[ -n $option ]]; then
        values=$(_leap0_values "$at" "$option")
    elif [[ $cur == -* ]]; then
        values=$(_leap0_options "$at")
    else
        values=$(_leap0_children "$at")
        [[ -n $values ]] || values=$(_leap0_positional "$at")
    fi
    case $values in
        @sandbox) values=$(_leap0_sandboxes) ;;
        @file) FILES; return 0 ;;
    esac
"""

_BASH = """\
# bash completion for leap0: eval "$(leap0 completion bash)" (e.g. in ~/.bashrc)
{lookups}
{sandboxes}
# COMPREPLY: the words of $1 that start with $2. Split here, never expanded or
# globbed (no compgen -W: it would run $(...) in a sandbox id).
_leap0_reply() {{
    local word
    local -a words=()
    COMPREPLY=()
    IFS=$' \\t\\n' read -r -d '' -a words <<< "$1" || :
    for word in ${{words[@]+"${{words[@]}}"}}; do
        [[ $word == "$2"* ]] && COMPREPLY+=("$word")
    done
    return 0
}}
_leap0() {{
    local cur=${{COMP_WORDS[COMP_CWORD]}} prev=${{COMP_WORDS[COMP_CWORD-1]}}
    # COMP_WORDBREAKS splits --format=json into three words.
    [[ $cur == = ]] && cur=''
    [[ $prev == = ]] && prev=${{COMP_WORDS[COMP_CWORD-2]}}
{walk}    _leap0_reply "$values" "$cur"
}}
complete -F _leap0 leap0
"""

_ZSH = """\
#compdef leap0
# zsh completion for leap0: eval "$(leap0 completion zsh)" (e.g. in ~/.zshrc, after compinit)
{lookups}
{sandboxes}
_leap0() {{
    emulate -L zsh  # whatever the user's options: no GLOB_SUBST, no SH_WORD_SPLIT
    local cur=${{words[CURRENT]}} prev=${{words[CURRENT-1]}}
{walk}    [[ $cur != ${{words[CURRENT]}} ]] && compset -P '*='
    local -a found
    found=(${{=values}})  # split on blanks and newlines only; compadd quotes what it inserts
    compadd -- "${{found[@]}}"
}}
if (( $+functions[compdef] )); then compdef _leap0 leap0; fi
"""


def _posix(template: str, first: str, words: str, last: str, files: str) -> str:
    walk = _WALK.replace("FIRST", first).replace("LAST", last).replace("WORDS", words)
    walk = walk.replace("FILES", files)
    return template.format(lookups=_lookups(), sandboxes=_SANDBOXES, walk=walk)


def script(shell: str) -> str:
    """The completion script for ``shell`` (bash, zsh or fish)."""
    if shell == "bash":
        return _posix(
            _BASH,
            "1",
            "COMP_WORDS",
            "COMP_CWORD",
            'compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur"))',
        )
    if shell == "zsh":
        return _posix(_ZSH, "2", "words", "CURRENT", "_files")
    return fish()


def main(ctx: Context) -> int:
    print(script(ctx.args.shell), end="")
    return EXIT_OK
