"""The simulated GitHub as an ASGI app: routing, App-JWT and installation-token auth, rate-limit headers and
buckets, ETags and 304s, fault injection (including dropped connections) and the request log."""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
import re
import secrets
import time
from typing import Any
from urllib.parse import parse_qsl, unquote

import httpx
import jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from tests.ghsim import oauth
from tests.ghsim import routes_app as a
from tests.ghsim import routes_checks as c
from tests.ghsim import routes_graphql as g
from tests.ghsim import routes_repo as r
from tests.ghsim import routes_scanning as cs
from tests.ghsim.context import Ctx, Handler, Reply, SimError
from tests.ghsim.faults import Fault, Faults
from tests.ghsim.state import LoggedRequest, RateBucket, SimState

R = "/repos/{owner}/{repo}"
# (method, path template, handler, auth): "jwt" = the App's JWT, "token" = an installation token.
ROUTES: list[tuple[str, str, Handler, str]] = [
    ("GET", "/app", a.get_app, "jwt"),
    ("GET", "/app/installations", a.list_installations, "jwt"),
    ("GET", "/app/installations/{installation_id}", a.get_installation, "jwt"),
    ("POST", "/app/installations/{installation_id}/access_tokens", a.create_token, "jwt"),
    ("GET", "/app/hook/deliveries", a.list_deliveries, "jwt"),
    ("GET", "/app/hook/deliveries/{delivery_id}", a.get_delivery, "jwt"),
    ("POST", "/app/hook/deliveries/{delivery_id}/attempts", a.redeliver_attempt, "jwt"),
    ("GET", R + "/installation", a.repo_installation, "jwt"),
    ("GET", R, r.get_repo, "token"),
    ("GET", R + "/pulls/{number}", r.get_pull, "token"),
    ("GET", R + "/pulls/{number}/files", r.pull_files, "token"),
    ("GET", R + "/pulls/{number}/commits", r.pull_commits, "token"),
    ("GET", R + "/pulls/{number}/reviews", r.list_reviews, "token"),
    ("POST", R + "/pulls/{number}/reviews", r.create_review, "token"),
    ("PUT", R + "/pulls/{number}/reviews/{review_id}/dismissals", r.dismiss_review, "token"),
    ("GET", R + "/pulls/{number}/requested_reviewers", r.get_requested, "token"),
    ("POST", R + "/pulls/{number}/requested_reviewers", r.request_reviewers, "token"),
    ("DELETE", R + "/pulls/{number}/requested_reviewers", r.remove_requested, "token"),
    ("GET", "/orgs/{org}/teams/{team}/memberships/{username}", r.team_membership, "token"),
    ("GET", R + "/contents", r.get_content, "token"),
    ("GET", R + "/contents/{path+}", r.get_content, "token"),
    ("GET", R + "/git/blobs/{sha}", r.get_blob, "token"),
    ("GET", R + "/tarball", r.get_tarball, "token"),
    ("GET", R + "/tarball/{ref+}", r.get_tarball, "token"),
    ("GET", R + "/compare/{basehead+}", r.compare, "token"),
    ("POST", R + "/check-runs", c.create_check_run, "token"),
    ("GET", R + "/check-runs/{check_run_id}", c.get_check_run, "token"),
    ("PATCH", R + "/check-runs/{check_run_id}", c.update_check_run, "token"),
    ("GET", R + "/check-runs/{check_run_id}/annotations", c.list_annotations, "token"),
    ("GET", R + "/commits/{ref+}/check-runs", c.check_runs_for_ref, "token"),
    ("GET", R + "/commits/{sha}/pulls", r.commit_pulls, "token"),
    ("POST", R + "/labels", c.create_repo_label, "token"),
    ("PATCH", R + "/labels/{name}", c.update_repo_label, "token"),
    ("POST", R + "/issues", c.create_issue, "token"),
    ("GET", R + "/issues/{number}", c.get_issue, "token"),
    ("GET", R + "/issues/{number}/labels", c.list_labels, "token"),
    ("GET", R + "/issues/{number}/events", c.list_issue_events, "token"),
    ("POST", R + "/issues/{number}/labels", c.add_labels, "token"),
    ("DELETE", R + "/issues/{number}/labels/{name}", c.remove_label, "token"),
    ("GET", R + "/issues/{number}/comments", c.list_comments, "token"),
    ("POST", R + "/issues/{number}/comments", c.create_comment, "token"),
    ("POST", R + "/code-scanning/sarifs", cs.upload_sarif, "token"),
    ("GET", R + "/code-scanning/sarifs/{sarif_id}", cs.get_sarif, "token"),
    ("GET", "/_codeload/{owner}/{repo}/legacy.tar.gz/{sha}", r.codeload, "none"),
    ("POST", "/graphql", g.graphql, "token"),
]
GRAPHQL = "/graphql"


def _compile(template: str) -> re.Pattern[str]:
    pattern = re.sub(r"\{(\w+)\+\}", r"(?P<\1>.+)", template)
    pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern)
    return re.compile(pattern + "/?")


COMPILED = [(method, _compile(template), handler, auth) for method, template, handler, auth in ROUTES]
SECONDARY = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you "
    "reach out to GitHub Support for help, please include the request ID."
)


class Simulator:
    """Holds the state, faults and the GitHub Enterprise prefix (`/api/v3`) the routes are served under."""

    def __init__(self, state: SimState, faults: Faults, prefix: str = "") -> None:
        self.state = state
        self.faults = faults
        self.prefix = prefix.rstrip("/")

    def strip(self, raw_path: str) -> str | None:
        if raw_path.startswith("/_codeload/") or not self.prefix:
            return raw_path
        if self.prefix.endswith("/v3") and raw_path == self.prefix[: -len("/v3")] + GRAPHQL:
            return GRAPHQL  # GitHub Enterprise Server: REST under /api/v3, GraphQL at /api/graphql
        return raw_path[len(self.prefix) :] if raw_path.startswith(self.prefix + "/") else None

    # authentication
    def _jwt_identity(self, token: str) -> str:
        try:
            claims = jwt.decode(
                token,
                self.state.public_key_pem,
                algorithms=["RS256"],
                options={"require": ["exp", "iat", "iss"]},
                leeway=30,
            )
        except jwt.ExpiredSignatureError:
            raise SimError(
                401,
                "'Expiration time' claim ('exp') must be a numeric value representing the future "
                "time at which the assertion expires",
            ) from None
        except jwt.PyJWTError:
            raise SimError(401, "A JSON web token could not be decoded") from None
        if str(claims["iss"]) != str(self.state.app_id):
            raise SimError(401, "A JSON web token could not be decoded")
        if claims["exp"] - time.time() > 600 + 30:  # GitHub: at most 10 minutes ahead
            raise SimError(401, "'Expiration time' claim ('exp') is too far in the future")
        return "app"

    def authenticate(self, ctx: Ctx, kind: str) -> str:
        header = ctx.headers.get("authorization", "")
        scheme, _, credential = header.partition(" ")
        if kind == "none":
            return "none"
        if not credential:
            if ctx.path == GRAPHQL:
                raise SimError(401, "This endpoint requires you to be authenticated.")
            raise SimError(401, "Requires authentication")
        if kind == "jwt":
            if scheme.lower() != "bearer":
                raise SimError(401, "A JSON web token could not be decoded")
            return self._jwt_identity(credential)
        token = self.state.tokens.get(credential)
        if scheme.lower() not in ("token", "bearer") or token is None or token.expires_at <= self.state.clock.now():
            raise SimError(401, "Bad credentials")
        ctx.installation = self.state.installations.get(token.installation_id)
        return f"installation:{token.installation_id}"

    # rate limits
    def bucket(self, identity: str, resource: str = "core") -> RateBucket:
        """The identity's bucket for `resource`: REST calls (`core`) or GraphQL points (`graphql`)."""
        now = int(self.state.clock.now().timestamp())
        key = identity if resource == "core" else f"{identity}:{resource}"
        limit = self.state.rate_limit if resource == "core" else self.state.graphql_points
        with self.state.lock:
            bucket = self.state.buckets.get(key)
            if bucket is None or bucket.reset <= now:
                bucket = self.state.buckets[key] = RateBucket(limit, limit, now + 3600, resource)
            return bucket

    @staticmethod
    def rate_headers(bucket: RateBucket) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(bucket.limit),
            "x-ratelimit-remaining": str(bucket.remaining),
            "x-ratelimit-used": str(bucket.limit - bucket.remaining),
            "x-ratelimit-reset": str(bucket.reset),
            "x-ratelimit-resource": bucket.resource,
        }

    def fault_error(self, fault: Fault) -> SimError:
        now = int(self.state.clock.now().timestamp())
        if fault.kind == "5xx":
            message = "Service Unavailable" if fault.status == 503 else "Server Error"
            return SimError(fault.status, message)
        if fault.kind == "primary":
            return SimError(
                403,
                "API rate limit exceeded for installation.",
                headers={
                    "x-ratelimit-limit": str(self.state.rate_limit),
                    "x-ratelimit-remaining": "0",
                    "x-ratelimit-used": str(self.state.rate_limit),
                    "x-ratelimit-reset": str(now + fault.reset_in),
                    "x-ratelimit-resource": "core",
                },
            )
        status = 429 if fault.kind == "429" else 403
        headers = {"retry-after": str(fault.retry_after)} if fault.retry_after is not None else {}
        return SimError(status, SECONDARY, headers=headers)

    async def handle(self, request: Request) -> Response:
        raw_path = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1").split("?")[0]
        path = self.strip(raw_path)
        body_bytes = await request.body()
        query = dict(parse_qsl(request.url.query))
        headers = {k.lower(): v for k, v in request.headers.items()}
        body: Any = None
        root = f"{request.url.scheme}://{request.url.netloc}/"
        ctx = Ctx(
            self.state,
            request.method,
            path or raw_path,
            {},
            query,
            None,
            headers,
            root + (self.prefix.lstrip("/") + "/" if self.prefix else ""),
            root,
        )
        identity = "none"
        bucket: RateBucket | None = None
        try:
            if body_bytes:
                try:
                    body = json.loads(body_bytes)
                except ValueError:
                    body = body_bytes.decode("utf-8", "replace")
                    raise SimError(400, "Problems parsing JSON") from None
            ctx.body = body
            fault: Fault | None = request.scope.get("ghsim.fault")
            if fault is not None:
                raise self.fault_error(fault)
            handler, kind = self.route(ctx, path)
            identity = self.authenticate(ctx, kind)
            if identity != "none":
                bucket = ctx.bucket = self.bucket(identity, "graphql" if ctx.path == GRAPHQL else "core")
                if bucket.remaining <= 0 and bucket.resource == "core":  # GraphQL answers a spent budget itself
                    raise SimError(403, f"API rate limit exceeded for {identity.replace(':', ' ID ')}.")
            result = handler(ctx)
            reply = await result if inspect.isawaitable(result) else result
        except SimError as exc:
            reply = Reply(exc.status, json=exc.body(), headers=exc.headers)
        response = self.finish(ctx, reply, bucket)
        with self.state.lock:
            self.state.log.append(LoggedRequest(request.method, ctx.path, query, body, response.status_code, identity))
        return response

    def route(self, ctx: Ctx, path: str | None) -> tuple[Handler, str]:
        allowed = False
        for method, pattern, handler, kind in COMPILED:
            match = pattern.fullmatch(path) if path is not None else None
            if match:
                allowed = True
                if method == ctx.method:
                    ctx.params = {k: unquote(v) for k, v in match.groupdict().items()}
                    return handler, kind
        raise SimError(404 if not allowed else 405, "Not Found" if not allowed else "Method Not Allowed")

    def finish(self, ctx: Ctx, reply: Reply, bucket: RateBucket | None) -> Response:
        content = (
            reply.content
            if reply.content is not None
            else (
                b""
                if reply.json is None and reply.status in (202, 204, 302) and reply.content is None
                else json.dumps(reply.json).encode()
            )
        )
        headers = {
            "x-github-request-id": secrets.token_hex(8).upper(),
            "x-github-api-version-selected": "2022-11-28",
            **reply.headers,
        }
        status = reply.status
        if ctx.method == "GET" and status == 200 and bucket is not None:
            etag = 'W/"' + hashlib.sha256(content).hexdigest()[:40] + '"'
            headers["etag"] = etag
            wanted = [t.strip() for t in ctx.headers.get("if-none-match", "").split(",")]
            if etag in wanted or etag[2:] in wanted:
                status, content = 304, b""  # a 304 does not count against the rate limit
        if bucket is not None:
            with self.state.lock:
                if status not in (304,) and not (status == 403 and bucket.remaining <= 0):
                    bucket.remaining = max(0, bucket.remaining - reply.cost)
                headers = {**self.rate_headers(bucket), **headers}
        media = None if status == 304 else reply.media_type
        return Response(content, status_code=status, headers=headers, media_type=media)


class DropLayer:
    """Outermost ASGI layer: slow and dropped-connection faults need the server's own connection."""

    def __init__(self, sim: Simulator, inner: Starlette) -> None:
        self.sim = sim
        self.inner = inner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.inner(scope, receive, send)
            return
        raw = scope.get("raw_path", scope["path"].encode()).decode("latin-1").split("?")[0]
        path = self.sim.strip(raw) or raw
        fault = self.sim.faults.take(scope["method"], path)
        if fault is not None and fault.kind == "slow":
            await asyncio.sleep(fault.delay)
        elif fault is not None and fault.kind == "drop":
            with self.sim.state.lock:
                self.sim.state.log.append(LoggedRequest(scope["method"], path, {}, None, 0, "dropped"))
            await self._drop(receive, send)
            return
        elif fault is not None:
            scope = {**scope, "ghsim.fault": fault}
        await self.inner(scope, receive, send)

    @staticmethod
    async def _drop(receive: Receive, send: Send) -> None:
        # uvicorn hands the app a bound method of its request cycle, which holds the socket's transport.
        transport = getattr(getattr(send, "__self__", None), "transport", None)
        if transport is None:  # in-process (httpx.ASGITransport): the client sees what a dropped socket gives
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        transport.close()
        while (await receive())["type"] != "http.disconnect":
            pass


def create_app(state: SimState, faults: Faults, prefix: str = "") -> DropLayer:
    sim = Simulator(state, faults, prefix)
    methods = ["GET", "POST", "PATCH", "PUT", "DELETE"]
    inner = Starlette(routes=[*oauth.routes(state, prefix), Route("/{path:path}", sim.handle, methods=methods)])
    return DropLayer(sim, inner)
