"""`watchlists check` flags common words from wordfreq's shipped lists (issue 21)."""

from __future__ import annotations

from pathlib import Path

from sourcewatch.matching.watchlist import check_watchlists


def test_common_words_are_flagged_unless_declared(tmp_path: Path) -> None:
    (tmp_path / "t.toml").write_text(
        'area = "t"\n'
        '[[entities]]\nid = "shabaab"\nname = "الشباب"\n'
        '[[entities]]\nid = "drone"\nname = "مسيرة"\n'
        '[[entities]]\nid = "mali"\nname = "مالي"\n'
        '[[entities]]\nid = "jnim"\nname = "JNIM"\naliases = ["نصرة الإسلام والمسلمين"]\n'
        '[[entities]]\nid = "mali2"\nname = "Mali country"\naliases = ["مالي"]\n'
        'ambiguous = ["مالي"]\n',
        encoding="utf-8",
    )
    warnings = check_watchlists(tmp_path).warnings
    flagged = {w.split("alias ", 1)[1].split(" ", 1)[0] for w in warnings if "common word" in w}
    assert flagged == {"'الشباب'", "'مسيرة'", "'مالي'"}
    assert any("t.toml:" in w and "'mali'" in w for w in warnings)  # file:line of the entity
