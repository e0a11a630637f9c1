"""Signed links: only their own purpose, only unaltered, only while fresh."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from kunde.core.links import LinkError, make_token, read_token


def test_token_names_its_object():
    assert read_token("quote", make_token("quote", 42)) == "42"


def test_token_of_another_purpose_is_refused():
    with pytest.raises(LinkError) as caught:
        read_token("survey", make_token("quote", 42))
    assert not caught.value.expired


def test_altered_token_is_refused():
    token = make_token("quote", 42)
    forged = token.replace("42", "43", 1)
    with pytest.raises(LinkError):
        read_token("quote", forged)


def test_old_token_is_expired():
    with time_machine.travel("2026-01-01 12:00Z", tick=False):
        token = make_token("csat", 7)
    with time_machine.travel("2026-01-09 12:00Z", tick=False), pytest.raises(LinkError) as caught:
        read_token("csat", token, max_age=timedelta(days=7))
    assert caught.value.expired
    with time_machine.travel("2026-01-07 12:00Z", tick=False):
        assert read_token("csat", token, max_age=timedelta(days=7)) == "7"
