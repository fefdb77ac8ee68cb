"""`approvals.dismiss_stale: true` end to end over real HTTP: an approval the App judges stale for a category is
dismissed on GitHub with a message naming the files changed since, an approval a push did not make stale is
left alone, the reviewers a new category needs are requested, and without the setting nothing is dismissed."""

from __future__ import annotations

from pathlib import Path

from ghapp.store.audit import Filters, export
from ghapp.store.database import open_database
from tests.e2e.harness import AI_MESSAGE, CHARGE_AI, REPO, build_world, fake_runners, running_app
from tests.e2e.test_pull_request_flow import ai_pull, deliver, runs
from tests.ghsim import GitHubSim

DISMISS = "approvals:\n  dismiss_stale: true\n"


def _flow(ghsim: GitHubSim, tmp_path: Path, policy: str | None) -> tuple[int, str]:
    """bob approves billing; a push to a non-billing file; then a push to billing that also adds an auth file.
    Returns (bob's review id, the last head)."""
    build_world(ghsim, policy=policy)
    pull = ai_pull(ghsim)
    with running_app(ghsim, tmp_path, runners=fake_runners()) as app:
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "opened"))
        bob = ghsim.state.add_review(REPO, pull.number, "bob")
        deliver(ghsim, app, "pull_request_review", ghsim.payloads.pull_request_review(REPO, pull.number, bob.id))
        assert runs(ghsim, pull.head_sha)["approvals"].conclusion == "success"
        ghsim.state.push(REPO, pull.number, {"app/util.py": "VALUE = 2\n"}, message=AI_MESSAGE)
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "synchronize"))
        assert bob.state == "APPROVED"  # billing did not change since: still fresh, never dismissed
        head = ghsim.state.push(
            REPO,
            pull.number,
            {"billing/charge.py": CHARGE_AI + "\nLIMIT = 10\n", "auth/session.py": "TTL = 60\n"},
            message=AI_MESSAGE,
        )
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "synchronize"))
        assert runs(ghsim, head)["approvals"].conclusion == "action_required"
        live = ghsim.state.repo(REPO).pull(pull.number)
        assert live is not None and set(live.requested_teams) >= {"billing", "platform"}  # auth: the code owners
        return bob.id, head


def test_a_stale_approval_is_dismissed_naming_the_files_changed_since(ghsim: GitHubSim, tmp_path: Path) -> None:
    review_id, head = _flow(ghsim, tmp_path, DISMISS)
    pull = ghsim.state.repo(REPO).pull(1)
    assert pull is not None
    [bob] = [r for r in pull.reviews if r.id == review_id]
    assert bob.state == "DISMISSED"
    assert "billing" in bob.dismissal_message and "`billing/charge.py`" in bob.dismissal_message
    assert "auth/session.py" not in bob.dismissal_message and "app/util.py" not in bob.dismissal_message
    dismissals = ghsim.state.requests("PUT", "/dismissals$")
    assert [r.path.rsplit("/", 2)[1] for r in dismissals] == [str(review_id)]  # once, only bob's
    db = open_database(f"sqlite:///{tmp_path / 'app.db'}")
    try:
        [event] = export(db, Filters(kind="review_dismissal"))
        assert event.people == ("bob",) and event.head_sha == head and event.detail["files"] == ["billing/charge.py"]
    finally:
        db.engine.dispose()


def test_without_the_setting_no_review_is_dismissed(ghsim: GitHubSim, tmp_path: Path) -> None:
    review_id, _ = _flow(ghsim, tmp_path, None)
    pull = ghsim.state.repo(REPO).pull(1)
    assert pull is not None and [r.state for r in pull.reviews if r.id == review_id] == ["APPROVED"]
    assert ghsim.state.requests("PUT", "/dismissals$") == []
