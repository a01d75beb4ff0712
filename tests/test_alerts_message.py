"""What an alert says, and what it never says: hostile text reduced to plain lines,
links defanged, triggers, secrets expanded only to send and redacted from errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sourcewatch.alerts.channels import (
    AlertConfigError,
    Candidate,
    expand_url,
    find_alert,
    redact,
    secrets_of,
    service_of,
    wants,
)
from sourcewatch.alerts.message import (
    DIGEST_MAX_ENTRIES,
    EntryView,
    defang,
    digest_message,
    entry_message,
    excerpt,
    plain_text,
)
from sourcewatch.config import AlertSettings

AT = datetime(2026, 11, 26, 21, 4, tzinfo=UTC)


def view(item_id: int = 1, priority: int = 50, areas: tuple[str, ...] = ("sahel",)) -> EntryView:
    return EntryView(
        item_id=item_id,
        revision=1,
        source="rybar",
        priority=priority,
        areas=areas,
        names=["PMC Wagner"],
        entities=["wagner"],
        rules=[],
        at=AT,
        title=None,
        text=f"Post {item_id}: PMC Wagner convoy",
        url="https://t.me/rybar/55",
        sha256="ab" * 32,
    )


@pytest.mark.parametrize(
    ("hostile", "shown"),
    [
        ("\x1b]0;pwned\x07Title\x1b[2J clear", "Title clear"),
        ("<script>alert(1)</script><b>bold</b>", "alert(1) bold"),
        ("**bold** _it_ ~strike~ `code`", "bold it strike code"),
        (
            "[click here](https://evil.example.org/a_b)",
            "click here (hxxps://evil[.]example[.]org/a_b)",
        ),
        ("<https://t.me/x|telegram>", "telegram (hxxps://t[.]me/x)"),
        ("see http://1.2.3.4/payload.exe.", "see hxxp://1[.]2[.]3[.]4/payload.exe."),
        ("&lt;img src=x onerror=alert(1)&gt;", "‹img src=x onerror=alert(1)›"),
        ("RTL \u202eexe.pdf", "RTL <U+202E>exe.pdf"),
    ],
)
def test_source_text_is_reduced_to_plain_lines(hostile: str, shown: str) -> None:
    assert plain_text(hostile) == shown


def test_defang_keeps_the_path_and_breaks_the_link() -> None:
    assert defang("https://www.example.org/a.b/c") == "hxxps://www[.]example[.]org/a.b/c"


def test_an_excerpt_is_the_first_lines_only() -> None:
    text = "\n".join(f"line {i}" for i in range(10))
    assert excerpt("Headline", text) == "Headline\nline 0\nline 1\nline 2\n..."
    assert len(excerpt(None, "word " * 500)) <= 404


def test_an_entry_message_has_every_part_an_analyst_needs() -> None:
    message = entry_message(view(), "sahel-critical")
    assert message.title == "sourcewatch: wagner in rybar"
    assert message.body.splitlines() == [
        "Source: rybar",
        "Time: 2026-11-26 21:04 UTC",
        "Priority: 50   Areas: sahel",
        "Matched: PMC Wagner [wagner]",
        "",
        "Post 1: PMC Wagner convoy",
        "",
        "URL: hxxps://t[.]me/rybar/55",
        f"Archive sha256: {'ab' * 32}",
        "Open: sourcewatch show 1",
        "Alert: sahel-critical / item 1 revision 1",
    ]


def test_a_digest_lists_at_most_a_page_and_counts_the_rest() -> None:
    entries = [view(i, priority=i % 7) for i in range(DIGEST_MAX_ENTRIES + 5)]
    body = digest_message(entries, "desk", reason="flood").body
    listed = [line for line in body.splitlines() if line.startswith("[")]
    assert len(listed) == DIGEST_MAX_ENTRIES
    assert listed[0].startswith("[6] ") and listed[-1].startswith("[0] ")
    assert body.endswith("... and 5 more: sourcewatch queue")


@pytest.mark.parametrize(
    ("triggers", "expected"),
    [
        ({}, True),
        ({"min_priority": 51}, False),
        ({"areas": ["mali", "sahel"]}, True),
        ({"areas": ["mali"]}, False),
        ({"sources": ["menafn"]}, False),
        ({"entities": ["gao"]}, False),
        ({"entities": ["gao"], "rules": ["attack-claim"]}, True),  # either list may match
        ({"rules": ["attack-claim"], "min_priority": 60}, False),  # every trigger must hold
    ],
)
def test_triggers(triggers: dict[str, object], expected: bool) -> None:
    alert = AlertSettings(name="a", url="json://h/x", **triggers)
    entry = Candidate("rybar", 50, ["sahel"], ["wagner"], ["attack-claim"])
    assert wants(alert, entry) is expected


def test_a_url_secret_comes_from_the_environment_and_is_redacted() -> None:
    alert = AlertSettings(name="hook", url="json://hooks.example/sw/${SW_TOKEN}?x=1")
    env = {"SW_TOKEN": "tok-3f9a1c"}
    assert expand_url(alert, env) == "json://hooks.example/sw/tok-3f9a1c?x=1"
    assert redact("POST to /sw/tok-3f9a1c failed", secrets_of(alert, env)) == (
        "POST to /sw/*** failed"
    )
    assert service_of(alert) == "json"
    with pytest.raises(AlertConfigError, match="SW_TOKEN not set") as caught:
        expand_url(alert, {})
    assert "tok-" not in str(caught.value)


def test_a_literal_password_in_the_url_is_redacted_too() -> None:
    alert = AlertSettings(name="mail", url="mailto://me:s3cret-pw@smtp.example.org")
    assert redact("login s3cret-pw refused", secrets_of(alert, {})) == "login *** refused"


def test_an_unknown_channel_is_named_with_the_known_ones() -> None:
    alerts = [AlertSettings(name="desk", url="json://h/x")]
    with pytest.raises(AlertConfigError, match=r"'nope' \(channels: desk\)"):
        find_alert(alerts, "nope")
