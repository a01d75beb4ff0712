"""sourcewatch import through the real CLI: skipped entries reported, wrong formats exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sourcewatch.cli import app
from sourcewatch.config import Settings

FIXTURES = Path(__file__).parent / "fixtures"
runner = CliRunner()


@pytest.fixture
def env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    sources = tmp_path / "sources.toml"
    sources.write_text(
        '[[sources]]\nname = "news"\nkind = "feed"\ntarget = "https://example.org/feed"\n'
        'interval = "1h"\nareas = ["sahel"]\n'
        '[[sources]]\nname = "jihadology"\nkind = "wordpress"\n'
        'target = "https://jihadology.net"\ninterval = "1h"\nareas = ["sahel"]\n'
    )
    return {
        "SOURCEWATCH_DATA_DIR": str(settings.data_dir),
        "SOURCEWATCH_DATABASE_URL": settings.resolved_database_url,
        "SOURCEWATCH_SOURCES_FILE": str(sources),
    }


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.output


def test_an_rss_item_without_guid_or_link_is_stored(env: dict[str, str]) -> None:
    feed = FIXTURES / "feedparser" / "wellformed_rss_item_description.xml"
    code, out = run(env, "import", str(feed), "--source", "news", "--format", "rss", "--json")
    assert code == 0 and json.loads(out)["new"] == 1  # was "0 new", exit 0
    code, out = run(env, "import", str(feed), "--source", "news", "--format", "rss", "--json")
    assert code == 0 and json.loads(out)["unchanged"] == 1  # the same id again


def test_a_skipped_entry_is_reported_with_its_reason(env: dict[str, str]) -> None:
    feed = FIXTURES / "feedparser" / "wellformed_rss_item_dc_date.xml"
    code, out = run(env, "import", str(feed), "--source", "news", "--format", "rss")
    assert code == 0
    assert "0 new" in out and "1 entry(ies) skipped" in out
    assert "entry #1: no id, no link, no title and no content" in out
    code, out = run(env, "import", str(feed), "--source", "news", "--format", "rss", "--json")
    assert json.loads(out)["skipped"] == ["entry #1: no id, no link, no title and no content"]


def test_a_wordpress_answer_imported_as_x_json_exits_2(env: dict[str, str]) -> None:
    posts = FIXTURES / "news" / "python-wp__wp-json_wp_v2_posts.json"
    code, out = run(env, "import", str(posts), "--source", "news", "--format", "x-json")
    assert code == 2
    assert "not a x-json file: it looks like a WordPress REST answer (wp-json)" in out


def test_a_users_listing_imported_as_wp_json_exits_2(env: dict[str, str]) -> None:
    users = FIXTURES / "news" / "wp-api-generated__UsersCollection.json"
    code, out = run(env, "import", str(users), "--source", "jihadology", "--format", "wp-json")
    assert code == 2 and "is a WordPress user (/wp/v2/users), not a post" in out
    code, out = run(env, "sources", "--json")
    assert [json.loads(line)["items"] for line in out.splitlines()] == [0, 0]
