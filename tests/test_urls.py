"""canonical_url and the X / Telegram helpers, table-driven.

The SEED_FOOTNOTE_URLS table is every X and t.me URL cited in the footnotes
of the seed analyst report (a real user document), with its canonical form.
"""

from __future__ import annotations

import pytest

from sourcewatch.text.urls import (
    canonical_url,
    telegram_post,
    x_post_url,
    x_status_handle,
    x_status_id,
)

SEED_FOOTNOTE_URLS = [
    ("https://t.me/africaintel/5095", "https://t.me/africaintel/5095"),
    ("https://t.me/africaintel/5728", "https://t.me/africaintel/5728"),
    ("https://t.me/bbcrussian/51479", "https://t.me/bbcrussian/51479"),
    ("https://t.me/boris_rozhin/97667", "https://t.me/boris_rozhin/97667"),
    ("https://t.me/grey_zone/2055", "https://t.me/grey_zone/2055"),
    ("https://t.me/grey_zone/20558", "https://t.me/grey_zone/20558"),
    ("https://t.me/knyaz_cherkasky/1744", "https://t.me/knyaz_cherkasky/1744"),
    ("https://t.me/knyaz_cherkasky/1845", "https://t.me/knyaz_cherkasky/1845"),
    ("https://t.me/knyaz_cherkasky/1848", "https://t.me/knyaz_cherkasky/1848"),
    ("https://t.me/multi_XAM/712", "https://t.me/multi_xam/712"),
    ("https://t.me/rybar/51204", "https://t.me/rybar/51204"),
    ("https://t.me/rybar/51411", "https://t.me/rybar/51411"),
    ("https://t.me/rybar/51839", "https://t.me/rybar/51839"),
    ("https://t.me/rybar/51841", "https://t.me/rybar/51841"),
    ("https://t.me/rybar/51866", "https://t.me/rybar/51866"),
    ("https://t.me/rybar/51962", "https://t.me/rybar/51962"),
    ("https://t.me/zakharovchannel/1020", "https://t.me/zakharovchannel/1020"),
    (
        "https://twitter.com/AfghanAnalyst2/status/1701829310678483096?s=20",
        "https://x.com/afghananalyst2/status/1701829310678483096",
    ),
    (
        "https://twitter.com/AfghanAnalyst2/status/1702420678211682804",
        "https://x.com/afghananalyst2/status/1702420678211682804",
    ),
    (
        "https://twitter.com/AfghanAnalyst2/status/1703331037189644418",
        "https://x.com/afghananalyst2/status/1703331037189644418",
    ),
    (
        "https://twitter.com/AfghanAnalyst2/status/1703480256349266107",
        "https://x.com/afghananalyst2/status/1703480256349266107",
    ),
    (
        "https://twitter.com/AfghanAnalyst2/status/1703503862391357495",
        "https://x.com/afghananalyst2/status/1703503862391357495",
    ),
    (
        "https://twitter.com/DeirEzzore/status/1703458709068755211",
        "https://x.com/deirezzore/status/1703458709068755211",
    ),
    (
        "https://twitter.com/IftikharFirdous/status/1701144373088633170",
        "https://x.com/iftikharfirdous/status/1701144373088633170",
    ),
    (
        "https://twitter.com/Info_Balochistn/status/1702422107546931309",
        "https://x.com/info_balochistn/status/1702422107546931309",
    ),
    (
        "https://twitter.com/KhyberScoop/status/1703312816432611834",
        "https://x.com/khyberscoop/status/1703312816432611834",
    ),
    (
        "https://twitter.com/Natsecjeff/status/1188980295888003073",
        "https://x.com/natsecjeff/status/1188980295888003073",
    ),
    (
        "https://twitter.com/Raihan_093/status/1656243454278791169",
        "https://x.com/raihan_093/status/1656243454278791169",
    ),
    (
        "https://twitter.com/SajjadNuristan/status/1699869006977724547",
        "https://x.com/sajjadnuristan/status/1699869006977724547",
    ),
    (
        "https://twitter.com/SimNasr/status/1686725855408496640?s=20",
        "https://x.com/simnasr/status/1686725855408496640",
    ),
    (
        "https://twitter.com/TOLOnews/status/1703408855370051792",
        "https://x.com/tolonews/status/1703408855370051792",
    ),
    (
        "https://twitter.com/TajudenSoroush/status/1703893420064796872",
        "https://x.com/tajudensoroush/status/1703893420064796872",
    ),
    (
        "https://twitter.com/aamajnews_EN/status/1702296171325059167",
        "https://x.com/aamajnews_en/status/1702296171325059167",
    ),
    (
        "https://twitter.com/bnapashto/status/1701567811880149120",
        "https://x.com/bnapashto/status/1701567811880149120",
    ),
    (
        "https://twitter.com/bsarwary/status/1701533383518470346",
        "https://x.com/bsarwary/status/1701533383518470346",
    ),
    (
        "https://twitter.com/casusbellii/status/1686639253231398912?s=20",
        "https://x.com/casusbellii/status/1686639253231398912",
    ),
    (
        "https://twitter.com/daily_shahadat/status/1703269753211527503?s=20",
        "https://x.com/daily_shahadat/status/1703269753211527503",
    ),
    (
        "https://twitter.com/khorasandiary/status/1700575615374463179",
        "https://x.com/khorasandiary/status/1700575615374463179",
    ),
    (
        "https://twitter.com/khorasandiary/status/1701142489623605630",
        "https://x.com/khorasandiary/status/1701142489623605630",
    ),
    (
        "https://twitter.com/khorasandiary/status/1702396085023494513",
        "https://x.com/khorasandiary/status/1702396085023494513",
    ),
    (
        "https://twitter.com/moiafghanistan/status/1701919046130688235",
        "https://x.com/moiafghanistan/status/1701919046130688235",
    ),
    (
        "https://twitter.com/nahermedia/status/1703377525697556499",
        "https://x.com/nahermedia/status/1703377525697556499",
    ),
    (
        "https://twitter.com/natsecjeff/status/1701893522612461734?s=46",
        "https://x.com/natsecjeff/status/1701893522612461734",
    ),
    (
        "https://twitter.com/thesyrianlions/status/1697647293975998988",
        "https://x.com/thesyrianlions/status/1697647293975998988",
    ),
    (
        "https://twitter.com/thesyrianlions/status/1697874300068356439",
        "https://x.com/thesyrianlions/status/1697874300068356439",
    ),
    (
        "https://twitter.com/thesyrianlions/status/1699121567790227790",
        "https://x.com/thesyrianlions/status/1699121567790227790",
    ),
    (
        "https://twitter.com/thesyrianlions/status/1703054764055933059",
        "https://x.com/thesyrianlions/status/1703054764055933059",
    ),
    (
        "https://x.com/DeirEzzore/status/1703073454327488966?s=20",
        "https://x.com/deirezzore/status/1703073454327488966",
    ),
    (
        "https://x.com/DeirEzzore/status/1703418752753127722?s=20",
        "https://x.com/deirezzore/status/1703418752753127722",
    ),
    (
        "https://x.com/Wamaps_news/status/1701875614859313272?s=20",
        "https://x.com/wamaps_news/status/1701875614859313272",
    ),
]

X_SPELLINGS = [
    # every spelling of one post -> one canonical URL, handle without case
    (
        "https://twitter.com/SimNasr/status/1686725855408496640?s=20",
        "simnasr",
        "1686725855408496640",
    ),
    (
        "https://mobile.twitter.com/SimNasr/status/1686725855408496640",
        "simnasr",
        "1686725855408496640",
    ),
    ("https://m.twitter.com/SimNasr/status/1686725855408496640", "simnasr", "1686725855408496640"),
    ("https://www.x.com/SIMNASR/status/1686725855408496640", "simnasr", "1686725855408496640"),
    (
        "http://www.twitter.com/simnasr/status/1686725855408496640/",
        "simnasr",
        "1686725855408496640",
    ),
    ("https://x.com/SimNasr/status/1686725855408496640/photo/1", "simnasr", "1686725855408496640"),
    (
        "https://x.com/SimNasr/status/1686725855408496640/video/1?s=20",
        "simnasr",
        "1686725855408496640",
    ),
    (
        "https://x.com/SimNasr/status/1686725855408496640?t=AbC_12xyz&s=19",
        "simnasr",
        "1686725855408496640",
    ),
    ("https://twitter.com/SimNasr/statuses/1686725855408496640", "simnasr", "1686725855408496640"),
    ("https://twitter.com/#!/SimNasr/status/1686725855408496640", "simnasr", "1686725855408496640"),
    ("twitter.com/SimNasr/status/1686725855408496640", "simnasr", "1686725855408496640"),
    (
        "HTTPS://TWITTER.COM:443/SimNasr/status/1686725855408496640#reply",
        "simnasr",
        "1686725855408496640",
    ),
]


@pytest.mark.parametrize(("cited", "canonical"), SEED_FOOTNOTE_URLS)
def test_seed_footnote_urls_have_one_canonical_form(cited: str, canonical: str) -> None:
    assert canonical_url(cited) == canonical
    assert canonical_url(canonical) == canonical  # idempotent


def test_seed_report_repeats_collapse_to_one_url() -> None:
    # the report cites @natsecjeff as "Natsecjeff" and as "natsecjeff"
    assert canonical_url("https://twitter.com/Natsecjeff/status/1") == canonical_url(
        "https://x.com/natsecjeff/status/1?s=46"
    )


@pytest.mark.parametrize(("spelling", "handle", "post_id"), X_SPELLINGS)
def test_every_x_spelling_maps_to_x_com_status(spelling: str, handle: str, post_id: str) -> None:
    assert canonical_url(spelling) == f"https://x.com/{handle}/status/{post_id}"
    assert x_status_id(spelling) == post_id
    assert x_status_handle(spelling) == handle


@pytest.mark.parametrize(
    "spelling",
    [
        "https://twitter.com/i/web/status/1686725855408496640",
        "https://x.com/i/web/status/1686725855408496640?s=20",
        "https://mobile.twitter.com/i/status/1686725855408496640/photo/2",
    ],
)
def test_x_post_known_only_by_id(spelling: str) -> None:
    assert canonical_url(spelling) == "https://x.com/i/web/status/1686725855408496640"
    assert x_status_id(spelling) == "1686725855408496640"
    assert x_status_handle(spelling) is None


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("https://twitter.com/AfghanAnalyst2", "https://x.com/afghananalyst2"),
        ("https://mobile.twitter.com/AfghanAnalyst2/?s=20", "https://x.com/afghananalyst2"),
        (
            "https://twitter.com/search?q=from%3Afoo%20bar&src=typed_query",
            "https://x.com/search?q=from%3Afoo%20bar",
        ),
        ("https://twitter.com/hashtag/Sahel?src=hash", "https://x.com/hashtag/Sahel"),
    ],
)
def test_other_x_pages(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical
    assert x_status_id(url) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/SimNasr/status/1686725855408496640",  # not X
        "https://x.com/SimNasr/status/notanid",
        "https://x.com/SimNasr",
        "https://x.com/search/status/123",  # reserved first segment, not a handle
        "not a url at all",
        "",
    ],
)
def test_x_status_id_is_none_for_other_urls(url: str) -> None:
    assert x_status_id(url) is None


def test_x_post_url() -> None:
    assert x_post_url("20", "@Jack") == "https://x.com/jack/status/20"
    assert x_post_url("20") == "https://x.com/i/web/status/20"


@pytest.mark.parametrize(
    ("url", "canonical", "post"),
    [
        ("https://t.me/s/rybar/51204", "https://t.me/rybar/51204", ("rybar", 51204)),
        ("https://t.me/rybar/51204?single", "https://t.me/rybar/51204", ("rybar", 51204)),
        ("https://t.me/rybar/51204?embed=1&mode=tme", "https://t.me/rybar/51204", ("rybar", 51204)),
        ("http://telegram.me/Rybar/51204/", "https://t.me/rybar/51204", ("rybar", 51204)),
        ("https://www.t.me/s/multi_XAM/712", "https://t.me/multi_xam/712", ("multi_xam", 712)),
        (
            "https://t.me/rybar/51204?comment=99",
            "https://t.me/rybar/51204?comment=99",
            ("rybar", 51204),
        ),
        ("https://t.me/s/rybar", "https://t.me/rybar", None),
        ("https://t.me/s/rybar?utm_source=x", "https://t.me/rybar", None),
        ("https://t.me/s/Rybar?before=51204", "https://t.me/s/rybar?before=51204", None),
        ("https://t.me/c/1234567890/55", "https://t.me/c/1234567890/55", None),
        ("https://t.me/joinchat/AAAAAE", "https://t.me/joinchat/AAAAAE", None),
    ],
)
def test_telegram_urls(url: str, canonical: str, post: tuple[str, int] | None) -> None:
    assert canonical_url(url) == canonical
    assert telegram_post(url) == post


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        # the seed report's text fragment, with the closing parenthesis it swallowed
        (
            "https://www.brookings.edu/articles/comparing-al-qaeda-and-isis-different-goals-"
            "different-targets/#:~:text=The%20Islamic%20State's%20strategy%20is,State's%20twisted"
            "%20version%20of%20it)",
            "https://www.brookings.edu/articles/comparing-al-qaeda-and-isis-different-goals-"
            "different-targets/",
        ),
        # a section anchor is what the analyst cited: kept
        (
            "https://www.criticalthreats.org/analysis/salafi-jihadi-movement-weekly-update-"
            "august-2-2023#AFG20230802",
            "https://www.criticalthreats.org/analysis/salafi-jihadi-movement-weekly-update-"
            "august-2-2023#AFG20230802",
        ),
        ("https://example.org/page#intro:~:text=foo", "https://example.org/page#intro"),
        ("HTTP://Example.ORG:80", "http://example.org/"),
        ("https://example.org:443/a", "https://example.org/a"),
        ("https://example.org:8443/a", "https://example.org:8443/a"),
        ("https://example.org./a", "https://example.org/a"),
        (
            "https://example.org/a?utm_source=tw&id=7&UTM_Medium=x&fbclid=abc&gclid=1&q=a%20b",
            "https://example.org/a?id=7&q=a%20b",
        ),
        ("https://example.org/a?b=2&a=1", "https://example.org/a?b=2&a=1"),  # order kept
        ("https://example.org/a?flag&utm_campaign=z", "https://example.org/a?flag"),
        ("https://user:pw@Example.org/a", "https://user:pw@example.org/a"),
        ("http://[2001:DB8::1]:80/x", "http://[2001:db8::1]/x"),
        ("  https://example.org/Case/Kept  ", "https://example.org/Case/Kept"),
        ("www.reuters.com/world", "https://www.reuters.com/world"),
        ("mailto:someone@example.org", "mailto:someone@example.org"),
    ],
)
def test_general_rules(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical


@pytest.mark.parametrize(
    "bad", ["", "   ", "https://", "https://example.org:99999/", "http://[::1/"]
)
def test_unusable_urls_raise_value_error(bad: str) -> None:
    with pytest.raises(ValueError):
        canonical_url(bad)


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        (
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ&feature=youtu.be&si=AbC&pp=ygU",
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        ),
        ("https://youtu.be/dQw4w9WgXcQ?si=xYz&t=42", "https://youtu.be/dQw4w9WgXcQ?t=42"),
        (
            "https://www.youtube.com/watch?v=a1&ab_channel=Chan&t=1m3s",
            "https://www.youtube.com/watch?v=a1&t=1m3s",  # the cited moment is kept
        ),
        (
            "https://www.instagram.com/p/Cx1/?igshid=MzRlODBiNWFlZA==&igsh=abc",
            "https://www.instagram.com/p/Cx1/",
        ),
        (
            "https://www.facebook.com/a/posts/1?mibextid=Nif5oz",
            "https://www.facebook.com/a/posts/1",
        ),
        (
            "https://www.tiktok.com/@a/video/72?_r=1&_t=8g&is_from_webapp=1&lang=en",
            "https://www.tiktok.com/@a/video/72?lang=en",
        ),
        # "feature" and "si" only track on YouTube: elsewhere they may name the page
        ("https://example.org/a?feature=maps&si=2", "https://example.org/a?feature=maps&si=2"),
        ("https://x.com/a/status/12?s=20&t=AbC", "https://x.com/a/status/12"),
        ("https://t.me/s/rybar/51234?single", "https://t.me/rybar/51234"),
    ],
)
def test_tracking_parameters_for_citation_and_matching(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical
