"""What Rasa's REST channel returns becomes replies; conversations stay on one Rasa process."""

from bot.engine.rasa import conversation_lines, rasa_process_for, rasa_processes_for, replies_from_rasa
from bot.messages import Button, Channel, Reply
from bot.privacy.pseudonym import pseudonym_for


def test_text_and_buttons_become_a_reply() -> None:
    replies = replies_from_rasa(
        [{"recipient_id": "x", "text": "Hello", "buttons": [{"title": "Shelter", "payload": "/ask_shelter"}]}]
    )
    assert replies == [Reply(text="Hello", buttons=(Button(title="Shelter", payload="/ask_shelter"),))]


def test_messages_without_text_and_broken_buttons_are_left_out() -> None:
    replies = replies_from_rasa(
        [{"recipient_id": "x", "custom": {"a": 1}}, {"text": "Hi", "buttons": [{"title": "no payload"}]}]
    )
    assert replies == [Reply(text="Hi")]


def test_a_conversation_is_pinned_to_one_rasa_process() -> None:
    urls = ["http://a", "http://b", "http://c"]
    pseudonym = "ab" * 32
    assert len({rasa_process_for(pseudonym, urls) for _ in range(10)}) == 1


def test_conversations_spread_over_rasa_processes() -> None:
    urls = ["http://a", "http://b"]
    pseudonyms = [pseudonym_for(Channel.TELEGRAM, user_id, b"secret") for user_id in range(100)]
    chosen = [rasa_process_for(pseudonym, urls) for pseudonym in pseudonyms]
    assert 30 <= chosen.count("http://a") <= 70


def test_a_reply_sent_whole_as_custom_is_one_reply() -> None:
    replies = replies_from_rasa(
        [{"recipient_id": "x", "custom": {"text": "Call 911 now.\n\nIf you can't speak…"}}]
    )
    assert [reply.text for reply in replies] == ["Call 911 now.\n\nIf you can't speak…"]


def test_the_bot_conversation_cut_at_a_moment_leaves_out_everything_said_after() -> None:
    events = [
        {"event": "user", "text": "I need a safe place", "timestamp": 100.0},
        {"event": "bot", "data": {"custom": {"text": "Would you like a counsellor?"}}, "timestamp": 100.5},
        {"event": "pause", "timestamp": 101.0},
        {"event": "user", "text": "I moved to my cousin's flat", "timestamp": 200.0},
        {"event": "user", "text": "no time on this one"},
    ]
    assert conversation_lines(events, before_ms=101_000) == [
        ("survivor", "I need a safe place"),
        ("bot", "Would you like a counsellor?"),
    ]
    assert len(conversation_lines(events)) == 4  # uncut: every line with text


def test_a_third_rasa_process_takes_conversations_only_for_itself() -> None:
    """Consistent (rendezvous) hashing: adding a process moves only the conversations it takes."""
    pseudonyms = [pseudonym_for(Channel.TELEGRAM, user_id, b"secret") for user_id in range(300)]
    before = {p: rasa_process_for(p, ["http://a", "http://b"]) for p in pseudonyms}
    after = {p: rasa_process_for(p, ["http://a", "http://b", "http://c"]) for p in pseudonyms}
    moved = {p for p in pseudonyms if before[p] != after[p]}
    assert moved and all(after[p] == "http://c" for p in moved)


def test_when_its_process_is_gone_a_conversation_goes_to_its_next_one() -> None:
    pseudonyms = [pseudonym_for(Channel.WEBCHAT, str(n), b"secret") for n in range(100)]
    for pseudonym in pseudonyms:
        first, second, third = rasa_processes_for(pseudonym, ["http://a", "http://b", "http://c"])
        remaining = [url for url in ["http://a", "http://b", "http://c"] if url != first]
        assert rasa_process_for(pseudonym, remaining) == second != first != third
