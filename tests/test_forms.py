"""The forms people really write (issue 21): Arabic suffixes and verbs, Russian
derivations, French agreement, prefix aliases, Persian/Pashto letter variants."""

from __future__ import annotations

from pathlib import Path

import pytest

from sourcewatch.matching import Matcher, load_matcher, read_watchlists

WATCHLISTS = Path(__file__).parent.parent / "watchlists"


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return load_matcher(WATCHLISTS)


def _matcher(tmp_path: Path, body: str) -> Matcher:
    (tmp_path / "t.toml").write_text('area = "test"\n' + body, encoding="utf-8")
    return Matcher(read_watchlists(tmp_path))


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        # They claimed (تبنّوا, with shadda), she claimed it (تبنته), its responsibility
        # (مسؤوليتها: taa marbuta before a feminine pronoun).
        ("عناصر داعش تبنّوا الهجوم على حاجز للجيش في دير الزور", "isis-attack-claim"),
        ("داعش تبنته في بيان نشرته وكالة أعماق", "isis-attack-claim"),
        ("حركة طالبان باكستان أعلنت مسؤوليتها عن التفجير في مستونگ", "ttp-attack-claim"),
        ("جماعة نصرة الإسلام والمسلمين تبنّت الكمين قرب غاو", "jnim-attack-claim"),
        ("L'attaque a été revendiquée par le JNIM dans la région de Gao", "jnim-attack-claim"),
        ("Deux embuscades revendiquées par le JNIM près de Tombouctou", "jnim-attack-claim"),
    ],
)
def test_claims_in_inflected_forms_fire_the_shipped_rules(
    matcher: Matcher, text: str, rule: str
) -> None:
    assert rule in matcher.match(text).rules


@pytest.mark.parametrize(
    ("text", "entity", "surface"),
    [
        ("вагнеровцы заняли позиции под Бахмутом", "wagner", "вагнеровцы"),
        ("колонна вагнеровцев ушла из Мали", "wagner", "вагнеровцев"),
        ("вагнеровская база в Ливии", "wagner", "вагнеровская"),
        ("игиловцы атаковали блокпост", "isis", "игиловцы"),
        ("о вагнеровщине писали много", "wagner", "вагнеровщине"),  # the "вагнеров*" alias
        ("وقالت حركة الشباب في بيانها", "al-shabaab", "حركة الشباب"),
        ("أكدت الحركة أن مقاتليها سيطروا على الموقع بعد مواجهات مع قسد", "sdf", "قسد"),
        ("نفذها عناصر تنظيم الدولة ومسؤولي داعش", "isis", "تنظيم الدولة"),
    ],
)
def test_derived_and_suffixed_forms(matcher: Matcher, text: str, entity: str, surface: str) -> None:
    found = {(m.entity, m.text) for m in matcher.match(text).matches}
    assert (entity, surface) in found


def test_arabic_suffixes_keep_precision(tmp_path: Path) -> None:
    m = _matcher(
        tmp_path,
        '[[entities]]\nid = "salim"\nname = "سليم"\n'
        '[[entities]]\nid = "resp"\nname = "مسؤولية"\n'
        '[[entities]]\nid = "adopt"\nname = "تبنى"\n',
    )
    # A 4-letter name takes 2-letter pronouns, not ه (سليمة is another name) nor ان.
    assert m.match("قال سليمهم").entity_ids == ["salim"]
    assert not m.match("قالت سليمة ان سليمان وصل")
    # Taa marbuta turns into ت only before a suffix; the bare stem is another word.
    assert m.match("أعلن مسؤوليته").entity_ids == ["resp"]
    assert not m.match("مسؤولي الحكومة")
    # A defective verb conjugates, and the imperfect takes its prefix.
    for form in ("تبنوا", "تبنت", "تبنته", "تبناه", "يتبنى", "يتبنون"):
        assert m.match(form).entity_ids == ["adopt"], form
    assert not m.match("تبن")  # straw: the stem alone is another word


def test_short_nisba_alias_does_not_take_suffixes(matcher: Matcher) -> None:
    """مالي + ه would be مالية ("financial", feminine): never a Mali mention."""
    assert "mali" not in matcher.match("الأزمة المالية في باماكو").entity_ids


def test_russian_derivations_only_from_names(tmp_path: Path) -> None:
    m = _matcher(
        tmp_path, '[[entities]]\nid = "w"\nname = "Вагнер"\n[[entities]]\nid = "m"\nname = "мост"\n'
    )
    assert m.match("вагнеровцев").entity_ids == ["w"]
    assert not m.match("мостовский")  # a lower-case common noun does not derive


def test_french_agreement(tmp_path: Path) -> None:
    m = _matcher(
        tmp_path,
        '[[entities]]\nid = "r"\nname = "revendiqué"\n'
        '[[entities]]\nid = "ml"\nname = "malien"\n'
        '[[entities]]\nid = "gao"\nname = "Gao"\n',
    )
    for form in ("revendiqué", "revendiquée", "revendiqués", "revendiquées"):
        assert m.match(form).entity_ids == ["r"], form
    assert m.match("les forces maliennes").entity_ids == ["ml"]
    assert not m.match("Gaoe ou Gaoes")  # capitalised names do not agree


def test_prefix_alias(tmp_path: Path) -> None:
    m = _matcher(tmp_path, '[[entities]]\nid = "w"\nname = "Wagner"\naliases = ["вагнеров*"]\n')
    hit = m.match("типичная вагнеровщина").matches[0]
    assert hit.text == "вагнеровщина"
    assert not m.match("вагнеро")  # shorter than the declared prefix


@pytest.mark.parametrize(
    ("text", "entity"),
    [
        ("د طالبانو د عدلیي وزارت اعلان", "taliban-ministry-of-justice"),  # ی for ې
        ("په مستونګ کې چاودنه وشوه", "mastung"),  # Pashto gaf ګ for گ
        ("حقانی شبکہ کے جنگجو", "haqqani-network"),  # Urdu heh goal ہ for ه
        ("تحريک طالبان پاکستان", "ttp"),  # Arabic yeh in a Persian spelling (kept)
    ],
)
def test_persian_pashto_urdu_letter_variants(matcher: Matcher, text: str, entity: str) -> None:
    assert entity in matcher.match(text).entity_ids


@pytest.mark.parametrize(
    ("text", "entity", "surface"),
    [
        ("طالبان\u200cها در بدخشان", "taliban", "طالبان"),  # ZWNJ before the plural ها
        ("بدخشانی\u200cها به کابل رفتند", "badakhshan", "بدخشانی"),  # Persian nisba ی
        ("طالبانو په نورستان کې عملیات وکړل", "taliban", "طالبانو"),  # Pashto oblique -و
        ("نیروهای پاکستانی", "pakistan", "پاکستانی"),
    ],
)
def test_persian_and_pashto_endings(matcher: Matcher, text: str, entity: str, surface: str) -> None:
    found = {(m.entity, m.text) for m in matcher.match(text).matches}
    assert (entity, surface) in found
