"""Override race: a member of the override team comments `/prompt-to-pr override lint <reason>` on the head they
looked at; the author pushes new code before the App gets to the comment. The override must not pass the new
head: it binds to the head at the comment's `created_at` (or the commit the comment names), and the App
refuses it with a reply otherwise. The App on the simulator, end to end."""

from __future__ import annotations

from pathlib import Path

from ghapp.core.decisions import Finding
from tests.e2e.harness import AI_MESSAGE, CHARGE_AI, REPO, build_world, comment_payload, fake_runners, running_app
from tests.e2e.test_pull_request_flow import ai_pull, deliver, runs
from tests.ghsim import GitHubSim

POLICY = "overrides:\n  team: '@acme/security'\n"
FINDING = Finding("billing/charge.py", 4, "B001", "something risky")


def test_a_push_after_the_override_comment_does_not_get_the_override(ghsim: GitHubSim, tmp_path: Path) -> None:
    build_world(ghsim, policy=POLICY)
    pull = ai_pull(ghsim)
    seen = pull.head_sha
    with running_app(ghsim, tmp_path, runners=fake_runners(lint=[FINDING])) as app:
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "opened"))
        assert runs(ghsim, seen)["lint"].conclusion == "failure"
        # sec writes the override on the head they reviewed...
        comment = comment_payload(ghsim, pull.number, "sec", "/prompt-to-pr override lint reviewed: B001 is fine", 601)
        # ...and a second later, before the App reads the comment, the author pushes other code
        ghsim.state.clock.advance(1)
        pushed = ghsim.state.push(
            REPO, pull.number, {"billing/charge.py": CHARGE_AI + "\nimport os\n"}, message=AI_MESSAGE
        )
        deliver(ghsim, app, "pull_request", ghsim.payloads.pull_request(REPO, pull.number, "synchronize"))
        deliver(ghsim, app, "issue_comment", comment)
        lint = runs(ghsim, pushed)["lint"]
        assert lint.conclusion == "failure", lint.output
        replies = [c.body for c in ghsim.state.repo(REPO).issues[pull.number].comments]
        assert len(replies) == 1
        assert "not accepted" in replies[0] and f"written on `{seen[:12]}`" in replies[0]
        assert f"`{pushed[:12]}` was pushed since" in replies[0]

        # naming the old commit explicitly does not help either
        deliver(
            ghsim,
            app,
            "issue_comment",
            comment_payload(ghsim, pull.number, "sec", f"/prompt-to-pr override lint@{seen[:7]} fine", 602),
        )
        assert runs(ghsim, pushed)["lint"].conclusion == "failure"
        replies = [c.body for c in ghsim.state.repo(REPO).issues[pull.number].comments]
        assert f"names `{seen[:7]}`, but the head is `{pushed[:12]}`" in replies[1]

        # an override written after the push, on the new head, counts; so does one naming the new head
        deliver(
            ghsim,
            app,
            "issue_comment",
            comment_payload(ghsim, pull.number, "sec", "/prompt-to-pr override lint reviewed again", 603),
        )
        lint = runs(ghsim, pushed)["lint"]
        assert lint.conclusion == "success", lint.output
        assert "override accepted" in ghsim.state.repo(REPO).issues[pull.number].comments[2].body


def test_an_override_naming_the_current_head_counts_without_a_record_of_when_it_was_pushed(
    ghsim: GitHubSim, tmp_path: Path
) -> None:
    """A PR the App never saw opened (no delivery recorded): a plain override is refused and told how to name
    the commit; the override naming the current head is accepted."""
    build_world(ghsim, policy=POLICY)
    pull = ai_pull(ghsim)
    with running_app(ghsim, tmp_path, runners=fake_runners(lint=[FINDING])) as app:
        deliver(
            ghsim,
            app,
            "issue_comment",
            comment_payload(ghsim, pull.number, "sec", "/prompt-to-pr override lint fine", 701),
        )
        reply = ghsim.state.repo(REPO).issues[pull.number].comments[0].body
        assert "no record of the head" in reply and f"lint@{pull.head_sha[:12]}" in reply
        assert not ghsim.state.check_runs_for(REPO, pull.head_sha)  # refused before anything was evaluated
        deliver(
            ghsim,
            app,
            "issue_comment",
            comment_payload(ghsim, pull.number, "sec", f"/prompt-to-pr override lint@{pull.head_sha} fine", 702),
        )
        lint = runs(ghsim, pull.head_sha)["lint"]
    assert lint.conclusion == "success", lint.output
