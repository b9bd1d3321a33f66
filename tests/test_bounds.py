"""Timeouts that cannot overflow, and a loopback check that means loopback (both clients)."""

from __future__ import annotations

import httpx
import pytest

from leap0 import AsyncLeap0Client, Leap0Client

CLIENTS = [Leap0Client, AsyncLeap0Client]
TOO_LONG = [float("inf"), 1e10, 10**400, 86_400.5]


@pytest.mark.parametrize("cls", CLIENTS)
@pytest.mark.parametrize("timeout", TOO_LONG)
def test_a_timeout_past_the_maximum_is_a_value_error(cls: type, timeout: float) -> None:
    with pytest.raises(ValueError, match=r"at most 86400 seconds .* use None for no limit"):
        cls(api_key="k", timeout=timeout)
    with pytest.raises(ValueError, match=r"timeout\.read must be at most"):
        cls(api_key="k", timeout=httpx.Timeout(5.0, read=timeout))


@pytest.mark.parametrize("timeout", [float("nan"), 0, -1.0])
def test_a_timeout_that_is_not_positive_is_a_value_error(timeout: float) -> None:
    with pytest.raises(ValueError, match="must be positive"):
        Leap0Client(api_key="k", timeout=timeout)


def test_the_maximum_and_no_limit_are_accepted() -> None:
    for timeout in (86_400, None, httpx.Timeout(None)):
        Leap0Client(api_key="k", timeout=timeout).close()


def test_a_call_timeout_past_the_maximum_is_refused_before_any_request() -> None:
    client = Leap0Client(api_key="k", base_url="http://127.0.0.1:9", max_retries=0)
    with client, pytest.raises(ValueError, match="at most 86400"):
        client.sandboxes.list(http_timeout=float("inf"))


@pytest.mark.parametrize("cls", CLIENTS)
@pytest.mark.parametrize(
    "base_url", ["http://localhost.:1", "http://localhost..:1", "http://localhost.example:1"]
)
def test_http_for_a_name_other_than_localhost_is_refused(cls: type, base_url: str) -> None:
    with pytest.raises(ValueError, match="not loopback"):
        cls(api_key="k", base_url=base_url)


@pytest.mark.parametrize("base_url", ["http://localhost:1", "http://LocalHost:1", "http://[::1]:1"])
def test_http_for_loopback_is_accepted(base_url: str) -> None:
    Leap0Client(api_key="k", base_url=base_url).close()
