"""GitHub API calls per pull-request event, for a 20-file AI-written PR touching billing, counted by the App's own
call counter while the App (uvicorn, in-process worker) handles signed webhooks from the GitHub simulator.

Run from the repository root:  .venv/bin/python bench/api_calls.py [--real-tools] [--json]
Events: opened, synchronize (3 files changed), review submitted (a billing-team approval), and for comparison
a 20-file human PR opened. Tools do not call GitHub, so fake runners give the same counts faster; pass
`--real-tools` to run ruff, mypy, semgrep and pip-audit. The App's periodic missed-delivery check
(`GET /app/hook/deliveries`) is not a per-event call and is left out, and so is the tarball's redirect to
codeload (shown apart); the installation token is counted where it is first fetched. GraphQL queries count as
calls and their points (`rateLimit { cost }`, a budget apart from REST's) are shown beside them.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests package (simulator, harness)

from ghapp.github import CallCounter
from tests.e2e.harness import AI_BODY, AI_MESSAGE, CHARGE_AI, REPO, build_world, fake_runners, running_app
from tests.ghsim import GitHubSim

PERIODIC = "GET /app/hook/deliveries"


def twenty_files(tag: str) -> dict[str, str | bytes | None]:
    files: dict[str, str | bytes | None] = {f"app/mod{i:02d}.py": f"VALUE_{i} = {i}  # {tag}\n" for i in range(19)}
    files["billing/charge.py"] = CHARGE_AI + f"# {tag}\n"
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real-tools", action="store_true", help="run the real tools instead of fakes")
    parser.add_argument("--json", action="store_true", help="print the per-route figures as JSON")
    args = parser.parse_args()
    counter = CallCounter()
    results: dict[str, dict[str, int]] = {}
    with GitHubSim() as sim, tempfile.TemporaryDirectory() as tmp:
        build_world(sim)
        ai = sim.state.create_pull(REPO, changes=twenty_files("v1"), messages=[AI_MESSAGE], body=AI_BODY, user="alice")
        human = sim.state.create_pull(REPO, changes=twenty_files("h"), messages=["Refactor"], body="Tidy.", user="dana")
        runners = None if args.real_tools else fake_runners()
        with running_app(sim, Path(tmp), runners=runners, counter=counter) as app:
            app.idle()

            def measure(name: str, event: str, payload: dict[str, object]) -> None:
                before = Counter(counter.snapshot().calls)
                not_modified = counter.snapshot().not_modified
                points = counter.snapshot().graphql_points
                delivery = sim.send_webhook(app.url, event, payload)
                assert delivery.status_code == 202
                app.idle()
                after = Counter(counter.snapshot().calls)
                new = after - before
                # a route that is not a path is a redirect off the API: the tarball's download from codeload
                calls = {route: n for route, n in new.items() if route != PERIODIC and " /" in route}
                results[name] = {
                    **calls,
                    "_total": sum(calls.values()),
                    "_downloads": sum(n for route, n in new.items() if " /" not in route),
                    "_not_modified": counter.snapshot().not_modified - not_modified,
                    "_graphql_points": counter.snapshot().graphql_points - points,
                }

            measure("opened", "pull_request", sim.payloads.pull_request(REPO, ai.number, "opened"))
            changed = {f"app/mod{i:02d}.py": f"VALUE_{i} = {i * 2}\n" for i in range(2)}
            changed["billing/charge.py"] = CHARGE_AI + "# v2\n"
            sim.state.push(REPO, ai.number, changed, message=AI_MESSAGE)
            measure("synchronize", "pull_request", sim.payloads.pull_request(REPO, ai.number, "synchronize"))
            review = sim.state.add_review(REPO, ai.number, "bob")
            measure(
                "review submitted", "pull_request_review", sim.payloads.pull_request_review(REPO, ai.number, review.id)
            )
            measure("human PR opened", "pull_request", sim.payloads.pull_request(REPO, human.number, "opened"))
    if args.json:
        print(json.dumps(results, indent=2, sort_keys=True))
    for name, calls in results.items():
        routes = ", ".join(
            f"{route.split(' ', 1)[0]} {route.split(' ', 1)[1].removeprefix('/repos/{owner}/{repo}')} x{n}"
            for route, n in sorted(calls.items())
            if not route.startswith("_")
        )
        print(
            f"{name}: {calls['_total']} API calls ({calls['_not_modified']} answered 304; "
            f"{calls['_graphql_points']} GraphQL points; {calls['_downloads']} archive download): {routes}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
