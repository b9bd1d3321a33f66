"""``--request-timeout S``: a positive number of seconds, a day at most, checked while parsing.

A value the SDK would refuse (or on which its deadline would overflow) is a
usage error naming the option, exit status 2, before anything else: no API
key is needed to be told, and nothing is sent.
"""

from __future__ import annotations

import os

import pytest

from leap0._cli import main


@pytest.mark.parametrize(
    "value", ["1e10", "86401", "1e308", "1e400", "inf", "-inf", "nan", "-1", "0", "-0", "x", ""]
)
def test_a_bad_request_timeout_is_a_one_line_usage_error(
    value: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("LEAP0_"):
            monkeypatch.delenv(name)
    assert main(["--request-timeout", value, "sandbox", "list"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()  # the usage (a few lines), then the error
    assert lines[0].startswith("usage: leap0")
    message = lines[-1]
    assert "Traceback" not in err and "error" not in "".join(lines[:-1])
    assert message.startswith("leap0: error: argument --request-timeout: "), message
    assert main(["sandbox", "list", f"--request-timeout={value}", "--json"]) == 2
    assert '"error": "usage"' in capsys.readouterr().err


@pytest.mark.parametrize("value", ["0.001", "30", "86400", "8.64e4"])
def test_up_to_a_day_is_accepted(value: str) -> None:
    from leap0._cli.parser import build_parser

    args = build_parser().parse(["--request-timeout", value, "sandbox", "list"])
    assert args.request_timeout == float(value)
