"""The ports tests give the helpline's parts: free, never the same twice, and never ones the kernel could
give an outgoing connection while a part is still loading (Rasa binds only after its model is loaded)."""

from __future__ import annotations

import random
import socket

import pytest

from tests import stack
from tests.stack import _ephemeral_range, free_port, free_ports


def test_a_port_is_picked_below_the_ephemeral_range_so_no_outgoing_connection_can_take_it() -> None:
    low, _ = _ephemeral_range()
    assert all(free_port() < low for _ in range(50))


def test_no_port_is_handed_out_twice() -> None:
    ports = [free_port() for _ in range(300)]
    assert len(set(ports)) == len(ports)


def test_consecutive_ports_are_all_free_and_never_overlap_another_pick() -> None:
    first = free_ports(3)
    later = {free_port() for _ in range(200)}
    assert not later & {first, first + 1, first + 2}
    for port in range(first, first + 3):
        with socket.socket() as listener:
            listener.bind(("127.0.0.1", port))


def test_a_port_someone_listens_on_is_never_handed_out(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        taken = listener.getsockname()[1]
        spare = free_port()
        picks = iter([taken, taken, spare])
        monkeypatch.setattr(stack, "_HANDED_OUT", set())
        monkeypatch.setattr(random, "randint", lambda low, high: next(picks))
        monkeypatch.setattr(stack, "_ephemeral_range", lambda: (65_000, 65_535))
        assert free_port() == spare
