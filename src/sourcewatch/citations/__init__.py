"""Citations: snapshot every URL a report cites, so the citation still stands later.

Modules: :mod:`.urlread` (refang, split, canonicalize URLs in footnote text),
:mod:`.footnotes` (footnotes of .txt/.md/.html/.docx reports), :mod:`.platforms`
(how a t.me post, an X post, a jihadology.net post or a page is captured),
:mod:`.snapshot` (capture one URL and archive it), :mod:`.batch` (many at once),
:mod:`.cite` (a whole report), :mod:`.manifest` (JSON and Markdown),
:mod:`.recheck` (what changed since), :mod:`.store` (the ``citation`` rows),
:mod:`.walls` (login walls, challenges, geoblocks served with 200), :mod:`.privatelinks`
(``t.me/c/`` links), :mod:`.retry` (the retry queue of unreachable URLs).

Imports are lazy so that the daemon's hook lookup and the CLI stay cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sourcewatch.citations.recheck import RecheckReport
    from sourcewatch.net import Http
    from sourcewatch.workspace import Workspace


async def recheck_cited_urls(ws: Workspace, http: Http) -> RecheckReport:
    """Re-check every cited URL (the daemon's weekly job); see :mod:`.recheck`."""
    from sourcewatch.citations.recheck import recheck_cited_urls as run

    return await run(ws, http)
