"""What the tools beside Python cost on a mixed pull request: 20 changed files (JavaScript/TypeScript, shell,
workflows, lock files of several ecosystems, a few Python files), each added tool run through `run_all` as the
App runs it (sandboxed when bwrap works here), against the local OSV test server.

    .venv/bin/python bench/polyglot_tools.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ghapp.runners import RunContext, run_all, sandbox  # noqa: E402
from ghapp.runners.osv_audit import OsvAudit  # noqa: E402
from ghapp.runners.oxlint import Oxlint  # noqa: E402
from ghapp.runners.secrets import Secrets  # noqa: E402
from ghapp.runners.shellcheck import Shellcheck  # noqa: E402
from ghapp.runners.zizmor import Zizmor  # noqa: E402
from tests.e2e.test_polyglot_flow import API_JS, DEPLOY_SH, WORKFLOW, lock_files  # noqa: E402
from tests.osv_server import serve  # noqa: E402

TS = """export function total(items: { price: number }[]): number {
  let sum = 0;
  for (const item of items) { sum += item.price; }
  return sum;
}
"""


def pull_request(root: Path) -> list[str]:
    files = {f"web/api{i}.js": API_JS for i in range(3)} | {f"web/cart{i}.ts": TS for i in range(3)}
    files |= {f"scripts/deploy{i}.sh": DEPLOY_SH for i in range(2)} | {".github/workflows/preview.yml": WORKFLOW}
    files |= lock_files(fixed=False) | {
        "app/models.py": "VALUE = 1\n",
        "app/views.py": "def view() -> int:\n    return 1\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return sorted(files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    runners = [Oxlint(), Shellcheck(), Zizmor(), Secrets(), OsvAudit()]
    box = sandbox.resolve("auto")
    per_tool: dict[str, list[float]] = {r.name: [] for r in runners}
    walls: list[float] = []
    with serve() as (osv, _):
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as tmp:
                root = Path(tmp) / "head"
                files = pull_request(root)
                ctx = RunContext(root=root, scratch=Path(tmp) / "scratch", osv_url=f"{osv}/v1/query", sandbox=box)
                started = time.perf_counter()
                reports = asyncio.run(run_all(runners, ctx, files, timeout_s=300, concurrency=2))
                walls.append(time.perf_counter() - started)
                for report in reports:
                    assert report.status == "ok", (report.tool, report.error)
                    per_tool[report.tool].append(report.duration_s)
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}",
        "python": platform.python_version(),
        "sandbox": bool(box),
        "files": len(files),
        "repeat": args.repeat,
        "wall_s_median": round(statistics.median(walls), 2),
        "tool_s_median": {name: round(statistics.median(times), 2) for name, times in per_tool.items()},
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
