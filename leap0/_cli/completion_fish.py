"""The fish completion script, generated from the command table (``completion_words.py``).

One ``complete`` line for each command and option; a path function finds
the command typed so far, skipping options and their values. Sandbox ids
come from ``leap0 sandbox list --format id``, only well-formed ones kept
(``completion.py`` says why).
"""

from __future__ import annotations

from .._constants import ID_CHARS, ID_MAX_LENGTH
from . import completion_words as words
from .spec import Opt

__all__ = ["fish"]


def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


_FISH_HEAD = """\
# fish completion for leap0: leap0 completion fish > ~/.config/fish/completions/leap0.fish
function __leap0_path
    set -l valued {valued}
    set -l tokens (commandline -opc)
    set -l path ''
    set -l skip 0
    for word in $tokens[2..-1]
        if test $skip = 1
            set skip 0
            continue
        end
        switch $word
            case --
                echo ' --'
                return
            case '-*=*'
            case '-*'
                contains -- $word $valued; and set skip 1
            case '*'
                if contains -- $word (__leap0_children $path)
                    set path (string trim -- "$path $word")
                end
        end
    end
    echo $path
end
function __leap0_at
    set -l here (__leap0_path)
    test "$here" = "$argv[1]"
end
function __leap0_children
    switch "$argv[1]"
{children}
    end
end
function __leap0_sandboxes
    # One a line, and only well-formed ids, whatever the service answered.
    command {list_ids} 2>/dev/null \\
        | string match -r -- '^[{id_first}][{id_chars}]{{0,{id_rest}}}$' \\
        | string match -v -r -- '^[.][.]?$'
end
complete -c leap0 -f
"""


def _fish_option(condition: str, option: Opt) -> str:
    line = f"complete -c leap0 -n {_fish_quote(condition)}"
    for flag in option.names:
        line += f" -s {flag[1:]}" if len(flag) == 2 else f" -l {flag[2:]}"
    value = words.value(option)
    if option.takes_value:
        line += " -F" if value == "@file" else " -x"
        if value == "@sandbox":
            line += " -a '(__leap0_sandboxes)'"
        elif value and value != "@file":
            line += f" -a {_fish_quote(value)}"
    help_text = str(option.kwargs.get("help", ""))
    return line + (f" -d {_fish_quote(help_text)}" if help_text else "")


def fish() -> str:
    valued = " ".join(name for o in words.every_option() if o.takes_value for name in o.names)
    arms = [("", words.top()), *((p, c.commands) for p, c in words.paths() if c.commands)]
    children = "\n".join(
        f"        case {_fish_quote(p)}\n            printf '%s\\n' {' '.join(c.name for c in cs)}"
        for p, cs in arms
    )
    lines = [
        _FISH_HEAD.format(
            valued=valued,
            children=children,
            list_ids=words.LIST_IDS,
            id_first=ID_CHARS.replace("-", ""),  # no id shown starts with '-'
            id_chars=ID_CHARS,
            id_rest=ID_MAX_LENGTH - 1,
        )
    ]
    shadowing = words.shadowing()
    for option in words.GLOBALS:
        condition = "not __leap0_at ' --'"
        for path, names in shadowing:  # there, the command's own option of that name
            if names & set(option.names):
                condition += f"; and not __leap0_at {_fish_quote(path)}"
        lines.append(_fish_option(condition, option))
    for path, cmds in arms:
        for command in cmds:
            condition = f"__leap0_at {_fish_quote(path)}"
            line = f"complete -c leap0 -n {_fish_quote(condition)} -a {command.name}"
            lines.append(f"{line} -d {_fish_quote(command.help)}")
    for path, command in words.paths():
        for option in command.options:
            condition = f"__leap0_at {_fish_quote(path)}"
            if not option.positional:
                lines.append(_fish_option(condition, option))
                continue
            value = words.value(option)
            if value == "@sandbox":
                lines.append(
                    f"complete -c leap0 -n {_fish_quote(condition)} -a '(__leap0_sandboxes)'"
                )
            elif value == "@file":
                lines.append(f"complete -c leap0 -n {_fish_quote(condition)} -F")
            elif value:
                lines.append(
                    f"complete -c leap0 -n {_fish_quote(condition)} -a {_fish_quote(value)}"
                )
    return "\n".join(lines) + "\n"
