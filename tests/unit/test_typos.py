"""Typos: the classifier reads one normal form, trains on spelling variants of Latin-script examples only,
and the typo split of `make eval` is seeded (the same slips on every machine)."""

from __future__ import annotations

from bench.typos import perturbed
from helpline_rasa.spelling import is_latin_script, normal_form, spelling_variant


def test_the_normal_form_counts_a_repeated_letter_once_and_types_arabic_and_vietnamese_plain() -> None:
    assert normal_form("I neeed a lawyerr") == normal_form("i ned a lawyer") == "i ned a lawyer"
    assert normal_form("مدرسة") == "مدرسه"
    assert normal_form("được") == "dược"


def test_spelling_variants_are_seeded_and_change_one_thing() -> None:
    variant = spelling_variant("necesito un abogado gratis")
    assert variant is not None and variant != "necesito un abogado gratis"
    assert variant == spelling_variant("necesito un abogado gratis")
    assert spelling_variant("ok") is None


def test_only_latin_script_examples_get_variants() -> None:
    assert is_latin_script("tôi cần luật sư")
    assert not is_latin_script("мне нужен адвокат")
    assert not is_latin_script("أحتاج محامي")
    assert not is_latin_script("我要找lawyer")


def test_the_typo_split_is_the_same_on_every_run_and_touches_every_script() -> None:
    for text, language in [
        ("i need a free lawyer please", "en"),
        ("мне нужен бесплатный адвокат", "ru"),
        ("أحتاج محامي مجاني", "ar"),
        ("คืนนี้ต้องการที่นอนค่ะ", "th"),
        ("我在意大利需要律师", "zh"),
    ]:
        assert perturbed(text, language) == perturbed(text, language) != text
