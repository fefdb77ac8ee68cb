"""The policy from GitHub: the repository file on the base branch over the org's `.github` file, `_extends`
chains (loops, unreadable and cross-org files), edits validated, parsing cached by blob sha."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from ghapp.core.decisions import Gate
from ghapp.github import CallCounter, InstallationAPI
from ghapp.github.policy_source import POLICY_PATH, LoadedPolicy, PolicySource
from tests.ghsim import GitHubSim

T = TypeVar("T")


def call(sim: GitHubSim, body: Callable[[InstallationAPI], Awaitable[T]], counter: CallCounter | None = None) -> T:
    async def main() -> T:
        async with sim.github_app(counter=counter) as app:
            return await body(app.installation(next(iter(sim.state.installations))))

    return asyncio.run(main())


def load(
    sim: GitHubSim, source: PolicySource, repo: str = "payments", ref: str | None = "main", **kwargs: object
) -> LoadedPolicy:
    return call(sim, lambda api: source.load(api, "acme", repo, ref, **kwargs))  # type: ignore[arg-type]


def world(
    sim: GitHubSim,
    repo_policy: str | None = None,
    org_policy: str | None = None,
    extra: dict[str, dict[str, str]] | None = None,
) -> None:
    sim.state.create_installation("acme")
    files = {"README.md": "x\n"}
    if repo_policy is not None:
        files[POLICY_PATH] = repo_policy
    sim.state.create_repo("acme/payments", files=files)
    if org_policy is not None:
        sim.state.create_repo("acme/.github", files={POLICY_PATH: org_policy})
    for name, tree in (extra or {}).items():
        sim.state.create_repo(name, files=tree)


def test_without_files_the_bundled_default_applies(ghsim_inprocess: GitHubSim) -> None:
    world(ghsim_inprocess)
    loaded = load(ghsim_inprocess, PolicySource())
    assert loaded.ok and loaded.sources == ("policies/default.yml",)
    assert loaded.policy is not None and loaded.policy.mode == "enforce"
    assert {r.category for r in loaded.policy.approvals} >= {"billing", "secrets", "auth"}


def test_the_repository_file_is_laid_over_the_org_file(ghsim_inprocess: GitHubSim) -> None:
    world(ghsim_inprocess, repo_policy="gates:\n  lint:\n    applies_to: all\n", org_policy="mode: report\n")
    loaded = load(ghsim_inprocess, PolicySource())
    assert loaded.policy is not None
    assert loaded.policy.mode == "report"
    assert loaded.policy.gate(Gate.LINT).applies_to == "all"
    assert loaded.sources == ("policies/default.yml", "acme/.github:.github/prompt-to-pr.yml", POLICY_PATH)


def test_the_org_floor_holds_against_the_repository_and_the_files_it_extends(ghsim_inprocess: GitHubSim) -> None:
    world(
        ghsim_inprocess,
        repo_policy="_extends: policies:lax.yml\nmode: report\n",
        org_policy="floor: [mode, gates]\n_extends: policies:org-base.yml\n",
        extra={
            "acme/policies": {
                "lax.yml": "gates:\n  semgrep:\n    enabled: false\n",
                "org-base.yml": "gates:\n  types:\n    applies_to: all\n",
            }
        },
    )
    loaded = load(ghsim_inprocess, PolicySource())
    assert loaded.policy is not None, loaded.issues
    assert loaded.policy.mode == "enforce" and loaded.policy.gate(Gate.SEMGREP).enabled
    assert loaded.policy.gate(Gate.TYPES).applies_to == "all"  # the org's own _extends is part of the floor
    assert [str(i).split(": ", 1)[0] for i in loaded.policy.refused] == [
        ".github/prompt-to-pr.yml:2:7",
        "acme/policies:lax.yml:3:14",
    ]


def test_a_floor_set_by_a_repository_is_an_error_but_the_org_repository_sets_its_own(
    ghsim_inprocess: GitHubSim,
) -> None:
    world(ghsim_inprocess, repo_policy="floor: [mode]\n", org_policy="floor: [mode]\n")
    loaded = load(ghsim_inprocess, PolicySource())
    assert not loaded.ok and "only the org's policy" in str(loaded.issues[0])
    own = load(ghsim_inprocess, PolicySource(), repo=".github")
    assert own.ok and own.policy is not None and own.policy.refused == ()


def test_the_repository_file_is_read_from_the_base_branch(ghsim_inprocess: GitHubSim) -> None:
    world(ghsim_inprocess, repo_policy="mode: enforce\n")
    repo = ghsim_inprocess.state.repo("acme/payments")
    ghsim_inprocess.state.commit(repo, {POLICY_PATH: "mode: report\n"}, branch="release", parent=repo.branches["main"])
    source = PolicySource()
    assert load(ghsim_inprocess, source, ref="main").policy.mode == "enforce"  # type: ignore[union-attr]
    assert load(ghsim_inprocess, source, ref="release").policy.mode == "report"  # type: ignore[union-attr]


def test_extends_chains_are_followed_and_merged_below_the_file_that_names_them(ghsim_inprocess: GitHubSim) -> None:
    world(
        ghsim_inprocess,
        repo_policy="_extends: policies:strict.yml\ngates:\n  types:\n    applies_to: all\n",
        extra={"acme/policies": {"strict.yml": "mode: report\ngates:\n  types:\n    block_on: warning\n"}},
    )
    loaded = load(ghsim_inprocess, PolicySource())
    assert loaded.policy is not None, loaded.issues
    types = loaded.policy.gate(Gate.TYPES)
    assert (loaded.policy.mode, types.applies_to, types.block_on) == ("report", "all", "warning")
    assert "acme/policies:strict.yml" in loaded.sources


def test_an_extends_loop_is_a_located_policy_error(ghsim_inprocess: GitHubSim) -> None:
    world(
        ghsim_inprocess,
        repo_policy="mode: enforce\n_extends: policies:a.yml\n",
        extra={"acme/policies": {"a.yml": "_extends: policies:b.yml\n", "b.yml": "_extends: policies:a.yml\n"}},
    )
    loaded = load(ghsim_inprocess, PolicySource())
    assert not loaded.ok
    (issue,) = loaded.issues
    assert issue.file == "acme/policies:b.yml" and issue.line == 1 and "Recursion detected" in issue.message


def test_a_file_of_another_org_the_installation_cannot_read_is_refused(ghsim_inprocess: GitHubSim) -> None:
    world(
        ghsim_inprocess,
        repo_policy="mode: enforce\n_extends: other-org/policies:base.yml\n",
        extra={"other-org/policies": {"base.yml": "mode: report\n"}},
    )
    loaded = load(ghsim_inprocess, PolicySource())
    assert not loaded.ok
    (issue,) = loaded.issues
    assert (issue.file, issue.line, issue.column) == (POLICY_PATH, 2, 11)
    assert "other-org/policies:base.yml does not exist or the App cannot read it" in issue.message


def test_an_invalid_file_names_its_line(ghsim_inprocess: GitHubSim) -> None:
    world(ghsim_inprocess, org_policy="mode: enforce\napprovals:\n  billing:\n    paths: [billing/]\n    cout: 2\n")
    loaded = load(ghsim_inprocess, PolicySource())
    assert not loaded.ok
    assert any(i.file == "acme/.github:.github/prompt-to-pr.yml" and i.line == 5 for i in loaded.issues)


def test_an_edit_is_validated_over_the_same_layers(ghsim_inprocess: GitHubSim) -> None:
    world(ghsim_inprocess, org_policy="mode: report\n")
    source = PolicySource()
    bad = load(ghsim_inprocess, source, ref=None, repo_text="mode: never\n")
    assert [(i.file, i.line) for i in bad.issues] == [(POLICY_PATH, 1)]
    removed = load(ghsim_inprocess, source, ref=None, repo_removed=True)
    assert removed.policy is not None and removed.policy.mode == "report"


def test_files_are_parsed_once_per_blob_and_re_read_conditionally(ghsim_inprocess: GitHubSim) -> None:
    world(ghsim_inprocess, repo_policy="mode: report\n", org_policy="mode: enforce\n")
    source = PolicySource()
    counter = CallCounter()

    def twice(api: InstallationAPI) -> Awaitable[tuple[LoadedPolicy, LoadedPolicy]]:
        async def both() -> tuple[LoadedPolicy, LoadedPolicy]:
            return (
                await source.load(api, "acme", "payments", "main"),
                await source.load(api, "acme", "payments", "main"),
            )

        return both()

    first, second = call(ghsim_inprocess, twice, counter)
    assert first == second and first.policy is not None and first.policy.mode == "report"
    assert counter.snapshot().not_modified == 2  # both files answered 304 the second time
    assert len(source._layers) == 2 and len(source._built) == 1


def test_a_missing_file_is_asked_for_again_only_after_a_minute(ghsim_inprocess: GitHubSim) -> None:
    world(ghsim_inprocess)
    now = [0.0]
    source = PolicySource(clock=lambda: now[0])
    assert load(ghsim_inprocess, source).policy.mode == "enforce"  # type: ignore[union-attr]
    asked = len(ghsim_inprocess.state.requests("GET", "/contents/"))
    repo = ghsim_inprocess.state.repo("acme/payments")
    ghsim_inprocess.state.commit(repo, {POLICY_PATH: "mode: report\n"}, branch="main")
    assert load(ghsim_inprocess, source).policy.mode == "enforce"  # type: ignore[union-attr]
    assert len(ghsim_inprocess.state.requests("GET", "/contents/")) == asked
    now[0] = 61.0
    assert load(ghsim_inprocess, source).policy.mode == "report"  # type: ignore[union-attr]
