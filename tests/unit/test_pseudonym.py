"""Pseudonyms: stable per person and channel, unlinkable without the server's secret."""

import pytest

from bot.messages import Channel
from bot.privacy.pseudonym import pseudonym_for

SECRET = b"a-test-secret"


def test_the_same_person_always_gets_the_same_pseudonym() -> None:
    assert pseudonym_for(Channel.TELEGRAM, 4242, SECRET) == pseudonym_for(Channel.TELEGRAM, 4242, SECRET)


def test_the_pseudonym_does_not_contain_the_raw_id() -> None:
    pseudonym = pseudonym_for(Channel.TELEGRAM, 987654321, SECRET)
    assert "987654321" not in pseudonym
    assert len(pseudonym) == 64


def test_another_secret_gives_an_unrelated_pseudonym() -> None:
    assert pseudonym_for(Channel.TELEGRAM, 4242, SECRET) != pseudonym_for(Channel.TELEGRAM, 4242, b"other")


def test_the_same_id_on_another_channel_is_another_person() -> None:
    assert pseudonym_for(Channel.TELEGRAM, "4242", SECRET) != pseudonym_for(Channel.WEBCHAT, "4242", SECRET)


def test_an_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError):
        pseudonym_for(Channel.TELEGRAM, 4242, b"")
