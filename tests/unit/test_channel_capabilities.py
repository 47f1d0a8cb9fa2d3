"""The channel table in docs/channels.md tells people the same truth as the code."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.channels.capabilities import CAPABILITIES, capabilities_of
from bot.messages import Channel

DOC = Path(__file__).resolve().parents[2] / "docs" / "channels.md"
ROW_NAMES = {
    Channel.TELEGRAM: "Telegram",
    Channel.WEBCHAT: "Web chat",
    Channel.WHATSAPP: "WhatsApp",
    Channel.SMS: "SMS",
}


def _rows() -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] in ROW_NAMES.values():
            rows[cells[0]] = cells
    return rows


def test_every_channel_has_capabilities() -> None:
    assert set(CAPABILITIES) == set(Channel)


@pytest.mark.parametrize("channel", list(Channel))
def test_the_docs_say_what_the_channel_can_delete(channel: Channel) -> None:
    row = _rows()[ROW_NAMES[channel]]
    can = capabilities_of(channel)
    assert row[1].startswith("yes") == can.deletes_from_phone
    assert row[2].startswith("yes") == can.vanishing


@pytest.mark.parametrize("channel", list(Channel))
def test_vanishing_is_offered_only_where_the_chat_can_be_deleted(channel: Channel) -> None:
    can = capabilities_of(channel)
    assert not can.vanishing or can.deletes_from_phone


def test_a_channel_without_buttons_has_no_button_budget() -> None:
    for can in CAPABILITIES.values():
        assert can.buttons == (can.max_buttons > 0)
