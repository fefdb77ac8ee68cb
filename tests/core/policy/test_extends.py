"""`_extends`: Probot's grammar, loop detection, the depth limit and the merge order of the files found."""

from __future__ import annotations

import pytest

from ghapp.core.policy.extends import MAX_DEPTH, ExtendsChain, ExtendsError, ExtendsRef, merge_order, parse_extends
from ghapp.core.policy.load import Layer, parse_layer
from ghapp.core.policy.located_yaml import Mark, PolicyError, PolicyIssue

PATH = ".github/prompt-to-pr.yml"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("policies", ExtendsRef("acme", "policies", PATH)),
        (".github", ExtendsRef("acme", ".github", PATH)),
        ("other/policies", ExtendsRef("other", "policies", PATH)),
        ("policies:strict.yml", ExtendsRef("acme", "policies", "strict.yml")),
        (
            "Other-Org/repo_1.x:.github/policies/strict.yaml",
            ExtendsRef("Other-Org", "repo_1.x", ".github/policies/strict.yaml"),
        ),
        ("  policies  ", ExtendsRef("acme", "policies", PATH)),
        ("a/b", ExtendsRef("a", "b", PATH)),
        ("policies:a..b/..c.yml", ExtendsRef("acme", "policies", "a..b/..c.yml")),  # dots inside names are fine
    ],
)
def test_parse_extends(value: str, expected: ExtendsRef) -> None:
    assert parse_extends(value, "acme", PATH) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "a/b/c",
        "-org/repo",
        "org-/repo",
        "a--b/repo",
        "repo:file.json",
        "repo:",
        "o" * 40 + "/repo",
        "repo name",
        "repo:../x.txt",
        "repo:../../../../installation.yml",
        "repo:a/../../x.yml",
        "repo:/x.yml",
        "repo:a//x.yml",
        "repo:./x.yml",
        "..",
        ".",
        "org/..:x.yml",
    ],
)
def test_parse_extends_refuses(value: str) -> None:
    with pytest.raises(ExtendsError) as caught:
        parse_extends(value, "acme", PATH)
    assert isinstance(caught.value, PolicyError)
    assert caught.value.issue is None
    assert "must be repo, owner/repo, repo:path.yml or owner/repo:path.yml" in str(caught.value)


def test_ref_prints_and_compares_without_case_in_names() -> None:
    ref = ExtendsRef("Acme", "Policies", PATH)
    assert str(ref) == f"Acme/Policies:{PATH}"
    assert ref.key == ExtendsRef("acme", "policies", PATH).key
    assert ref.key != ExtendsRef("acme", "policies", ".github/Prompt-to-pr.yml").key


START = ExtendsRef("acme", "app", PATH)


def test_follow_walks_the_chain_with_the_last_file_as_default() -> None:
    chain = ExtendsChain.start(START)
    chain2 = chain.follow(parse_layer("_extends: other/base:policies/p.yml\n", "app.yml"))
    assert chain2 is not None and chain2.last == ExtendsRef("other", "base", "policies/p.yml")
    chain3 = chain2.follow(parse_layer("_extends: root\n", "base.yml"))
    assert chain3 is not None
    assert chain3.refs == (
        START,
        ExtendsRef("other", "base", "policies/p.yml"),
        ExtendsRef("other", "root", "policies/p.yml"),
    )
    assert chain3.follow(parse_layer("mode: report\n", "root.yml")) is None


def test_a_loop_is_reported_at_the_extends_line() -> None:
    chain = ExtendsChain.start(START).follow(parse_layer("_extends: base\n", "app.yml"))
    assert chain is not None
    with pytest.raises(ExtendsError) as caught:
        chain.follow(parse_layer("mode: report\n_extends: ACME/App\n", "base.yml"))
    assert caught.value.issue == PolicyIssue(
        "base.yml", 2, 11, f"_extends: Recursion detected: acme/app:{PATH} -> acme/base:{PATH} -> ACME/App:{PATH}"
    )
    assert str(caught.value) == str(caught.value.issue)


def test_a_file_extending_itself_is_a_loop() -> None:
    with pytest.raises(ExtendsError, match="Recursion detected"):
        ExtendsChain.start(START).follow(parse_layer("_extends: app\n", "app.yml"))


def test_the_chain_stops_after_max_depth_hops() -> None:
    chain: ExtendsChain | None = ExtendsChain.start(START)
    for hop in range(MAX_DEPTH):
        assert chain is not None
        chain = chain.follow(parse_layer(f"_extends: base{hop}\n", f"f{hop}.yml"))
    assert chain is not None and len(chain.refs) == MAX_DEPTH + 1
    with pytest.raises(ExtendsError) as caught:
        chain.follow(parse_layer("_extends: one-too-many\n", "last.yml"))
    assert caught.value.issue is not None
    assert str(caught.value.issue) == (
        f"last.yml:1:11: _extends: more than {MAX_DEPTH} files extend one another; stopped at acme/one-too-many:{PATH}"
    )


def test_a_malformed_extends_met_while_following_is_located() -> None:
    layer = Layer("r.yml", None, extends="a/b/c", extends_mark=Mark("r.yml", 4, 11))
    with pytest.raises(ExtendsError) as caught:
        ExtendsChain.start(START).follow(layer)
    assert caught.value.issue is not None and (caught.value.issue.line, caught.value.issue.column) == (4, 11)
    bare = Layer("q.yml", None, extends="a/b/c")
    with pytest.raises(ExtendsError) as caught:
        ExtendsChain.start(START).follow(bare)
    assert caught.value.issue is not None and (caught.value.issue.line, caught.value.issue.column) == (1, 1)


def test_missing_names_the_file_that_could_not_be_read() -> None:
    layer = parse_layer("_extends: gone\n", "app.yml")
    chain = ExtendsChain.start(START).follow(layer)
    assert chain is not None
    assert (
        str(chain.missing(layer)) == f"app.yml:1:11: _extends: acme/gone:{PATH} does not exist or the App "
        "cannot read it"
    )
    assert chain.missing(Layer("x.yml", None)).line == 1


def test_merge_order_puts_the_deepest_file_first_and_each_file_once() -> None:
    org = ExtendsRef("acme", ".github", PATH)
    shared = ExtendsRef("acme", "shared", PATH)
    org_chain = ExtendsChain((org,))
    repo_chain = ExtendsChain((START, shared, ExtendsRef("ACME", ".github", PATH)))
    assert merge_order([org_chain, repo_chain]) == (org, shared, START)
    assert merge_order([ExtendsChain((START,))]) == (START,)
