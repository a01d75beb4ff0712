"""Long output through ``$PAGER`` when a person reads it on a terminal.

``show`` of a long article scrolled its facts and highlights off the screen. When
stdout is a terminal and the rendered output has more lines than the screen,
it goes to ``$PAGER`` (default ``less``), with ``LESS=FRX`` when ``LESS`` is unset
(as git does: colours kept, one screen of output left on the terminal). Piped or
short output is printed as before. A pager that cannot be started is not an error:
the output is printed instead.
"""

from __future__ import annotations

import os
import shlex
import subprocess

from rich.console import Console, RenderableType


def print_paged(console: Console, renderable: RenderableType) -> None:
    """Print ``renderable``; through the pager when on a terminal and taller than it."""
    if not console.is_terminal:
        console.print(renderable)
        return
    with console.capture() as capture:
        console.print(renderable)
    rendered = capture.get()
    if rendered.count("\n") < console.size.height or not _page(rendered):
        console.file.write(rendered)
        console.file.flush()


def _page(rendered: str) -> bool:
    """Run the pager on ``rendered``; False when there is none to run."""
    command = shlex.split(os.environ.get("PAGER") or "less")
    if not command or command[0] in ("cat", ""):
        return False
    env = dict(os.environ)
    env.setdefault("LESS", "FRX")
    try:
        with subprocess.Popen(command, stdin=subprocess.PIPE, env=env) as pager:
            assert pager.stdin is not None
            try:
                pager.stdin.write(rendered.encode("utf-8", "replace"))
                pager.stdin.close()
            except BrokenPipeError:  # the reader quit the pager early: fine
                pass
            pager.wait()
    except FileNotFoundError:
        return False
    return True
