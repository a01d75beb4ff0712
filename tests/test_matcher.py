"""Matching real-looking sentences against the shipped watchlists, in every watched language.

Each case: the text, what must match (entity id -> the exact original text of each
mention, in order) and what must not. Spans are checked against the original text.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sourcewatch.matching import Matcher, load_matcher, read_watchlists
from sourcewatch.matching.matcher import Matcher as MatcherClass

WATCHLISTS = Path(__file__).resolve().parents[1] / "watchlists"


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return load_matcher(WATCHLISTS)


CASES: list[tuple[str, str, dict[str, list[str]], set[str]]] = [
    # --- word boundaries -------------------------------------------------------------
    (
        "isis-not-crisis",
        "The crisis in Deir ez-Zor deepened as ISIS cells regrouped.",
        {"isis": ["ISIS"], "deir-ez-zor": ["Deir ez-Zor"]},
        set(),
    ),
    (
        "crisis-alone",
        "A humanitarian crisis is unfolding; the crisis team met in Geneva.",
        {},
        {"isis"},
    ),
    (
        "mali-not-somalia",
        "Al-Shabaab attacked a base in Somalia, not in Mali.",
        {"mali": ["Mali"], "al-shabaab": ["Al-Shabaab"], "somalia": ["Somalia"]},
        set(),
    ),
    (
        "somalia-alone",
        "Drought in Somalia and Somaliland displaced thousands.",
        {"somalia": ["Somalia"]},
        {"mali"},
    ),
    (
        "ttp-not-https",
        "Source: https://t.me/rybar/51411 and https://x.com/AfghanAnalyst2",
        {},
        {"ttp"},
    ),
    (
        "ttp-possessive",
        "Pakistan closed the border after the TTP’s raid into Chitral.",
        {"pakistan": ["Pakistan"], "ttp": ["TTP’s"], "chitral": ["Chitral"]},
        set(),
    ),
    (
        "gao-not-gaoua",
        "Clashes were reported near Gaoua in southwestern Burkina Faso.",
        {"burkina-faso": ["Burkina Faso"]},
        {"gao"},
    ),
    (
        "gao",
        "JNIM has increased its rate of attacks near Timbuktu and Gao.",
        {"jnim": ["JNIM"], "timbuktu": ["Timbuktu"], "gao": ["Gao"]},
        set(),
    ),
    (
        "niger-not-nigeria",
        "Nigeria's army and militants in the Niger Delta clashed again.",
        {},
        {"niger"},
    ),
    (
        "longest-wins",
        "Islamic State Khorasan Province claimed the bombing.",
        {"iskp": ["Islamic State Khorasan Province"]},
        {"isis"},
    ),
    (
        "ttp-over-taliban",
        "Tehrik-e Taliban Pakistan fighters crossed the border.",
        {"ttp": ["Tehrik-e Taliban Pakistan"]},
        {"taliban", "pakistan"},
    ),
    (
        "exclude-phrase",
        "Richard Wagner's operas were staged in Bamako last year.",
        {"bamako": ["Bamako"]},
        {"wagner"},
    ),
    (
        "exclude-does-not-hide-others",
        "Richard Wagner is not the Wagner Group in Mali.",
        {"wagner": ["Wagner Group"], "mali": ["Mali"]},
        set(),
    ),
    # --- apostrophes, hyphens, invisible characters ------------------------------------
    (
        "jamaat-curly",
        "Jama’at Nusrat al Islam wa al Muslimeen (JNIM) claimed the ambush.",
        {"jnim": ["Jama’at Nusrat al Islam wa al Muslimeen", "JNIM"]},
        set(),
    ),
    (
        "jamaat-no-apostrophe",
        "Jamaat Nusrat al Islam wa al Muslimeen claimed the ambush.",
        {"jnim": ["Jamaat Nusrat al Islam wa al Muslimeen"]},
        set(),
    ),
    (
        "jamaat-hyphens",
        "Jama'at Nusrat al-Islam wa-al-Muslimeen claimed the ambush.",
        {"jnim": ["Jama'at Nusrat al-Islam wa-al-Muslimeen"]},
        set(),
    ),
    (
        "al-islam-forms",
        "al-Qaeda, al Qaeda, al\u2011Qaeda and Al-Qaïda are one group.",
        {"al-qaeda": ["al-Qaeda", "al Qaeda", "al\u2011Qaeda", "Al-Qaïda"]},
        set(),
    ),
    (
        "zero-width",
        "Fighters of IS\u200bIS and Wag\u200dner were seen.",
        {"isis": ["IS\u200bIS"], "wagner": ["Wag\u200dner"]},
        set(),
    ),
    (
        "soft-hyphen",
        "Prigo\u00adzhin died on August 23.",
        {"yevgeny-prigozhin": ["Prigo\u00adzhin"]},
        set(),
    ),
    ("fullwidth", "ＩＳＩＳ claimed it.", {"isis": ["ＩＳＩＳ"]}, set()),
    # --- Russian inflection --------------------------------------------------------------
    (
        "ru-wagner-quotes",
        "Бойцы ЧВК «Вагнер» покинули базу в Гао.",
        {"wagner": ["ЧВК «Вагнер»"], "gao": ["Гао"]},
        set(),
    ),
    (
        "ru-wagner-genitive",
        "Командир Вагнера заявил, что группа остается в Мали.",
        {"wagner": ["Вагнера"], "mali": ["Мали"]},
        set(),
    ),
    (
        "ru-yevkurov-dative",
        "Министр обороны поручил Евкурову провести переговоры.",
        {"yunus-bek-yevkurov": ["Евкурову"]},
        set(),
    ),
    (
        "ru-prigozhin-genitive",
        "После гибели Пригожина Минобороны России усилило контроль.",
        {"yevgeny-prigozhin": ["Пригожина"], "russian-mod": ["Минобороны России"]},
        set(),
    ),
    (
        "ru-yo",
        "Переговоры в Кремлё... нет, в Кремле; позиция Кремля ясна.",
        {"kremlin": ["Кремлё", "Кремле", "Кремля"]},
        set(),
    ),
    (
        "ru-isis-cases",
        "Боевики Исламского государства и ИГИЛ атаковали Ирак и Сирию.",
        {"isis": ["Исламского государства", "ИГИЛ"], "iraq": ["Ирак"], "syria": ["Сирию"]},
        set(),
    ),
    ("ru-short-no-endings", "На рынке продавали малину; малик и Малинин спорили.", {}, {"mali"}),
    # Milbloggers' derivations from an abbreviation name its members (issue 21).
    (
        "ru-abbreviation-derived",
        "ИГИЛовцы и игиловцы",
        {"isis": ["ИГИЛовцы", "игиловцы"]},
        set(),
    ),
    ("ru-abbreviation-no-case-endings", "ИГИЛа нет, ИГИЛу тоже", {}, {"isis"}),
    # --- Arabic prefixes and letter variants --------------------------------------------
    (
        "ar-waw-claim",
        "وأعلن داعش مسؤوليته عن الهجوم في دير الزور",
        {"isis": ["داعش"], "deir-ez-zor": ["دير الزور"]},
        set(),
    ),
    ("ar-prefix-waw", "اشتباكات بين قسد وداعش", {"sdf": ["قسد"], "isis": ["وداعش"]}, set()),
    ("ar-prefix-fa", "فالقاعدة ما زالت نشطة", {"al-qaeda": ["فالقاعدة"]}, set()),
    (
        "ar-prefix-ba",
        "هجوم بمالي قرب باماكو وآخر بالعراق",
        {"mali": ["بمالي"], "bamako": ["باماكو"], "iraq": ["بالعراق"]},
        set(),
    ),
    ("ar-prefix-lam", "بيعة لداعش", {"isis": ["لداعش"]}, set()),
    ("ar-prefix-kaf", "تنظيم كطالبان", {"taliban": ["كطالبان"]}, set()),
    ("ar-prefix-al", "قادة الطالبان", {"taliban": ["الطالبان"]}, set()),
    ("ar-prefix-wal", "والطالبان وداعش", {"taliban": ["والطالبان"], "isis": ["وداعش"]}, set()),
    ("ar-prefix-bal", "علاقة بالطالبان", {"taliban": ["بالطالبان"]}, set()),
    (
        "ar-prefix-lil",
        "الولاء للقاعدة وللعراق",
        {"al-qaeda": ["للقاعدة"], "iraq": ["وللعراق"]},
        set(),
    ),
    (
        "ar-ta-marbuta",
        "عناصر القاعده والدوله الاسلاميه",
        {"al-qaeda": ["القاعده"], "isis": ["والدوله الاسلاميه"]},
        set(),
    ),
    (
        "ar-hamza-alef",
        "حركة طالبان في افغانستان وأفغانستان",
        {"taliban": ["حركة طالبان"], "afghanistan": ["افغانستان", "وأفغانستان"]},
        set(),
    ),
    (
        "ar-diacritics-tatweel",
        "مُقاتِلو دَاعِش وتنظيم القـــاعدة",
        {"isis": ["دَاعِش"], "al-qaeda": ["وتنظيم القـــاعدة"]},
        set(),
    ),
    (
        "ar-short-alias-safe",
        "الجيش في الشمال: كمالي الشمالي زار ماليزيا لأسباب مالية",
        {},
        {"mali"},
    ),
    ("ar-exclude-base", "طائرات في القاعدة العسكرية الروسية", {}, {"al-qaeda"}),
    # --- Persian, Pashto -------------------------------------------------------------------
    (
        "fa-ye-kaf",
        "شبکه حقانی در بدخشان",
        {"haqqani-network": ["شبکه حقانی"], "badakhshan": ["بدخشان"]},
        set(),
    ),
    ("ar-same-entity", "شبكة حقاني", {"haqqani-network": ["شبكة حقاني"]}, set()),
    (
        "ps-haqqani",
        "د حقاني شبکه په نورستان کې",
        {"haqqani-network": ["حقاني شبکه"], "nuristan": ["نورستان"]},
        set(),
    ),
    (
        "fa-zwnj",
        "سراج‌الدین حقانی و سراج الدين حقاني",
        {"sirajuddin-haqqani": ["سراج‌الدین حقانی", "سراج الدين حقاني"]},
        set(),
    ),
    (
        "fa-emirate",
        "امارت اسلامی افغانستان",
        {"taliban": ["امارت اسلامی"], "afghanistan": ["افغانستان"]},
        set(),
    ),
    (
        "ps-ministry",
        "د عدلیې وزارت حکم وکړ",
        {"taliban-ministry-of-justice": ["د عدلیې وزارت"]},
        set(),
    ),
    # --- French -----------------------------------------------------------------------------
    (
        "fr-elision",
        "L’État islamique a revendiqué l’attaque près de Tombouctou.",
        {"isis": ["État islamique"], "timbuktu": ["Tombouctou"]},
        set(),
    ),
    (
        "fr-accents",
        "Les Burkinabè et l’armée malienne face à Al-Qaïda.",
        {"burkina-faso": ["Burkinabè"], "mali": ["malienne"], "al-qaeda": ["Al-Qaïda"]},
        set(),
    ),
    (
        "fr-ttp",
        "Les talibans pakistanais ont revendiqué l'attaque.",
        {"ttp": ["talibans pakistanais"]},
        {"taliban"},
    ),
]


@pytest.mark.parametrize(
    ("text", "expected", "absent"),
    [pytest.param(text, expected, absent, id=name) for name, text, expected, absent in CASES],
)
def test_sentences(
    matcher: Matcher, text: str, expected: dict[str, list[str]], absent: set[str]
) -> None:
    result = matcher.match(text)
    found: dict[str, list[str]] = {}
    for m in result.matches:
        assert text[m.start : m.end] == m.text  # spans index the original text
        found.setdefault(m.entity, []).append(m.text)
    assert found == expected
    assert not absent & set(found)


def test_json_shape_and_priority(matcher: Matcher) -> None:
    text = "Командир Вагнера в Гао"
    result = matcher.match(text)
    assert result.to_json() == {
        "matches": [
            {"entity": "wagner", "alias": "Вагнер", "start": 9, "end": 16, "text": "Вагнера",
             "score": 0.8, "areas": ["sahel", "libya", "iraq-syria"]},
            {"entity": "gao", "alias": "Гао", "start": 19, "end": 22, "text": "Гао",
             "score": 1.0, "areas": ["sahel"]},
        ],
        "rules": ["wagner-in-mali"],
        "priority": 5,
        "areas": ["iraq-syria", "libya", "sahel"],
    }  # fmt: skip
    assert result.entity_ids == ["wagner", "gao"]


def test_priority_is_max_weight_of_entities_without_rules(matcher: Matcher) -> None:
    result = matcher.match("Talks in Libya and Syria.")
    assert result.rules == []
    assert result.priority == 1
    assert matcher.match("ISPP and Syria").priority == matcher.entity("ispp").weight == 4


def test_no_match_is_empty(matcher: Matcher) -> None:
    result = matcher.match("Nothing to see here.")
    assert not result
    assert result.to_json() == {"matches": [], "rules": [], "priority": 0, "areas": []}


def test_rules_not_firing(matcher: Matcher) -> None:
    assert "wagner-in-mali" not in matcher.match("A Wagner film shot in Mali").rules
    assert "wagner-in-mali" in matcher.match("Wagner fighters in Mali").rules


def test_near_rule_distance(matcher: Matcher) -> None:
    near = "ISIS cells attacked in Deir ez-Zor."
    far = "ISIS " + "word " * 20 + "Deir ez-Zor"
    assert "isis-in-deir-ez-zor-or-hasakah" in matcher.match(near).rules
    assert "isis-in-deir-ez-zor-or-hasakah" not in matcher.match(far).rules


def test_arabic_variant_letters_fire_keyword_rules(matcher: Matcher) -> None:
    for claim in ("داعش تبنى الهجوم", "داعش تبني الهجوم", "وتبنّى داعش الهجوم"):
        assert "isis-attack-claim" in matcher.match(claim).rules, claim


def test_span_covers_trailing_diacritics(matcher: Matcher) -> None:
    text = "قال الْقَاعِدَةُ اليوم"
    (mention,) = matcher.match(text).matches
    assert mention.text == "الْقَاعِدَةُ"


def test_hostile_text_does_not_break_matching(matcher: Matcher) -> None:
    text = "\x1b[31mISIS\x1b[0m \u202eWagner\u202c " + "\u0301" * 50 + "Mali" + "\x00" * 10
    result = matcher.match(text)
    assert {m.entity for m in result.matches} == {"isis", "wagner", "mali"}
    for m in result.matches:
        assert text[m.start : m.end] == m.text


def test_every_named_entity_of_the_seed_report_is_found(matcher: Matcher) -> None:
    """The seed report (real analyst input) mentions every entity of the starter
    watchlists except the two it only describes ("US-led", Hekmatyar's party) and
    the two it names only inside footnote URLs (russia-..., niger-ecowas-...), which
    are addresses, not text."""
    report = (Path(__file__).parent / "fixtures" / "seed" / "seed_report.txt").read_text()
    found = set(matcher.match(report).entity_ids)
    assert set(matcher.entities) - found == {
        "us-led-coalition",
        "hezb-e-islami",
        "russia",
        "ecowas",
        # Added by issue 21; the report does not name them.
        "hts",
        "bamako",
        "al-shabaab",
        "somalia",
        "mogadishu",
    }


def test_matcher_version_tracks_files(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('[[entities]]\nid = "x"\nname = "Xanadu"\n')
    first = load_matcher(tmp_path)
    (tmp_path / "a.toml").write_text('[[entities]]\nid = "x"\nname = "Xanadu Group"\n')
    second = load_matcher(tmp_path)
    assert first.version != second.version
    assert isinstance(second, MatcherClass)
    assert second.entity("x").name == "Xanadu Group"


def test_empty_directory_matches_nothing(tmp_path: Path) -> None:
    matcher = Matcher(read_watchlists(tmp_path))
    assert not matcher.match("ISIS in Mali")
