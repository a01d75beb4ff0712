"""Real recorded Arabic and Russian posts for the read-view tests (highlights, paging,
JSON, exports): the Syrian Archive report body and the recorded t.me/s/topwar_official
page, ingested for real and matched against tests/fixtures/readview/watchlists."""

from __future__ import annotations

from pathlib import Path

from sourcewatch.collectors.formats import ImportContext
from sourcewatch.collectors.telegram.collector import parse_telegram_html
from sourcewatch.config import Settings
from sourcewatch.sources.config import SourceConfig

FIXTURES = Path(__file__).parent / "fixtures"
WATCHLISTS = FIXTURES / "readview" / "watchlists"
ARABIC_REPORT = FIXTURES / "triage" / "syrianarchive_incident-7_ar.md"
TOPWAR_PAGE = FIXTURES / "telegram" / "any2feed_topwar_official_channel_page.html"
TOPWAR_URL_IN_POST = "https://t.me/infantmilitario/93419"


def arabic_report() -> str:
    """The report's body (its YAML front matter cut off), as recorded."""
    return ARABIC_REPORT.read_text(encoding="utf-8").split("---", 2)[2].strip()


def arabic_lead() -> str:
    """The report's first paragraph after the facts: the attack, with a YouTube link."""
    return next(p for p in arabic_report().split("\n\n") if p.startswith("وقع الهجوم"))


def topwar_posts() -> dict[str, str]:
    """external id -> text of the recorded Russian channel page."""
    source = SourceConfig(name="topwar", kind="telegram", target="topwar_official")
    ctx = ImportContext(source=source, url="https://t.me/s/topwar_official", filename="p.html")
    return {i.external_id: i.text for i in parse_telegram_html(TOPWAR_PAGE.read_bytes(), ctx)}


def with_readview_watchlists(settings: Settings) -> Settings:
    return settings.model_copy(update={"watchlists_dir": WATCHLISTS})
