"""The pure checks behind the transport's hardening: base URLs, keys, bodies, answers.

An attempt's deadline has its own file, ``test_deadline.py``.
"""

from __future__ import annotations

import traceback

import pytest

from leap0._config import redact_url, resolve_api_key, resolve_base_url
from leap0._requests import encode_json
from leap0._responses import api_error, decode_json
from leap0._retry import MAX_RETRY_AFTER, retry_after_is_honoured, status_may_have_acted
from leap0.errors import Leap0BadRequestError, Leap0ResponseError

SECRET = "Zq9-do-not-show-0123"


def _shown(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)) + repr(exc)


# --- base URLs ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://u:KEY@h/p", "https://***@h/p"),
        ("htps://u:KEY@x", "htps://***@x"),
        ("u:KEY@x", "***@x"),
        ("https://u:KEY/x@h", "https://***@h"),
        ("https://h/p", "https://h/p"),
        ("https://a@b@c", "https://***@c"),
    ],
)
def test_redact_url_hides_everything_before_the_last_at(url: str, shown: str) -> None:
    assert redact_url(url) == shown


@pytest.mark.parametrize(
    "url",
    [
        "https://api.leap0.test/",
        "https://api.leap0.test/v1",
        "http://127.0.0.1:8080",
        "http://[::1]:9",
        "http://localhost:1/base/",
    ],
)
def test_good_base_urls_are_kept_without_a_trailing_slash(url: str) -> None:
    assert resolve_base_url(url) == url.rstrip("/")


@pytest.mark.parametrize("url", ["http://h/?", "http://h/#", "https://h?", "https://h#"])
def test_empty_query_or_fragment_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="query or a fragment"):
        resolve_base_url(url.replace("h", "127.0.0.1"))


@pytest.mark.parametrize(
    "char", ["\t", "\n", "\r", " ", "\x00", "\x1b", "\x7f", "\u00a0", "\u2028"]
)
@pytest.mark.parametrize("where", ["start", "host", "path", "end"])
def test_whitespace_and_control_characters_are_refused_anywhere(char: str, where: str) -> None:
    url = {
        "start": f"{char}https://api.leap0.test",
        "host": f"https://api{char}.leap0.test",
        "path": f"https://api.leap0.test/v{char}1",
        "end": f"https://api.leap0.test{char}",
    }[where]
    with pytest.raises(ValueError, match="whitespace or control"):
        resolve_base_url(url)


def test_base_url_from_the_environment_is_checked_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEAP0_BASE_URL", f"https://u:{SECRET}@api.leap0.test/#")
    with pytest.raises(ValueError) as info:
        resolve_base_url(None)
    assert SECRET not in _shown(info.value)


@pytest.mark.parametrize(
    "url", [f"https://u:{SECRET}@h", f"http://{SECRET}@127.0.0.1", f"https://:{SECRET}@h"]
)
def test_credentials_in_a_base_url_are_refused_without_showing_them(url: str) -> None:
    with pytest.raises(ValueError, match="credentials") as info:
        resolve_base_url(url)
    assert SECRET not in _shown(info.value)


# --- secrets that cannot be sent ------------------------------------------------------


@pytest.mark.parametrize("key", ["k", "emu_0123456789abcdef", "a!~\"#$%&'()*+,-./:;<=>?@[]^_`{|}"])
def test_printable_ascii_keys_are_accepted(key: str) -> None:
    assert resolve_api_key(key) == key


@pytest.mark.parametrize(
    "key", [f"{SECRET} ", f" {SECRET}", f"{SECRET}\t", f"{SECRET}\u00e9", f"{SECRET}\udc80", ""]
)
def test_keys_that_cannot_go_in_a_header_are_refused_without_showing_them(key: str) -> None:
    with pytest.raises(ValueError, match="api_key") as info:
        resolve_api_key(key)
    assert SECRET not in _shown(info.value)


def test_encode_json_is_compact_utf8() -> None:
    assert (
        encode_json({"id": "a", "password": "p\u00e4ss"})
        == '{"id":"a","password":"p\u00e4ss"}'.encode()
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"id": "a", "password": f"{SECRET}\udc80"}, "password"),
        ({"env_vars": {"X": f"{SECRET}\ud800"}}, "env_vars"),
        ({"env_vars": {f"{SECRET}\ud800": "1"}}, "env_vars"),
        ({f"{SECRET}\ud800": "1"}, "a key"),
    ],
)
def test_encode_json_names_the_field_it_cannot_encode(body: object, field: str) -> None:
    with pytest.raises(ValueError) as info:
        encode_json(body)
    assert type(info.value) is ValueError
    assert str(info.value).startswith(field)
    assert info.value.__context__ is None
    assert SECRET not in _shown(info.value)


# --- Retry-After ----------------------------------------------------------------------


def test_retry_after_is_honoured_up_to_the_longest_wait() -> None:
    assert retry_after_is_honoured(None)
    assert retry_after_is_honoured(0.0)
    assert retry_after_is_honoured(MAX_RETRY_AFTER)
    assert not retry_after_is_honoured(MAX_RETRY_AFTER + 0.5)
    assert not retry_after_is_honoured(999999.0)


# --- a delete whose answer was lost ---------------------------------------------------


@pytest.mark.parametrize(
    ("status", "acted"),
    [(502, True), (503, True), (504, True), (408, False), (429, False), (500, False)],
)
def test_statuses_after_which_the_service_may_have_acted(status: int, acted: bool) -> None:
    assert status_may_have_acted(status) is acted


# --- answers nested too deeply --------------------------------------------------------


@pytest.mark.parametrize(
    "content", [b"[" * 100_000, b'{"a":' * 100_000, b"[" * 100_000 + b"]" * 100_000]
)
def test_json_nested_too_deeply_is_a_response_error(content: bytes) -> None:
    with pytest.raises(Leap0ResponseError, match="nested too deeply") as info:
        decode_json(content, 200)
    assert info.value.status_code == 200


def test_error_answer_nested_too_deeply_keeps_its_raw_text() -> None:
    error = api_error(400, "Bad Request", {}, b"[" * 100_000, "POST", "/v1/x")
    assert isinstance(error, Leap0BadRequestError)
    assert error.body == "[" * 2000
