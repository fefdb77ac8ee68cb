"""`GET /healthz` (the process answers) and `GET /readyz` (the database and the queue answer too)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

CHECK_TIMEOUT_S = 3.0


async def _check(probe: Callable[[], None]) -> str:
    try:
        await asyncio.wait_for(asyncio.to_thread(probe), CHECK_TIMEOUT_S)
    except TimeoutError:
        return f"error: no answer within {CHECK_TIMEOUT_S:g} s"
    except Exception as exc:  # any failure means "not ready"; say which kind, not the details (URLs, hosts)
        return f"error: {type(exc).__name__}"
    return "ok"


def routes(checks: dict[str, Callable[[], None]]) -> list[BaseRoute]:
    """Health routes; `checks` maps a dependency name ("database", "queue") to a probe that raises if down."""

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> JSONResponse:
        results = await asyncio.gather(*(_check(probe) for probe in checks.values()))
        body = dict(zip(checks, results, strict=True))
        ready = all(r == "ok" for r in results)
        return JSONResponse({"status": "ok" if ready else "unavailable", **body}, status_code=200 if ready else 503)

    return [Route("/healthz", healthz, methods=["GET"]), Route("/readyz", readyz, methods=["GET"])]
