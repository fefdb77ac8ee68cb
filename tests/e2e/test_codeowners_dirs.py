"""End to end on the simulator: in CODEOWNERS, a trailing `/` after `**` matches directories only, so
`billing/**/` owns what lies in a directory below billing/, not a file directly in it."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import REPO, build_world, fake_runners, running_app
from tests.ghsim import GitHubSim

CODEOWNERS = "* @acme/platform\nbilling/**/ @acme/billing\n"


def test_foo_double_star_slash_owns_directories_only(ghsim: GitHubSim, tmp_path: Path) -> None:
    build_world(ghsim, files={".github/CODEOWNERS": CODEOWNERS, "billing/stripe/api.py": "X = 1\n"})
    top = ghsim.state.create_pull(
        REPO,
        changes={"billing/charge.py": "def charge() -> int:\n    return 2\n"},
        user="alice",
        head="alice/top",
        messages=["Charge two"],
    )
    deep = ghsim.state.create_pull(
        REPO, changes={"billing/stripe/api.py": "X = 2\n"}, user="alice", head="alice/deep", messages=["Bump X"]
    )
    with running_app(ghsim, tmp_path, runners=fake_runners()) as app:
        for pull in (top, deep):
            assert (
                ghsim.send_webhook(
                    app.url, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "opened")
                ).status_code
                == 202
            )
            app.idle()
    repo = ghsim.state.repo(REPO)
    asked = {}
    for pull in (top, deep):
        live = repo.pull(pull.number)
        assert live is not None
        asked[pull.number] = live.requested_teams
    assert asked[top.number] == ["platform"]  # billing/charge.py is a file directly in billing/: `**/` skips it
    assert asked[deep.number] == ["billing"]  # billing/stripe/ is a directory below billing/
