"""Bytes from our archive: archived pages (inert, see ``archived``), their captured
images, stylesheets and fonts, media, and WACZ evidence bundles.

Nothing here fetches anything: what we did not capture is a 404 "missing". Media is
served with its SHA-256 in a header, the content type it was captured with when that
type is safe to show inline, and as a download (``application/octet-stream``,
``Content-Disposition: attachment``) otherwise; never as HTML, never sniffed.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from sourcewatch.evidence.gather import EvidenceError
from sourcewatch.store.captures import capture_by_id, capture_by_sha256, latest_for_url
from sourcewatch.store.db import read_connection
from sourcewatch.store.objects import ObjectMissing, ObjectNotRegular, is_sha256
from sourcewatch.web.archived import SAFE_RESOURCE_TYPES, frame_csp, lookup_keys, rewrite
from sourcewatch.web.guard import require
from sourcewatch.web.render import render

INLINE_MEDIA = {
    "image/jpeg", "image/png", "image/gif", "image/webp", "image/avif",
    "video/mp4", "video/webm", "video/ogg", "audio/mpeg", "audio/ogg", "audio/mp4",
    "audio/aac", "audio/wav", "audio/webm",
}  # fmt: skip
MEDIA_CSP = "default-src 'none'; img-src 'self'; media-src 'self'; sandbox"


def _missing(what: str) -> Response:
    return Response(
        f"missing: {what} is not in our archive (nothing is fetched live)\n",
        status_code=404,
        media_type="text/plain",
        headers={"Content-Security-Policy": "default-src 'none'; sandbox"},
    )


def _origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def archive_page(request: Request) -> Response:
    """/archive/{capture_id}: our page around the sandboxed frame, with hash and time."""
    require(request)
    capture_id = request.path_params["capture_id"]
    with read_connection(request.app.state.ws.engine) as conn:
        capture = capture_by_id(conn, capture_id)
    if capture is None:
        return render(request, "error.html", {"message": f"no capture {capture_id}"}, status=404)
    context = {"capture": capture, "frame": request.app.state.signer.page_link(capture_id)}
    return render(request, "archive.html", context)


def archived(request: Request) -> Response:
    """/archived/{capture_id}?t=...: the capture, rewritten inert, under a sandbox CSP."""
    capture_id = request.path_params["capture_id"]
    signer = request.app.state.signer
    if not signer.valid(f"page:{capture_id}", request.query_params.get("t")):
        return _missing(f"capture {capture_id}")
    ws = request.app.state.ws
    with read_connection(ws.engine) as conn:
        capture = capture_by_id(conn, capture_id)
    if capture is None:
        return _missing(f"capture {capture_id}")
    media_type = (capture.media_type or "").split(";")[0].strip().lower()
    if media_type not in ("text/html", "application/xhtml+xml"):
        return _missing(f"an HTML page in capture {capture_id} (it is {media_type or 'untyped'})")
    try:
        body = ws.objects.read(capture.sha256)
    except (ObjectMissing, ObjectNotRegular):
        return _missing(f"the bytes of capture {capture_id}")
    return Response(
        rewrite(body, capture.url, signer),
        media_type="text/html; charset=utf-8",
        headers={
            "Content-Security-Policy": frame_csp(_origin(request)),
            "X-Frame-Options": "SAMEORIGIN",
            "X-Archived-SHA256": capture.sha256,
        },
    )


def archived_resource(request: Request) -> Response:
    """/archived/res?u=URL&t=...: an image, stylesheet or font we captured from URL."""
    url = request.query_params.get("u", "")
    if not url or not request.app.state.signer.valid(f"res:{url}", request.query_params.get("t")):
        return _missing("this resource")
    ws = request.app.state.ws
    with read_connection(ws.engine) as conn:
        capture = latest_for_url(conn, lookup_keys(url))
    media_type = (capture.media_type or "").split(";")[0].strip().lower() if capture else ""
    if capture is None or media_type not in SAFE_RESOURCE_TYPES:
        return _missing(url[:200])
    try:
        body = ws.objects.read(capture.sha256)
    except (ObjectMissing, ObjectNotRegular):
        return _missing(url[:200])
    return Response(
        body,
        media_type=media_type,
        headers={
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "X-Archived-SHA256": capture.sha256,
            "Cache-Control": "private, max-age=3600",
            # The frame that asks has an opaque origin (sandbox without
            # allow-same-origin): same-origin would block it. The link's HMAC guards it.
            "Cross-Origin-Resource-Policy": "cross-origin",
        },
    )


def media(request: Request) -> Response:
    """/media/{sha256}: bytes we archived, by hash, never as HTML."""
    require(request)
    sha256 = request.path_params["sha256"]
    if not is_sha256(sha256):
        return _missing("this object")
    ws = request.app.state.ws
    with read_connection(ws.engine) as conn:
        capture = capture_by_sha256(conn, sha256)
    if capture is None:
        return _missing(f"object {sha256}")
    try:
        body = ws.objects.read(sha256)
    except (ObjectMissing, ObjectNotRegular):
        return _missing(f"object {sha256}")
    declared = (capture.media_type or "").split(";")[0].strip().lower()
    headers = {"Content-Security-Policy": MEDIA_CSP, "X-Archived-SHA256": sha256}
    if declared in INLINE_MEDIA:
        media_type = declared
    else:
        media_type = "application/octet-stream"
        headers["Content-Disposition"] = f'attachment; filename="{sha256}.bin"'
    return Response(body, media_type=media_type, headers=headers)


def evidence_bundle(request: Request) -> Response:
    """/items/{item_id}/evidence.wacz: the item's WACZ bundle, built by ``evidence``."""
    require(request)
    item_id = request.path_params["item_id"]
    from sourcewatch.evidence.bundle import build_bundle

    folder = tempfile.TemporaryDirectory(prefix="sourcewatch-wacz-")
    out = Path(folder.name) / f"item-{item_id}.wacz"
    try:
        build_bundle(request.app.state.ws, [item_id], out)
    except EvidenceError as exc:
        folder.cleanup()
        return render(request, "error.html", {"message": str(exc)}, status=404)
    return FileResponse(
        out,
        media_type="application/wacz",
        filename=f"sourcewatch-item-{item_id}.wacz",
        background=BackgroundTask(folder.cleanup),
    )
