"""A file-size limit (and, by the same path, a full disk or a read-only data dir) is a
clean error with exit 74 from the real command line, not a traceback (issue 19)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sourcewatch.cli.common import EXIT_STORAGE

LIMITED = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
sys.argv = ["sourcewatch", *sys.argv[2:]]
from sourcewatch.cli import main
main()
"""


@pytest.mark.slow
def test_an_import_over_the_file_size_limit_is_a_clean_error(tmp_path: Path) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text('[[sources]]\nname = "amaq"\nkind = "telegram"\ntarget = "amaq_news"\n')
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SOURCEWATCH_")},
        "SOURCEWATCH_DATA_DIR": str(tmp_path / "data"),
        "SOURCEWATCH_SOURCES_FILE": str(sources),
    }
    run = [sys.executable, "-c", LIMITED]
    assert subprocess.run([*run, "-1", "init"], env=env, cwd=tmp_path).returncode == 0
    big = tmp_path / "big.jsonl"
    big.write_text(
        "\n".join(json.dumps({"external_id": str(n), "text": "x" * 500}) for n in range(2000))
    )
    result = subprocess.run(
        [*run, str(512 * 1024), "import", str(big), "--source", "amaq"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == EXIT_STORAGE, result.stderr
    assert "file-size limit" in result.stderr and "Traceback" not in result.stderr
