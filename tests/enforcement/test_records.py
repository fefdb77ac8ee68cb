"""The App's records: tool reports survive a round trip, and later deliveries make work moot."""

from __future__ import annotations

from ghapp.core.decisions import Edit, Finding, Fix, Gate, ToolReport
from ghapp.enforcement import records
from ghapp.store.audit import Filters, export
from ghapp.store.details import details_of
from tests.e2e.harness import REPO, build_world, fake_runners
from tests.enforcement.conftest import Driver
from tests.enforcement.test_pull_request import ai_pull, opened


def test_tool_reports_round_trip_and_are_kept_per_fingerprint(driver: Driver) -> None:
    report = ToolReport(
        gate=Gate.SEMGREP,
        tool="semgrep",
        version="1.0",
        status="error",
        error="boom",
        findings=(Finding("a.py", 3, "r1", "m", "warning", 4, 1, 2, "billing"),),
        unaudited=("b.py: timeout",),
        files=("a.py", "b.py"),
        rules=("secrets",),
        duration_s=1.5,
        fixes=(Fix("a.py", 3, "r1", "m", "safe", (Edit(3, 1, 4, 1, ""), Edit(5, 2, 5, 3, "x"))),),
    )
    assert records.report_from_json(records.report_to_json(report)) == report
    zizmor = ToolReport(gate=Gate.SEMGREP, tool="zizmor", version="1.33.1")
    records.save_reports(driver.db, REPO, "abc", [report, zizmor], {Gate.SEMGREP: "v1"})
    assert records.load_reports(driver.db, REPO, "abc", {Gate.SEMGREP: "v1"}) == {Gate.SEMGREP: (report, zizmor)}
    assert records.load_reports(driver.db, REPO, "abc", {Gate.SEMGREP: "v2"}) == {}
    assert records.load_reports(driver.db, REPO, "other", {Gate.SEMGREP: "v1"}) == {}


def test_later_deliveries_make_the_work_moot(driver: Driver) -> None:
    build_world(driver.sim)
    pull = ai_pull(driver)
    claim = driver.claim(driver.record("pull_request", opened(driver, pull)))

    def moot() -> str | None:
        return records.superseded(driver.db, REPO, pull.number, claim.delivery_id, claim.received_at)

    assert moot() is None
    driver.record("pull_request", opened(driver, pull, "edited"))
    assert moot() is None
    driver.record("pull_request", opened(driver, pull, "closed"))
    assert moot() == "closed"
    driver.record("pull_request", opened(driver, pull, "reopened"))
    assert moot() == "newer"


def test_a_pull_requests_decisions_reviews_and_approvals_reach_the_audit_trail(driver: Driver) -> None:
    build_world(driver.sim)
    driver.use(fake_runners())
    pull = ai_pull(driver)
    driver.handle("pull_request", opened(driver, pull))
    trail = list(export(driver.db, Filters(repositories=(REPO,))))
    decisions = {e.gate: e for e in trail if e.kind == "decision"}
    assert decisions["approvals"].outcome == "action_required" and decisions["approvals"].verdict == "ai"
    assert decisions["approvals"].categories == ("billing",) and decisions["approvals"].people == ("alice",)
    assert decisions["provenance"].tools and "billing" in decisions["provenance"].categories
    assert [(e.outcome, e.people) for e in trail if e.kind == "review_request"] == [("team", ("billing",))]
    assert [e.outcome for e in trail if e.kind == "approval"] == ["waiting"]
    review = driver.sim.state.add_review(REPO, pull.number, "bob")
    driver.handle("pull_request_review", driver.sim.payloads.pull_request_review(REPO, pull.number, review.id))
    approvals = list(export(driver.db, Filters(kind="approval", category="billing", person="bob")))
    assert [(e.outcome, e.detail["approved_by"]) for e in approvals] == [("satisfied", ["bob"])]


def test_every_check_links_to_the_heads_details_page_which_holds_the_decision(driver: Driver) -> None:
    build_world(driver.sim)
    driver.use(fake_runners())
    pull = ai_pull(driver)
    driver.handle("pull_request", opened(driver, pull))
    head = pull.head_sha
    runs = driver.sim.state.check_runs_for(REPO, head)
    assert runs and {r.details_url for r in runs} == {
        f"{driver.settings.public_url.rstrip('/')}/pulls/{REPO}/{pull.number}/{head}"
    }
    found = details_of(driver.db, REPO, pull.number, head)
    assert found is not None
    _, _, page = found
    assert set(page["gates"]) == {r.name.removeprefix("prompt-to-pr / ") for r in runs}
    assert page["verdict"]["verdict"] == "ai" and page["verdict"]["signals"]
    assert page["author"] == "alice" and len(page["policy_layers"]) >= 1
    [billing] = page["approvals"]
    assert billing["category"] == "billing" and billing["request_teams"] == ["acme/billing"]
    review = driver.sim.state.add_review(REPO, pull.number, "bob")
    driver.handle("pull_request_review", driver.sim.payloads.pull_request_review(REPO, pull.number, review.id))
    found = details_of(driver.db, REPO, pull.number, head)
    assert found is not None
    _, _, again = found
    assert again["approvals"][0]["approved_by"] == ["bob"]
    assert set(again["gates"]) == set(page["gates"])  # a review re-judges approvals; the other gates stay
