"""A handler table for worker process tests: `ping` blocks while `$GHAPP_TEST_DIR/block` exists and writes
what happened to files in that folder (started-<pid> when it begins, a line in `completed` when it ends)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from ghapp.runtime.jobs import Handler, JobContext


async def block_while_flagged(ctx: JobContext) -> None:
    folder = Path(os.environ["GHAPP_TEST_DIR"])
    (folder / f"started-{os.getpid()}").write_text(ctx.delivery.delivery_id)
    while (folder / "block").exists():
        await asyncio.sleep(0.05)
    with (folder / "completed").open("a") as log:
        log.write(ctx.delivery.delivery_id + "\n")


HANDLERS: dict[tuple[str, str] | str, Handler] = {"ping": block_while_flagged}
