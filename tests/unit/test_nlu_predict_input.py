"""`helpline nlu predict` reads one `lang<TAB>text` per line."""

from bot.commands.nlu import parse_line


def test_lines_are_read_as_lang_tab_text() -> None:
    assert parse_line("ro\tam nevoie de ajutor\r\n") == ("ro", "am nevoie de ajutor")


def test_a_line_without_a_tab_or_text_is_not_an_input() -> None:
    assert parse_line("ro am nevoie") is None
    assert parse_line("ro\t   \n") is None
