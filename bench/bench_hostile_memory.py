"""Memory under hostile load: a real ``sourcewatch run`` against 25 hostile sources.

A loopback asyncio server (another process) answers each source with one kind of abuse,
at the size caps the daemon enforces by default (``[net] max_body_bytes`` 20 MiB on the
wire, ``max_decompressed_bytes`` 50 MiB):

- ``huge``: an RSS feed of one item whose description fills the wire cap;
- ``many``: an RSS feed of tiny items up to the wire cap (about 440,000 entries);
- ``bomb``: gzip that inflates to 1 GB (Content-Encoding: gzip), a few hundred kB sent;
- ``deep``: elements nested 500,000 deep;
- ``laughs``: the billion-laughs entity expansion (XXE);
- ``slow``: slowloris, one byte of a feed every 0.5 s;
- ``over``: a body over the wire cap (cut off by the client);
- ``page``: a 20 MiB HTML page (``web`` kind: article extraction).

Every source is due every few seconds for ``--seconds``; the peak RSS (VmHWM) of the
daemon and of each helper process (parse workers) is read from /proc at the end, and the
whole process tree's current RSS is sampled every second (the sum at any one moment is
what the machine must hold). Results: bench/results/hostile-memory.md.

Usage: python bench/bench_hostile_memory.py [--seconds 180] [--sources 25] [--src DIR]

``--src DIR`` runs the daemon from another ``src/`` (e.g. ``git archive main`` unpacked in
a temp dir), for a baseline interleaved with the runs of this tree.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MiB = 1024 * 1024
WIRE_CAP = 20 * MiB
KINDS = ["huge", "many", "bomb", "deep", "laughs", "slow", "over", "page"]


def _items_up_to(size: int) -> bytes:
    """Tiny RSS items filling ``size`` bytes. (Counted at 45 bytes each, as before
    2026-12-05, they came to 22,254,187 bytes: over the wire cap, so every ``many`` poll
    was refused at its Content-Length and never parsed.)"""
    items, total, n = [], 0, 0
    while True:
        item = b"<item><guid>%d</guid><title>x</title></item>" % n
        if total + len(item) > size:
            return b"".join(items)
        items.append(item)
        total += len(item)
        n += 1


def bodies() -> dict[str, tuple[bytes, dict[str, str]]]:
    """Each hostile answer, built once: (body, extra headers)."""
    rss = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
    huge_text = b"word " * ((WIRE_CAP - 4096) // 5)
    huge = rss + b"<item><guid>h</guid><title>h</title><description>" + huge_text
    huge += b"</description></item></channel></rss>"
    many = rss + _items_up_to(WIRE_CAP - 4096 - len(rss)) + b"</channel></rss>"
    bomb = gzip.compress(b"<rss>" + b"\0" * (1024 * MiB), compresslevel=9)
    deep = b'<?xml version="1.0"?><rss>' + b"<a>" * 500_000 + b"</a>" * 500_000 + b"</rss>"
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(
            b'<!ENTITY lol%d "%s">' % (n, (b"&lol%d;" % (n - 1) if n > 1 else b"&lol;") * 10)
            for n in range(1, 10)
        )
        + b']><rss version="2.0"><channel><item><title>&lol9;</title></item></channel></rss>'
    )
    page = b"<html><body>" + b"<p>" + b"text " * ((WIRE_CAP - 4096) // 5) + b"</p></body></html>"
    return {
        "huge": (huge, {"Content-Type": "application/rss+xml"}),
        "many": (many, {"Content-Type": "application/rss+xml"}),
        "bomb": (bomb, {"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"}),
        "deep": (deep, {"Content-Type": "application/rss+xml"}),
        "laughs": (laughs, {"Content-Type": "application/rss+xml"}),
        "slow": (huge[:4096], {"Content-Type": "application/rss+xml"}),
        "over": (b"x" * (WIRE_CAP + MiB), {"Content-Type": "application/rss+xml"}),
        "page": (page, {"Content-Type": "text/html"}),
    }


async def _serve(port: int) -> None:
    answers = bodies()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            kind = head.split(b" ", 2)[1].decode().rsplit("/", 1)[-1].rstrip("0123456789")
            body, headers = answers.get(kind, (b"", {}))
            lines = ["HTTP/1.1 200 OK", f"Content-Length: {len(body)}", "Connection: close"]
            lines += [f"{k}: {v}" for k, v in headers.items()]
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
            if kind == "slow":
                for byte in body:
                    writer.write(bytes([byte]))
                    await writer.drain()
                    await asyncio.sleep(0.5)
            else:
                writer.write(body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=256)
    await server.serve_forever()


def serve(port: int) -> None:
    asyncio.run(_serve(port))


def process_tree(pid: int) -> list[int]:
    tree = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return tree
    for child in children:
        tree += process_tree(int(child))
    return tree


def status_mb(pid: int, field: str) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument("--sources", type=int, default=25)
    parser.add_argument("--kinds", default=",".join(KINDS), help="which abuses, comma-separated")
    parser.add_argument(
        "--baseline",
        action="store_true",
        help="without the parse byte budget and worker recycling (as before issue 19's fixes)",
    )
    parser.add_argument(
        "--src", help="run the daemon from this src/ directory (an interleaved baseline)"
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        help="KEY=VALUE for the daemon's environment (e.g. MALLOC_ARENA_MAX=2); repeatable",
    )
    parser.add_argument("--log", help="copy the daemon's log (level INFO) to this file")
    parser.add_argument("--budget-mib", type=int, help="[scheduler] parse_budget_bytes, in MiB")
    parser.add_argument(
        "--max-text-chars", type=int, help="max_item_text_chars (default 1,000,000; at most 8 M)"
    )
    args = parser.parse_args()
    kinds = args.kinds.split(",")
    port = 19080 + os.getpid() % 1000
    server = mp.Process(target=serve, args=(port,), daemon=True)
    server.start()
    time.sleep(1.0)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        blocks = []
        for i in range(args.sources):
            kind = kinds[i % len(kinds)]
            source_kind = "web" if kind == "page" else "feed"
            blocks.append(
                f'[[sources]]\nname = "{kind}{i:02d}"\nkind = "{source_kind}"\n'
                f'target = "http://127.0.0.1:{port}/{kind}{i:02d}"\ninterval = "5s"\n'
                "[sources.options]\n"
                + ("fetch_articles = false\n" if source_kind == "feed" else "")
            )
        (work / "sources.toml").write_text("\n".join(blocks))
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("SOURCEWATCH_")},
            "SOURCEWATCH_DATA_DIR": str(work / "data"),
            "SOURCEWATCH_SOURCES_FILE": str(work / "sources.toml"),
            "SOURCEWATCH_LOG_LEVEL": "INFO" if args.log else "WARNING",
            "SOURCEWATCH_NET__PER_HOST_INTERVAL": "0",
            "SOURCEWATCH_NET__PER_HOST_CONCURRENCY": "25",
            "SOURCEWATCH_NET__ALLOW_PRIVATE_ADDRESSES": "true",
            "SOURCEWATCH_NET__RETRIES": "0",
            "SOURCEWATCH_SCHEDULER__TICK_SECONDS": "0.5",
        }
        env.update(dict(pair.split("=", 1) for pair in args.env))
        if args.src:
            env["PYTHONPATH"] = str(Path(args.src).resolve())
        if args.budget_mib:
            env["SOURCEWATCH_SCHEDULER__PARSE_BUDGET_BYTES"] = str(args.budget_mib * 2**20)
        if args.max_text_chars:
            env["SOURCEWATCH_MAX_ITEM_TEXT_CHARS"] = str(args.max_text_chars)
        if args.baseline:
            env["SOURCEWATCH_SCHEDULER__PARSE_BUDGET_BYTES"] = str(2**50)
            env["SOURCEWATCH_SCHEDULER__PARSE_RECYCLE_BYTES"] = "0"
        command = [sys.executable, "-m", "sourcewatch"]
        subprocess.run([*command, "init"], env=env, cwd=work, check=True, capture_output=True)
        with open(work / "daemon.log", "w") as log:
            daemon = subprocess.Popen([*command, "run"], env=env, cwd=work, stderr=log)
            peak_sum = helpers_now = 0.0
            try:
                deadline = time.monotonic() + args.seconds
                while time.monotonic() < deadline and daemon.poll() is None:
                    tree = process_tree(daemon.pid)
                    rss = [status_mb(p, "VmRSS") for p in tree]
                    peak_sum = max(peak_sum, sum(rss))
                    helpers_now = max(helpers_now, sum(rss[1:]))
                    time.sleep(1.0)
                tree = process_tree(daemon.pid)
                daemon_peak = status_mb(daemon.pid, "VmHWM")
                helper_peaks = [status_mb(p, "VmHWM") for p in tree[1:]]
            finally:
                daemon.send_signal(signal.SIGTERM)
                try:
                    code: int | str = daemon.wait(120)
                except subprocess.TimeoutExpired:  # a worker deep in a hostile parse
                    for pid in reversed(process_tree(daemon.pid)):
                        os.kill(pid, signal.SIGKILL)
                    code = "killed (still running 120 s after SIGTERM)"
                    daemon.wait()
                server.terminate()
        errors = (work / "daemon.log").read_text().count('"level": "error"')
        if args.log:
            Path(args.log).write_text((work / "daemon.log").read_text())
    variant = "baseline (no budget, no recycling)" if args.baseline else "budget + recycling"
    if args.budget_mib and not args.baseline:
        variant += f" (budget {args.budget_mib} MiB)"
    variant += f", texts cut at {args.max_text_chars or 1_000_000:,} characters"
    variant += f", code from {args.src or 'this tree'}"
    if args.env:
        variant += f", {' '.join(args.env)}"
    print(f"setup            {args.sources} hostile sources ({args.kinds}), {args.seconds:.0f} s")
    print(f"variant          {variant}")
    print(f"daemon peak      {daemon_peak:.0f} MB (VmHWM)")
    print(f"helpers peak     {' + '.join(f'{p:.0f}' for p in helper_peaks)} MB (VmHWM each)")
    print(f"sum of peaks     {daemon_peak + sum(helper_peaks):.0f} MB (target < 300)")
    print(f"helpers sampled  {helpers_now:.0f} MB (largest sum of helpers' current RSS)")
    print(f"tree at once     {peak_sum:.0f} MB (largest sum of current RSS, sampled each second)")
    print(f"daemon exit      {code}; {errors} error lines in its log")
    print(f"load average     {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")


if __name__ == "__main__":
    main()
