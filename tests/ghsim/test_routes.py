"""The simulator's repository routes behave like GitHub's: pagination and Link headers, contents and ETags,
tarball redirects, reviews and review requests, team memberships, labels, issue events, compare, rate-limit
headers."""

from __future__ import annotations

import base64
import gzip
import io
import re
import tarfile

import httpx

from tests.ghsim import GitHubSim
from tests.ghsim.gitdata import Link, blob_sha, tarball
from tests.ghsim.helpers import installation_client, small_world


def _links(answer: httpx.Response) -> dict[str, str]:
    return {str(rel): link["url"] for rel, link in answer.links.items()}


def test_pull_files_pages_link_headers_and_the_3000_cap(ghsim: GitHubSim) -> None:
    world = small_world(ghsim)
    ghsim.state.create_pull("octo-org/hello", changes={f"gen/{i:04}.txt": "x\n" for i in range(3050)})
    with installation_client(ghsim, world["installation"].id) as gh:
        first = gh.get("repos/octo-org/hello/pulls/2/files")
        assert len(first.json()) == 30  # GitHub's default page size
        links = _links(first)
        assert set(links) == {"next", "last"} and links["next"].startswith(ghsim.api_url)  # absolute URLs
        # 3050 files, capped at 3000: 100 pages of 30
        assert "page=2" in links["next"] and links["last"].endswith("page=100")
        big = gh.get("repos/octo-org/hello/pulls/2/files", params={"per_page": 500})
        assert len(big.json()) == 100  # per_page is capped at 100
        last = gh.get("repos/octo-org/hello/pulls/2/files", params={"per_page": 100, "page": 30})
        assert len(last.json()) == 100 and last.json()[-1]["filename"] == "gen/2999.txt"
        assert set(_links(last)) == {"prev", "first"}
        beyond = gh.get("repos/octo-org/hello/pulls/2/files", params={"per_page": 100, "page": 31})
        assert beyond.status_code == 200 and beyond.json() == []


def test_pull_files_carry_status_counts_and_patches(ghsim: GitHubSim) -> None:
    world = small_world(ghsim)
    with installation_client(ghsim, world["installation"].id) as gh:
        files = {f["filename"]: f for f in gh.get("repos/octo-org/hello/pulls/1/files").json()}
        pull = gh.get("repos/octo-org/hello/pulls/1").json()
    assert files["src/app.py"]["status"] == "modified" and files["docs/new.md"]["status"] == "added"
    assert files["src/app.py"]["patch"] == "@@ -1 +1 @@\n-x = 1\n+x = 2"
    assert (files["src/app.py"]["additions"], files["src/app.py"]["deletions"]) == (1, 1)
    assert pull["head"]["sha"] == world["pull"].head_sha and pull["base"]["ref"] == "main"
    assert pull["changed_files"] == 2 and pull["user"]["login"] == "alice" and pull["state"] == "open"


def test_commits_are_capped_at_250(ghsim: GitHubSim) -> None:
    world = small_world(ghsim)
    ghsim.state.create_pull("octo-org/hello", commits=[{"n.txt": str(i)} for i in range(260)])
    with installation_client(ghsim, world["installation"].id) as gh:
        last = gh.get("repos/octo-org/hello/pulls/2/commits", params={"per_page": 100, "page": 3})
        assert len(last.json()) == 50 and "next" not in last.links
        assert gh.get("repos/octo-org/hello/pulls/2").json()["commits"] == 260


def test_contents_json_raw_missing_and_etag(ghsim: GitHubSim) -> None:
    world = small_world(ghsim)
    with installation_client(ghsim, world["installation"].id) as gh:
        answer = gh.get("repos/octo-org/hello/contents/src/app.py", params={"ref": world["pull"].head_sha})
        body = answer.json()
        assert body["type"] == "file" and body["encoding"] == "base64"
        assert base64.b64decode(body["content"]) == b"x = 2\n" and body["sha"] == blob_sha(b"x = 2\n")
        assert gh.get("repos/octo-org/hello/contents/src/app.py").json()["sha"] == blob_sha(b"x = 1\n")  # main
        raw = gh.get("repos/octo-org/hello/contents/src/app.py", headers={"Accept": "application/vnd.github.raw"})
        assert raw.content == b"x = 1\n"
        missing = gh.get("repos/octo-org/hello/contents/nope.yml")
        assert missing.status_code == 404 and missing.json()["message"] == "Not Found"
        listing = gh.get("repos/octo-org/hello/contents/src")
        assert [e["name"] for e in listing.json()] == ["app.py"]
        etag = answer.headers["etag"]
        again = gh.get(
            "repos/octo-org/hello/contents/src/app.py",
            params={"ref": world["pull"].head_sha},
            headers={"If-None-Match": etag},
        )
        assert again.status_code == 304 and again.content == b""
        assert int(again.headers["x-ratelimit-remaining"]) == int(listing.headers["x-ratelimit-remaining"])


def test_tarball_redirects_to_a_short_lived_codeload_link(ghsim: GitHubSim) -> None:
    world = small_world(ghsim)
    sha = world["pull"].head_sha
    with installation_client(ghsim, world["installation"].id) as gh:
        answer = gh.get(f"repos/octo-org/hello/tarball/{sha}")
        assert answer.status_code == 302
        location = answer.headers["location"]
        assert re.fullmatch(rf"{ghsim.root_url}_codeload/octo-org/hello/legacy\.tar\.gz/{sha}\?token=.+", location)
        with httpx.Client() as anonymous:  # the link itself needs no token, like codeload's
            data = anonymous.get(location).content
            ghsim.state.clock.advance(301)
            assert anonymous.get(location).status_code == 404  # links expire after 5 minutes
        assert gh.get("repos/octo-org/hello/tarball/no-such-branch").status_code == 404
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(data))) as archive:
        assert sorted(archive.getnames()) == [
            f"octo-org-hello-{sha[:7]}/{p}" for p in ("README.md", "docs/new.md", "src/app.py")
        ]


def _members(data: bytes) -> dict[str, tarfile.TarInfo | bytes]:
    found: dict[str, tarfile.TarInfo | bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(data))) as archive:
        for member in archive:
            name = member.name.split("/", 1)[1] if "/" in member.name else ""
            extracted = archive.extractfile(member) if member.isfile() else None
            found[name] = extracted.read() if extracted is not None else member
    return found


def test_archives_honour_gitattributes_and_keep_links_as_links() -> None:
    """As `git archive` (GitHub's codeload) does: `export-ignore` paths are left out, `export-subst` files get
    their `$Format:...$` placeholders expanded, a symbolic link is a link member (gitattributes(5))."""
    tree = {
        ".gitattributes": b"hidden.py export-ignore\nsecret/ export-ignore\nsecret export-ignore\n"
        b"stamp.py export-subst\n",
        "hidden.py": b"eval(input())\n",
        "secret/run.py": b"x = 1\n",
        "stamp.py": b"VERSION = '$Format:%H$'\n",
        "app.py": b"import evil\n",
        "evil": b"eval(input())\n",
        "evil.py": b"evil",
    }
    found = _members(tarball(tree, "o-r-1234567", {"evil.py": "120000"}))
    assert "hidden.py" not in found and "secret/run.py" not in found
    stamp = found["stamp.py"]
    assert isinstance(stamp, bytes) and b"$Format" not in stamp and re.fullmatch(rb"VERSION = '[0-9a-f]{40}'\n", stamp)
    link = found["evil.py"]
    assert isinstance(link, tarfile.TarInfo) and link.issym() and link.linkname == "evil"
    assert found["app.py"] == b"import evil\n" and found["evil"] == b"eval(input())\n"
    # without a .gitattributes the archive is made directly, links still as links
    plain = _members(tarball({"a.py": b"x\n", "b.py": b"a.py"}, "o-r-1234567", {"b.py": "120000"}))
    assert plain["a.py"] == b"x\n" and isinstance(plain["b.py"], tarfile.TarInfo) and plain["b.py"].issym()


def test_git_data_blobs_are_served_by_sha(ghsim: GitHubSim) -> None:
    world = small_world(ghsim)
    pull = ghsim.state.create_pull("octo-org/hello", changes={"tool.py": Link("src/app.py")})
    with installation_client(ghsim, world["installation"].id) as gh:
        files = gh.get(f"repos/octo-org/hello/pulls/{pull.number}/files").json()
        (entry,) = [f for f in files if f["filename"] == "tool.py"]
        assert entry["sha"] == blob_sha(b"src/app.py")  # a link's blob is its target, as in git
        blob = gh.get(f"repos/octo-org/hello/git/blobs/{entry['sha']}").json()
        assert base64.b64decode(blob["content"]) == b"src/app.py" and blob["encoding"] == "base64"
        assert gh.get(f"repos/octo-org/hello/git/blobs/{'0' * 40}").status_code == 404


def test_reviews_and_review_requests(ghsim: GitHubSim) -> None:
    world = small_world(ghsim)
    ghsim.state.add_team_member("octo-org", "security", "carol")
    with installation_client(ghsim, world["installation"].id) as gh:
        url = "repos/octo-org/hello/pulls/1/requested_reviewers"
        author = gh.post(url, json={"reviewers": ["alice"]})
        assert author.status_code == 422 and "author" in author.json()["message"]
        assert gh.post(url, json={"team_reviewers": ["ghosts"]}).status_code == 422
        asked = gh.post(url, json={"reviewers": ["bob", "carol"], "team_reviewers": ["security"]})
        assert asked.status_code == 201
        assert [u["login"] for u in asked.json()["requested_reviewers"]] == ["bob", "carol"]
        ghsim.state.add_review("octo-org/hello", 1, "bob", "changes_requested")
        ghsim.state.add_review("octo-org/hello", 1, "bob", "APPROVED", commit_id="0" * 40)
        requested = gh.get(url).json()
        assert [u["login"] for u in requested["users"]] == ["carol"]  # bob reviewed: no longer requested
        assert [t["slug"] for t in requested["teams"]] == ["security"]
        reviews = gh.get("repos/octo-org/hello/pulls/1/reviews").json()
        assert [(r["user"]["login"], r["state"]) for r in reviews] == [
            ("bob", "CHANGES_REQUESTED"),
            ("bob", "APPROVED"),
        ]
        assert reviews[0]["commit_id"] == world["pull"].head_sha and reviews[1]["commit_id"] == "0" * 40
        removed = gh.request("DELETE", url, json={"reviewers": ["carol"]})
        assert removed.status_code == 200 and removed.json()["requested_reviewers"] == []
        mine = gh.post("repos/octo-org/hello/pulls/1/reviews", json={"event": "COMMENT", "body": "see checks"})
        assert mine.json()["state"] == "COMMENTED" and mine.json()["user"]["login"].endswith("[bot]")


def test_dismissing_a_review_as_github_documents(ghsim: GitHubSim) -> None:
    """PUT .../reviews/{id}/dismissals: `message` required, `event` only DISMISS, only a submitted approval or
    change request (a comment or pending review: 422), unknown review: 404; the review becomes DISMISSED."""
    world = small_world(ghsim)
    approved = ghsim.state.add_review("octo-org/hello", 1, "bob")
    commented = ghsim.state.add_review("octo-org/hello", 1, "carol", "COMMENTED", body="looks fine")
    with installation_client(ghsim, world["installation"].id) as gh:
        base = "repos/octo-org/hello/pulls/1/reviews"
        assert gh.put(f"{base}/{approved.id}/dismissals", json={}).status_code == 422
        assert gh.put(f"{base}/{approved.id}/dismissals", json={"message": "x", "event": "APPROVE"}).status_code == 422
        assert gh.put(f"{base}/{commented.id}/dismissals", json={"message": "stale"}).status_code == 422
        assert gh.put(f"{base}/999999/dismissals", json={"message": "stale"}).status_code == 404
        done = gh.put(f"{base}/{approved.id}/dismissals", json={"message": "files changed", "event": "DISMISS"})
        assert done.status_code == 200 and done.json()["state"] == "DISMISSED" and done.json()["id"] == approved.id
        assert [r["state"] for r in gh.get(base).json()] == ["DISMISSED", "COMMENTED"]
        assert gh.put(f"{base}/{approved.id}/dismissals", json={"message": "again"}).status_code == 422
    assert approved.dismissal_message == "files changed"


def test_team_memberships_include_child_teams(ghsim: GitHubSim) -> None:
    world = small_world(ghsim)
    ghsim.state.add_team_member("octo-org", "security", "carol", role="maintainer")
    ghsim.state.add_team_member("octo-org", "appsec", "dave", parent="security")
    ghsim.state.add_team_member("octo-org", "billing", "erin", state="pending")
    with installation_client(ghsim, world["installation"].id) as gh:
        carol = gh.get("orgs/octo-org/teams/security/memberships/carol")
        assert carol.status_code == 200 and {k: carol.json()[k] for k in ("role", "state")} == {
            "role": "maintainer",
            "state": "active",
        }
        assert gh.get("orgs/octo-org/teams/security/memberships/dave").json()["state"] == "active"
        assert gh.get("orgs/octo-org/teams/appsec/memberships/carol").status_code == 404  # not upwards
        assert gh.get("orgs/octo-org/teams/billing/memberships/erin").json()["state"] == "pending"
        assert gh.get("orgs/octo-org/teams/nope/memberships/carol").status_code == 404


def test_labels_issues_and_comments(ghsim: GitHubSim) -> None:
    world = small_world(ghsim)
    with installation_client(ghsim, world["installation"].id) as gh:
        added = gh.post("repos/octo-org/hello/issues/1/labels", json={"labels": ["ai-generated", "needs review"]})
        assert [label["name"] for label in added.json()] == ["ai-generated", "needs review"]
        assert gh.delete("repos/octo-org/hello/issues/1/labels/needs%20review").status_code == 200
        assert gh.delete("repos/octo-org/hello/issues/1/labels/needs%20review").status_code == 404
        assert [label["name"] for label in gh.get("repos/octo-org/hello/issues/1/labels").json()] == ["ai-generated"]
        issue = gh.post("repos/octo-org/hello/issues", json={"title": "Policy file invalid", "body": "line 3"})
        assert issue.status_code == 201 and issue.json()["number"] == 2  # numbers shared with pull requests
        assert gh.post("repos/octo-org/hello/issues", json={"body": "no title"}).status_code == 422
        comment = gh.post("repos/octo-org/hello/issues/1/comments", json={"body": "Checks are running"})
        assert comment.status_code == 201
        assert [c["body"] for c in gh.get("repos/octo-org/hello/issues/1/comments").json()] == ["Checks are running"]


def test_issue_events_show_who_assigned_whom(ghsim: GitHubSim) -> None:
    world = small_world(ghsim)
    ghsim.state.assign("octo-org/hello", 1, "Copilot", by="mona")
    with installation_client(ghsim, world["installation"].id) as gh:
        (event,) = gh.get("repos/octo-org/hello/issues/1/events").json()
        assert event["event"] == "assigned" and event["commit_id"] is None
        assert event["assigner"]["login"] == event["actor"]["login"] == "mona"
        assert (event["assignee"]["login"], event["assignee"]["type"]) == ("Copilot", "Bot")
        assert gh.get("repos/octo-org/hello/issues/99/events").status_code == 404


def test_compare_and_rate_limit_headers(ghsim: GitHubSim) -> None:
    world = small_world(ghsim)
    ghsim.state.rate_limit = 5
    with installation_client(ghsim, world["installation"].id) as gh:
        answer = gh.get(f"repos/octo-org/hello/compare/main...{world['pull'].head_ref}")
        body = answer.json()
        assert (body["status"], body["ahead_by"], body["behind_by"]) == ("ahead", 1, 0)
        assert {f["filename"] for f in body["files"]} == {"src/app.py", "docs/new.md"}
        remaining = [int(answer.headers["x-ratelimit-remaining"])]
        for _ in range(3):
            remaining.append(int(gh.get("repos/octo-org/hello").headers["x-ratelimit-remaining"]))
        assert remaining == [4, 3, 2, 1]
        assert answer.headers["x-ratelimit-limit"] == "5" and answer.headers["x-ratelimit-resource"] == "core"
        assert int(answer.headers["x-ratelimit-used"]) == 1 and int(answer.headers["x-ratelimit-reset"]) > 0
        gh.get("repos/octo-org/hello")
        exhausted = gh.get("repos/octo-org/hello")
        assert exhausted.status_code == 403 and exhausted.headers["x-ratelimit-remaining"] == "0"
        assert "rate limit exceeded" in exhausted.json()["message"]
    ghsim.state.clock.advance(3601)  # a new window (and a new token: the old one expired)
    with installation_client(ghsim, world["installation"].id) as gh:
        assert gh.get("repos/octo-org/hello").headers["x-ratelimit-remaining"] == "4"
