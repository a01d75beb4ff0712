"""``sources check`` validates what only the collectors know: options, targets, proxies,
and the watch list's interval bound (issue 19: all of these were accepted)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from sourcewatch.cli import app
from sourcewatch.collectors.validate import check_watch_list
from sourcewatch.sources.config import check_sources

REPO = Path(__file__).resolve().parents[1]

BAD = """\
[[sources]]
name = "typo"
kind = "feed"
target = "https://example.org/feed"
options = { fetch_artcles = true }

[[sources]]
name = "wrong-type"
kind = "feed"
target = "https://example.org/feed"
options = { max_articles_per_poll = "20" }

[[sources]]
name = "negative"
kind = "wordpress"
target = "https://jihadology.net"
options = { max_pages = -1 }

[[sources]]
name = "not-a-url"
kind = "feed"
target = "example.org/feed"

[[sources]]
name = "file-url"
kind = "web"
target = "file:///etc/passwd"

[[sources]]
name = "bad-channel"
kind = "telegram"
target = "t.me/+invite-link"

[[sources]]
name = "bad-backend"
kind = "telegram"
target = "rybar"
backend = "mtproto"

[[sources]]
name = "bad-x-mode"
kind = "x"
target = "SimNasr"
options = { mode = "timeline" }

[[sources]]
name = "ftp-proxy"
kind = "feed"
target = "https://example.org/feed"
proxy = "ftp://127.0.0.1:21"

[[sources]]
name = "portless-proxy"
kind = "feed"
target = "https://example.org/feed"
proxy = "socks5://127.0.0.1"

[[sources]]
name = "absurd-interval"
kind = "feed"
target = "https://example.org/feed"
interval = "1000000000d"

[[sources]]
name = "fine"
kind = "telegram"
target = "https://t.me/s/rybar"
proxy = "socks5h://127.0.0.1:9050"
interval = "10m"
options = { max_pages = 3 }
"""


def test_every_collector_problem_is_named_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(BAD)
    sources, problems = check_watch_list(path)
    assert [s.name for s in sources] == ["fine"]
    found = {p.source: (p.line, p.message) for p in problems}
    assert found["typo"][0] == 5 and "fetch_artcles" in found["typo"][1]
    assert "max_articles_per_poll must be int" in found["wrong-type"][1]
    assert "max_pages must not be negative" in found["negative"][1]
    assert found["not-a-url"][1].startswith("target: ") and "scheme" in found["not-a-url"][1]
    assert "scheme" in found["file-url"][1]
    assert "not a public channel username" in found["bad-channel"][1]
    assert found["bad-backend"][1].startswith("backend: ")
    assert "mode" in found["bad-x-mode"][1]
    assert found["ftp-proxy"][1].startswith("proxy: ") and "scheme" in found["ftp-proxy"][1]
    assert "no port" in found["portless-proxy"][1]
    assert "longer than a year" in found["absurd-interval"][1]
    assert len(problems) == 11


def test_the_interval_bound_holds_when_the_daemon_loads_the_list(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(
        '[[sources]]\nname = "a"\nkind = "feed"\ntarget = "https://e.org/"\ninterval = 1e300\n'
    )
    _, problems = check_sources(path)
    assert [p.message for p in problems] == [
        "interval: interval 1e+300 is longer than a year (366d)"
    ]


def test_the_shipped_watch_list_passes_every_check() -> None:
    sources, problems = check_watch_list(REPO / "config" / "sources.toml")
    assert problems == [] and sources


def test_sources_check_exits_1_on_a_misspelt_option(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(BAD.split("\n\n")[0] + "\n")
    result = CliRunner().invoke(
        app, ["sources", "check", str(path)], env={"SOURCEWATCH_DATA_DIR": str(tmp_path)}
    )
    assert result.exit_code == 1, result.output
    assert "fetch_artcles" in result.output
