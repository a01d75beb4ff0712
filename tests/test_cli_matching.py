"""`sourcewatch match` and `sourcewatch watchlists check` through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sourcewatch.cli import app

SHIPPED = Path(__file__).resolve().parents[1] / "watchlists"
runner = CliRunner()


def run(*args: str, env: dict[str, str] | None = None, stdin: str | None = None):
    return runner.invoke(app, list(args), env=env, input=stdin)


def test_match_text_json() -> None:
    result = run("match", "Командир Вагнера в Гао", "--watchlists", str(SHIPPED), "--json")
    assert result.exit_code == 0
    out = json.loads(result.stdout)
    assert out["id"] is None
    assert [(m["entity"], m["alias"], m["start"], m["end"], m["text"]) for m in out["matches"]] == [
        ("wagner", "Вагнер", 9, 16, "Вагнера"),
        ("gao", "Гао", 19, 22, "Гао"),
    ]
    assert out["rules"] == ["wagner-in-mali"] and out["priority"] == 5


def test_match_highlights_and_summarises() -> None:
    result = run("match", "JNIM claimed the attack near Timbuktu.", "-w", str(SHIPPED))
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "JNIM claimed the attack near Timbuktu."
    assert lines[1].startswith("priority 5 · entities: jnim [Jama'at Nusrat al-Islam")
    assert "rules: jnim-attack-claim, jnim-near-gao-or-timbuktu" in lines[1]


def test_match_output_is_terminal_safe() -> None:
    hostile = "\x1b]0;pwned\x07ISIS \x1b[2J in \u202eMali"
    result = run("match", hostile, "-w", str(SHIPPED))
    assert result.exit_code == 0
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout
    assert "ISIS" in result.stdout and "entities: isis" in result.stdout


def test_match_no_match() -> None:
    result = run("match", "Nothing here.", "-w", str(SHIPPED))
    assert result.exit_code == 0
    assert result.stdout.splitlines() == ["Nothing here.", "no match"]


def test_match_file_uses_file_name_as_id(tmp_path: Path) -> None:
    post = tmp_path / "post.txt"
    post.write_text("\ufeffTTP fighters crossed into Chitral.", encoding="utf-8")
    result = run("match", "--file", str(post), "-w", str(SHIPPED), "--json")
    assert result.exit_code == 0
    out = json.loads(result.stdout)
    assert out["id"] == str(post)
    assert [m["entity"] for m in out["matches"]] == ["ttp", "chitral"]
    assert out["rules"] == ["ttp-in-chitral"]


def test_match_jsonl_one_line_per_input_and_bad_lines(tmp_path: Path) -> None:
    posts = tmp_path / "posts.jsonl"
    posts.write_text(
        '{"id": "a1", "text": "وأعلن داعش مسؤوليته"}\n'
        "not json\n"
        "\n"
        '{"id": 7, "text": "Nothing"}\n'
        '{"id": "x", "body": "no text field"}\n',
        encoding="utf-8",
    )
    result = run("match", "--jsonl", str(posts), "-w", str(SHIPPED), "--json")
    assert result.exit_code == 2
    outputs = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(o["id"], o["priority"]) for o in outputs] == [("a1", 5), (7, 0)]
    assert outputs[0]["rules"] == ["isis-attack-claim"]
    assert f"{posts}:2: not JSON" in result.stderr
    assert f'{posts}:5: expected an object with a string "text"' in result.stderr


def test_match_jsonl_from_stdin() -> None:
    result = run(
        "match", "--jsonl", "-", "-w", str(SHIPPED), "--json",
        stdin='{"id": "s", "text": "Hekmatyar"}\n',
    )  # fmt: skip
    assert result.exit_code == 0
    assert json.loads(result.stdout)["matches"][0]["entity"] == "gulbuddin-hekmatyar"


def test_match_bad_input_exits_2(tmp_path: Path) -> None:
    assert run("match", "-w", str(SHIPPED)).exit_code == 2
    assert run("match", "text", "--file", "x", "-w", str(SHIPPED)).exit_code == 2
    binary = tmp_path / "bad.txt"
    binary.write_bytes(b"\xff\xfe ISIS")
    result = run("match", "--file", str(binary), "-w", str(SHIPPED))
    assert result.exit_code == 2 and "not UTF-8" in result.stderr
    missing = run("match", "--file", str(tmp_path / "nope.txt"), "-w", str(SHIPPED))
    assert missing.exit_code == 2 and "cannot read" in missing.stderr


def test_match_with_invalid_watchlists_exits_2(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text('[[entities]]\nid = "x"\naliases = ["IS"]\n')
    result = run("match", "ISIS", "-w", str(tmp_path))
    assert result.exit_code == 2
    assert f"{tmp_path / 'bad.toml'}:3: entity 'x': alias 'IS'" in result.stderr
    assert run("match", "ISIS", "-w", str(tmp_path / "none")).exit_code == 2


def test_watchlists_dir_defaults_to_setting(tmp_path: Path) -> None:
    (tmp_path / "t.toml").write_text('[[entities]]\nid = "xanadu"\nname = "Xanadu"\n')
    env = {"SOURCEWATCH_WATCHLISTS_DIR": str(tmp_path)}
    result = run("match", "Welcome to Xanadu", "--json", env=env)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["matches"][0]["entity"] == "xanadu"


def test_check_shipped_watchlists_pass() -> None:
    result = run("watchlists", "check", "--watchlists", str(SHIPPED), "--json")
    assert result.exit_code == 0
    out = json.loads(result.stdout)
    assert out["ok"] is True and out["errors"] == [] and out["files"] == 5
    assert out["entities"] >= 40 and out["rules"] >= 12


def test_check_reports_every_error_with_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text(
        'area = "x"\n\n[[entities]]\nid = "one"\naliases = ["the"]\n\n'
        '[[rules]]\nid = "r"\nquery = "one AND two"\n'
    )
    (tmp_path / "b.toml").write_text('[[entities]]\nid = "one"\n')
    result = run("watchlists", "check", "-w", str(tmp_path))
    assert result.exit_code == 1
    errors = [line for line in result.stdout.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: {tmp_path / 'a.toml'}:5: entity 'one': alias 'the' is a common word and "
        "would match almost everything",
        f"error: {tmp_path / 'b.toml'}:2: duplicate entity id 'one' (first at "
        f"{tmp_path / 'a.toml'}:4)",
        f"error: {tmp_path / 'a.toml'}:9: rule 'r': unknown entity id 'two'",
    ]
    assert result.stdout.splitlines()[-1].endswith("3 error(s)")


def test_check_missing_directory_exits_2(tmp_path: Path) -> None:
    result = run("watchlists", "check", "-w", str(tmp_path / "absent"))
    assert result.exit_code == 2


def test_match_rejects_oversized_and_mis_encoded_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sourcewatch.matching.inputs as inputs

    monkeypatch.setattr(inputs, "MAX_TEXT_BYTES", 100)
    big = tmp_path / "big.txt"
    big.write_text("ISIS " * 100)
    result = run("match", "--file", str(big), "-w", str(SHIPPED))
    assert result.exit_code == 2 and "larger than" in result.stderr

    posts = tmp_path / "posts.jsonl"
    posts.write_bytes(
        b'{"id": 1, "text": "\xd0\x92\xd0\xb0\xd0\xb3\xd0\xbd\xd0\xb5\xd1\x80"}\n'  # Вагнер
        b'{"id": 2, "text": "\xff\xfe"}\n'
        b'{"id": 3, "text": "' + b"x" * 200 + b'"}\n'
        b'{"id": 4, "text": "trunc'
    )
    result = run("match", "--jsonl", str(posts), "-w", str(SHIPPED), "--json")
    assert result.exit_code == 2
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == [1]
    assert f"{posts}:2: not UTF-8" in result.stderr
    assert f"{posts}:3: line larger than" in result.stderr
    assert f"{posts}:4: not JSON" in result.stderr


def test_match_explain_says_why_and_why_not() -> None:
    text = "Бойцы ЧВК «Вагнер» и вагнеровцы у Бахмута; https://t.me/sahel_ar_watch"
    result = run("match", text, "-w", str(SHIPPED), "--explain")
    assert result.exit_code == 0
    out = result.stdout
    assert "match wagner: alias 'ЧВК Вагнер' as 'ЧВК «Вагнер»'" in out
    assert "Russian case ending or derivation ending 'овцы'" in out
    assert "dropped sahel: alias 'Sahel' as 'sahel'" in out
    assert "inside a URL or @handle" in out
    # A rule that did not fire, with the operand that was false.
    assert "rule wagner-in-mali: did not fire" in out
    assert "(mali OR gao OR timbuktu): false" in out


def test_match_explain_json_near_distance() -> None:
    text = "JNIM a revendiqué une embuscade hier soir près de Gao"
    result = run("match", text, "-w", str(SHIPPED), "--explain", "--json")
    assert result.exit_code == 0
    explain = json.loads(result.stdout)["explain"]
    rules = {r["rule"]: r for r in explain["rules"]}
    near = rules["jnim-near-gao-or-timbuktu"]
    assert near["fired"] is True
    assert "closest pair 8 word(s) apart, at most 15 allowed" in near["operands"][0]
    (jnim,) = [m for m in explain["mentions"] if m["entity"] == "jnim"]
    assert jnim["kept"] and jnim["normalization"] == ["case folded"]
    assert rules["jnim-attack-claim"]["fired"] is True  # revendiqué: agreement of the keyword
