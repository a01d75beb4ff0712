"""A local stand-in for X's API v2 and syndication endpoints, on pytest-httpserver.

It serves the recorded posts in tests/fixtures/x (see SOURCES.md) the way X
does: newest first, ``since_id`` honoured, pages of ``max_results`` joined by
opaque ``next_token``s, ``x-rate-limit-*`` headers on every answer. Tests
change its state (post, edit, delete) between polls, and queue one-off
answers (429, 401, a broken body) with :meth:`FakeX.fail_next`.
"""

from __future__ import annotations

import base64
import gzip
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import SecretStr
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from sourcewatch.collectors.x.syndication_token import syndication_token
from sourcewatch.config import MediaSettings, NetSettings, Settings, XSettings
from sourcewatch.text.urls import x_status_id

FIXTURES = Path(__file__).parent / "fixtures" / "x"
TOKEN = "test-bearer-AAAA%2Fsecret"


def cassette_response(name: str) -> tuple[bytes, dict[str, str]]:
    """The decoded (gunzipped) body and the headers of a recorded VCR cassette."""
    document = yaml.safe_load((FIXTURES / name).read_text(encoding="utf-8"))
    response = document["interactions"][0]["response"]
    body = response["body"]["string"]
    if isinstance(body, str):  # a cassette may store the base64 text instead of !!binary
        body = base64.b64decode(body)
    headers = {key: values[0] for key, values in response["headers"].items()}
    if headers.get("content-encoding") == "gzip":
        body = gzip.decompress(body)
        headers.pop("content-encoding")
        headers.pop("content-length", None)
    return body, headers


def recorded_json(name: str) -> Any:
    if name.endswith(".yaml"):
        return json.loads(cassette_response(name)[0])
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@dataclass
class FakeX:
    server: HTTPServer
    username: str = "XDevelopers"
    user_id: str = "2244994945"
    posts: list[dict[str, Any]] = field(default_factory=list)  # newest last
    includes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    rate_remaining: int = 1500
    rate_reset: int = field(default_factory=lambda: int(time.time()) + 900)
    deleted: set[str] = field(default_factory=set)
    tombstone_404: set[str] = field(default_factory=set)
    syndication: dict[str, dict[str, Any]] = field(default_factory=dict)
    oembed: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    queued: list[Response] = field(default_factory=list)

    def install(self) -> FakeX:
        self.server.expect_request("/2/users/by/username/" + self.username).respond_with_handler(
            self._user
        )
        self.server.expect_request(f"/2/users/{self.user_id}/tweets").respond_with_handler(
            self._page
        )
        self.server.expect_request("/2/tweets/search/recent").respond_with_handler(self._page)
        self.server.expect_request("/tweet-result").respond_with_handler(self._tweet_result)
        self.server.expect_request("/oembed").respond_with_handler(self._oembed)
        return self

    @property
    def base_url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def api_requests(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    # -- changing the world between polls ------------------------------------------

    def post(self, post_id: str, text: str, **fields: Any) -> dict[str, Any]:
        tweet = {"id": post_id, "text": text, "edit_history_tweet_ids": [post_id], **fields}
        self.posts.append(tweet)
        return tweet

    def edit(self, original_id: str, new_id: str, new_text: str, **fields: Any) -> None:
        """X publishes an edit under a new id; the timeline shows only the newest version."""
        tweet = next(p for p in self.posts if p["edit_history_tweet_ids"][0] == original_id)
        self.posts.remove(tweet)
        history = [*tweet["edit_history_tweet_ids"], new_id]
        edited = {**tweet, "id": new_id, "text": new_text, "edit_history_tweet_ids": history}
        self.posts.append({**edited, **fields})

    def fail_next(self, status: int, body: bytes | str = b"", **headers: str) -> None:
        self.queued.append(Response(body, status=status, headers=headers))

    # -- handlers ---------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        return {
            "content-type": "application/json; charset=utf-8",
            "x-rate-limit-limit": "1500",
            "x-rate-limit-remaining": str(self.rate_remaining),
            "x-rate-limit-reset": str(self.rate_reset),
        }

    def _json(self, payload: Any, status: int = 200) -> Response:
        return Response(json.dumps(payload), status=status, headers=self._headers())

    def _take_queued(self, request: Request) -> Response | None:
        self.requests.append(request)
        return self.queued.pop(0) if self.queued else None

    def _user(self, request: Request) -> Response:
        queued = self._take_queued(request)
        if queued is not None:
            return queued
        self.rate_remaining = max(0, self.rate_remaining - 1)
        return self._json(
            {"data": {"id": self.user_id, "name": "Developers", "username": self.username}}
        )

    def _page(self, request: Request) -> Response:
        queued = self._take_queued(request)
        if queued is not None:
            return queued
        self.rate_remaining = max(0, self.rate_remaining - 1)
        since_id = int(request.args.get("since_id", "0"))
        size = int(request.args["max_results"])
        token = request.args.get("pagination_token") or request.args.get("next_token")
        start = int(token.removeprefix("page-")) if token else 0
        newest_first = sorted(
            (p for p in self.posts if int(p["id"]) > since_id), key=lambda p: -int(p["id"])
        )
        page = newest_first[start : start + size]
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta.update(newest_id=page[0]["id"], oldest_id=page[-1]["id"])
        if start + size < len(newest_first):
            meta["next_token"] = f"page-{start + size}"
        payload: dict[str, Any] = {"meta": meta}
        if page:
            payload["data"] = page
            payload["includes"] = self.includes
        return self._json(payload)

    def _tweet_result(self, request: Request) -> Response:
        queued = self._take_queued(request)
        if queued is not None:
            return queued
        post_id = request.args["id"]
        if request.args.get("token") != syndication_token(post_id):
            return Response("bad token", status=400)  # X checks it; so do we
        if post_id in self.tombstone_404:
            return Response(b"", status=404)
        if post_id in self.deleted:
            return self._json(
                {
                    "__typename": "TweetTombstone",
                    "tombstone": {"text": {"text": "This Post was deleted by the Post author."}},
                }
            )
        if post_id not in self.syndication:
            return Response(b"", status=404)
        return self._json(self.syndication[post_id])

    def _oembed(self, request: Request) -> Response:
        queued = self._take_queued(request)
        if queued is not None:
            return queued
        post_id = x_status_id(request.args.get("url", ""))
        if post_id is None or post_id not in self.oembed:
            return Response(b"", status=404)
        return self._json(self.oembed[post_id])


def make_settings(
    fake: FakeX, *, token: str | None = TOKEN, net: dict[str, Any] | None = None, **x: Any
) -> Settings:
    """Settings pointing every X endpoint at the fake; no retries, no spacing."""
    net_settings = {"per_host_interval": 0.0, "retries": 0, "allow_private_addresses": True}
    return Settings(
        net=NetSettings(**{**net_settings, **(net or {})}),
        media=MediaSettings(max_bytes=x.pop("media_max_bytes", 1024 * 1024)),
        x=XSettings(
            api_base_url=fake.base_url,
            syndication_base_url=fake.base_url,
            oembed_base_url=fake.base_url,
            bearer_token=SecretStr(token) if token else None,
            **x,
        ),
    )
