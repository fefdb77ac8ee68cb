"""CODEOWNERS patterns and files: GitHub's documented examples, pattern rules, invalid lines, real files."""

from __future__ import annotations

from collections.abc import Callable
from fnmatch import fnmatchcase

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ghapp.core.codeowners.patterns import (
    MAX_BYTES,
    CodeOwnersError,
    PatternError,
    compile_pattern,
    owner_kind,
    parse_codeowners,
)
from tests.paths import FIXTURES
from tests.work import growth

CODEOWNERS_FIXTURES = FIXTURES / "codeowners"


def _read(name: str) -> str:
    return (CODEOWNERS_FIXTURES / name).read_text(encoding="utf-8")


# GitHub's example CODEOWNERS (docs "About code owners"), rule by rule: (file lines, path, owners).
DOCS_EXAMPLES = [
    (["*       @global-owner1 @global-owner2"], "README.md", ("@global-owner1", "@global-owner2")),
    (["*       @global-owner1 @global-owner2"], "deep/down/file.c", ("@global-owner1", "@global-owner2")),
    (["* @global", "*.js    @js-owner #This is an inline comment."], "src/app.js", ("@js-owner",)),
    (["* @global", "*.js    @js-owner #This is an inline comment."], "src/app.ts", ("@global",)),
    (["*.go docs@example.com"], "cmd/main.go", ("docs@example.com",)),
    (["*.txt @octo-org/octocats"], "notes/todo.txt", ("@octo-org/octocats",)),
    (["/build/logs/ @doctocat"], "build/logs/today.log", ("@doctocat",)),
    (["/build/logs/ @doctocat"], "build/logs/2024/jan.log", ("@doctocat",)),
    (["/build/logs/ @doctocat"], "src/build/logs/today.log", ()),
    (["/build/logs/ @doctocat"], "build/logs", ()),
    (["docs/*  docs@example.com"], "docs/getting-started.md", ("docs@example.com",)),
    (["docs/*  docs@example.com"], "docs/build-app/troubleshooting.md", ()),
    (["docs/*  docs@example.com"], "src/docs/getting-started.md", ()),
    (["apps/ @octocat"], "apps/main.py", ("@octocat",)),
    (["apps/ @octocat"], "src/apps/main.py", ("@octocat",)),
    (["apps/ @octocat"], "src/apps/deep/main.py", ("@octocat",)),
    (["apps/ @octocat"], "src/apps", ()),
    (["apps/ @octocat"], "src/myapps/main.py", ()),
    (["/docs/ @doctocat"], "docs/build-app/troubleshooting.md", ("@doctocat",)),
    (["/docs/ @doctocat"], "src/docs/index.md", ()),
    (["/scripts/ @doctocat @octocat"], "scripts/deploy.sh", ("@doctocat", "@octocat")),
    (["**/logs @octocat"], "build/logs/a.log", ("@octocat",)),
    (["**/logs @octocat"], "scripts/logs/b.log", ("@octocat",)),
    (["**/logs @octocat"], "deeply/nested/logs/c.log", ("@octocat",)),
    (["**/logs @octocat"], "logs/d.log", ("@octocat",)),
    (["**/logs @octocat"], "build/catalogs/d.log", ()),
    (["/apps/ @octocat", "/apps/github"], "apps/github/index.js", ()),
    (["/apps/ @octocat", "/apps/github"], "apps/github", ()),
    (["/apps/ @octocat", "/apps/github"], "apps/gitlab/index.js", ("@octocat",)),
    (["/apps/ @octocat", "/apps/github @doctocat"], "apps/github/index.js", ("@doctocat",)),
    (["*.js @first", "*.js @second"], "a.js", ("@second",)),
    (["*.js @first", "*.js @second", "/other/ @third"], "a.js", ("@second",)),
]


@pytest.mark.parametrize(("lines", "path", "owners"), DOCS_EXAMPLES)
def test_githubs_documented_examples(lines: list[str], path: str, owners: tuple[str, ...]) -> None:
    codeowners = parse_codeowners("\n".join(lines) + "\n")
    assert codeowners.errors == ()
    assert codeowners.owners_of(path) == owners
    assert codeowners.owners_for([path]) == {path: owners}


PATTERNS = [
    ("*", "a", True),
    ("*", "a/b/c", True),
    ("/*", "a", True),
    ("/*", "a/b", False),  # like `docs/*`, a last segment of `*` is one level only
    ("*.py", "x/a.py", True),
    ("*.py", "x/a.pyc", False),
    ("*.py", "pkg.py/inside.txt", True),  # gitignore: a directory whose name matches covers its contents
    ("a?c", "x/abc", True),
    ("a?c", "a/c", False),
    ("a?c", "ac", False),
    ("a*c", "a/c", False),  # `*` never crosses `/`
    ("foo/**/bar", "foo/bar", True),
    ("foo/**/bar", "foo/x/y/bar", True),
    ("foo/**/bar", "foo/x/bar/baz.txt", True),
    ("foo/**/bar", "xfoo/bar", False),
    ("foo/**/**/bar", "foo/x/bar", True),
    ("foo/**", "foo/a/b", True),
    ("foo/**", "foo", False),
    ("foo/**/", "foo/a", False),  # a trailing `/` after `**`: directories only, so not the file foo/a
    ("foo/**/", "foo/a/b", True),
    ("foo/**/", "foo/a/b/c.txt", True),
    ("foo/**/", "foo", False),
    ("foo/**/", "xfoo/a/b", False),
    ("foo/**/**/", "foo/a", False),
    ("foo/**/**/", "foo/a/b", True),
    ("/foo/**/", "x/foo/a/b", False),
    ("**/", "README.md", False),  # every directory: a file at the root is in none
    ("**/", "docs/a.md", True),
    ("/**/", "README.md", False),
    ("/**/", "a/b/c", True),
    ("a/**/b/**/", "a/x/b/c", False),
    ("a/**/b/**/", "a/x/b/c/d", True),
    ("**", "any/thing", True),
    ("/**", "x", True),
    ("**/foo/bar", "a/b/foo/bar/c", True),
    ("**/foo/bar", "foo/bar", True),
    ("**/foo/bar", "foo/x/bar", False),
    ("/**/foo", "a/foo", True),
    ("a/b", "a/b/c", True),  # a `/` inside anchors the pattern at the root
    ("a/b", "x/a/b", False),
    ("apps", "x/apps/file", True),  # no slash: a file or directory name at any depth
    ("apps", "apps", True),
    ("apps", "apps2/file", False),
    ("Docs/", "docs/a", False),  # case-sensitive
    ("Security\\ Fix.md", "templates/Security Fix.md", True),
    ("pages/\\[id\\].tsx", "pages/[id].tsx", True),
    ("\\*.md", "*.md", True),
    ("\\*.md", "a.md", False),
    ("geo_**.md", "doc/geo_setup.md", True),  # `**` inside a name is a plain `*`
    ("geo_**.md", "doc/geo_a/b.md", False),
    ("*/translations/", "hue/translations/en.json", True),
    ("*/translations/", "a/hue/translations/en.json", False),
    ("/components/*/translations/", "components/hue/translations/en.json", True),
    ("a+b.c", "a+b.c", True),
    ("a+b.c", "a+bxc", False),
    ("docs/*/", "docs/a/b", True),
    ("docs/*/", "docs/a", False),
    ("/src/node_http2*", "src/node_http2_state.h", True),
    ("foo", "/foo", True),  # a leading slash on the path is ignored
]


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", lambda n: "a" * n, False),
        ("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", lambda n: "a" * n + "b", True),
        (
            "/x/**/*a*a*a*a*a*a*a*a*a*a*a*a*a*a*c/**/*b*b*b*b*b*b*b*b*b*b*b*b*d",
            lambda n: "x/" + "/".join(["a" * n] * 6),
            False,
        ),
    ],
)
def test_many_stars_match_in_linear_time(pattern: str, path: Callable[[int], str], expected: bool) -> None:
    """Without atomic chunks these take minutes to hours at 60 characters (catastrophic backtracking); with
    them, 8 times the path costs about 8 times the CPU (compared in the same run, so load does not matter)."""
    matcher = compile_pattern(pattern)
    assert matcher.matches(path(60)) is expected
    paths = {n: path(n) for n in (500, 4_000)}
    ratio = growth(lambda n: [matcher.matches(paths[n]) for _ in range(300)], 500, factor=8)
    assert ratio < 24, f"8 times the path cost {ratio:.1f} times the CPU"


@pytest.mark.parametrize(("pattern", "path", "expected"), PATTERNS)
def test_pattern_rules(pattern: str, path: str, expected: bool) -> None:
    assert compile_pattern(pattern).matches(path) is expected


@pytest.mark.parametrize(("pattern", "path", "expected"), PATTERNS)
def test_the_owner_index_agrees_with_each_pattern(pattern: str, path: str, expected: bool) -> None:
    """The index answers most rules without their regex; it must give the same answer as the pattern."""
    owners = parse_codeowners(f"{pattern} @owner\n").owners_of(path)
    assert owners == (("@owner",) if expected else ())


INVALID_PATTERNS = [
    ("", "empty pattern"),
    ("!secrets/", "negation"),
    ("*.[ch]", "character ranges"),
    ("a]b", "character ranges"),
    ("\\#notes", "escaping `#`"),
    ("a\\/b", "escaping `/`"),
    ("trailing\\", "lone"),
    ("***/*.rb", "`***`"),
    ("a/***", "`***`"),
    ("/", "matches nothing"),
    ("a//b", "empty path segment"),
]


@pytest.mark.parametrize(("pattern", "message"), INVALID_PATTERNS)
def test_unsupported_patterns_raise_pattern_error(pattern: str, message: str) -> None:
    with pytest.raises(PatternError, match=message.replace("[", r"\[").replace("*", r"\*")):
        compile_pattern(pattern)
    assert issubclass(PatternError, ValueError)


INVALID_LINES = [
    ("[Backend] @gitlab-org/backend", "`[Backend]` is a GitLab section header"),
    ("^[Geo Frontend] @geo", "`^[Geo Frontend]` is a GitLab section header"),
    ("[Docs][2] @docs", "`[Docs]` is a GitLab section header"),
    ("[Empty]", "GitLab section header"),
    ("!/doc/**/*.md", "negation"),
    ("*.[ch] @c-team", "character ranges"),
    ("\\#file @alice", "escaping `#`"),
    ("*.rb @marcel.amirault", "invalid owner `@marcel.amirault`"),
    ("*.rb @gitlab-org/a/b", "invalid owner `@gitlab-org/a/b`"),
    ("*.rb alice", "invalid owner `alice`"),
    ("*.rb @alice docs@", "invalid owner `docs@`"),
    ("@alice", "starts with the owner `@alice`"),
    ("@org/team *.py", "starts with the owner `@org/team`"),
]


@pytest.mark.parametrize(("line", "message"), INVALID_LINES)
def test_invalid_lines_are_skipped_and_reported(line: str, message: str) -> None:
    codeowners = parse_codeowners(f"* @everyone\n\n{line}\n")
    assert len(codeowners.errors) == 1
    error = codeowners.errors[0]
    assert error.line == 3
    assert message in error.message
    assert [rule.line for rule in codeowners.rules] == [1]
    assert codeowners.owners_of("x/any.rb") == ("@everyone",)  # the skipped line does not unown anything


VALID_LINES = [
    ("  docs/   @alice   @bob  ", "docs/a", ("@alice", "@bob")),
    ("docs/\t@alice\t# comment", "docs/a", ("@alice",)),
    ("docs/ @alice# not a comment start", "docs/a", None),
    ("file#1.txt @alice", "file#1.txt", ("@alice",)),
    ("*.go docs@example.com @org/team_x @user_emu", "a.go", ("docs@example.com", "@org/team_x", "@user_emu")),
    ("Security\\ Fix.md @delivery", "Security Fix.md", ("@delivery",)),
    ("# just a comment", "x", ()),
    ("   # indented comment", "x", ()),
]


@pytest.mark.parametrize(("line", "path", "owners"), VALID_LINES)
def test_line_syntax(line: str, path: str, owners: tuple[str, ...] | None) -> None:
    codeowners = parse_codeowners(line)
    if owners is None:
        assert len(codeowners.errors) == 1
    else:
        assert codeowners.errors == ()
        assert codeowners.owners_of(path) == owners


def test_bom_crlf_and_line_numbers() -> None:
    codeowners = parse_codeowners("\ufeff# header\x0cpage\r\n*.py @py\r\n\r\n!x @a\r\n/docs/ @docs\r\n")
    assert codeowners.errors == (CodeOwnersError(4, "negation (`!`) is not supported in CODEOWNERS"),)
    assert [(rule.line, rule.pattern.text, rule.owners) for rule in codeowners.rules] == [
        (2, "*.py", ("@py",)),
        (5, "/docs/", ("@docs",)),
    ]
    assert codeowners.rule_for("docs/x.md") == codeowners.rules[1]
    assert codeowners.rule_for("README") is None


def test_a_file_of_3_mb_is_ignored_entirely_like_github() -> None:
    line = "/some/fairly/long/path/to/a/file.txt @owner\n"
    text = line * (MAX_BYTES // len(line) + 1)
    codeowners = parse_codeowners(text)
    assert codeowners.rules == ()
    assert codeowners.errors[0].line == 0
    assert "3 MB" in codeowners.errors[0].message
    assert codeowners.owners_of("some/fairly/long/path/to/a/file.txt") == ()
    smaller = parse_codeowners(line * 100)
    assert smaller.owners_of("some/fairly/long/path/to/a/file.txt") == ("@owner",)


@pytest.mark.parametrize(("owner", "kind"), [("@alice", "user"), ("@org/team", "team"), ("docs@example.com", "email")])
def test_owner_kind(owner: str, kind: str) -> None:
    assert owner_kind(owner) == kind


REAL_FILES = [
    ("home-assistant__core__CODEOWNERS", "homeassistant/components/hue/light.py", ("@balloob", "@marcelveldt")),
    ("home-assistant__core__CODEOWNERS", "tests/components/hue/test_light.py", ("@balloob", "@marcelveldt")),
    ("home-assistant__core__CODEOWNERS", "homeassistant/components/demo/weather.py", ("@fabaff",)),  # individual file
    ("home-assistant__core__CODEOWNERS", "homeassistant/components/hue/translations/en.json", ()),  # unowned last
    ("home-assistant__core__CODEOWNERS", ".core_files.yaml", ("@home-assistant/core",)),
    ("home-assistant__core__CODEOWNERS", "README.rst", ()),
    ("python__cpython__CODEOWNERS", "Objects/genobject.c", ("@markshannon",)),
    ("python__cpython__CODEOWNERS", "configure.ac", ("@erlend-aasland", "@corona10", "@AA-Turner")),
    ("python__cpython__CODEOWNERS", "Doc/library/argparse.rst", ("@savannahostrowski",)),
    ("python__cpython__CODEOWNERS", "Lib/test/test_datetime.py", ("@pganssle", "@abalkin")),
    (
        "python__cpython__CODEOWNERS",
        "Lib/importlib/util.py",
        ("@brettcannon", "@ericsnowcurrently", "@ncoghlan", "@warsaw"),
    ),
    ("python__cpython__CODEOWNERS", "Modules/_io/clinic/bufferedio.c.h", ()),  # `Modules/**/clinic/` exclusion
    ("python__cpython__CODEOWNERS", ".mailmap", ()),
    ("nodejs__node__CODEOWNERS", "lib/net.js", ("@nodejs/net",)),
    ("nodejs__node__CODEOWNERS", "deps/cares/src/ares.c", ("@nodejs/security-wg",)),  # later `/deps` wins
    ("nodejs__node__CODEOWNERS", "tools/gyp/common.gypi", ("@nodejs/gyp",)),
    ("nodejs__node__CODEOWNERS", "src/node_http2_state.h", ("@nodejs/http2", "@nodejs/net")),
    ("nodejs__node__CODEOWNERS", "doc/contributing/a/b.md", ("@nodejs/tsc",)),
    (
        "gitlabhq__gitlabhq__CODEOWNERS",
        ".gitlab/CODEOWNERS",
        ("@gitlab-org/development-leaders", "@gitlab-org/tw-leadership"),
    ),
    ("gitlabhq__gitlabhq__CODEOWNERS", ".gitlab/merge_request_templates/Security Fix.md", ("@gitlab-org/delivery",)),
    ("gitlabhq__gitlabhq__CODEOWNERS", "README.md", ()),  # the `*` line names GitLab subgroups: skipped
    ("gitlabhq__gitlabhq__CODEOWNERS", "app/models/vulnerability.rb", ()),  # a path line without owners
]


@pytest.mark.parametrize(("name", "path", "owners"), REAL_FILES)
def test_real_files(name: str, path: str, owners: tuple[str, ...]) -> None:
    assert parse_codeowners(_read(name)).owners_of(path) == owners


@pytest.mark.parametrize(
    ("name", "rules"),
    [
        ("home-assistant__core__CODEOWNERS", 1798),
        ("python__cpython__CODEOWNERS", 338),
        ("nodejs__node__CODEOWNERS", 151),
    ],
)
def test_real_github_files_are_valid(name: str, rules: int) -> None:
    codeowners = parse_codeowners(_read(name))
    assert codeowners.errors == ()
    assert len(codeowners.rules) == rules  # the rule-line counts in fixtures/codeowners/SOURCE.md


def test_gitlab_file_reports_sections_negations_and_gitlab_owners() -> None:
    text = _read("gitlabhq__gitlabhq__CODEOWNERS")
    lines = text.splitlines()
    codeowners = parse_codeowners(text)
    headers = {n for n, line in enumerate(lines, 1) if line.startswith(("[", "^["))}
    assert len(headers) == 74  # 32 required + 42 optional sections, as SOURCE.md counts them
    by_line = {error.line: error.message for error in codeowners.errors}
    assert all("GitLab section header" in by_line[n] for n in headers)
    negations = [n for n, message in by_line.items() if message.startswith("negation")]
    assert len(negations) == 11
    assert all(lines[n - 1].startswith("!") for n in negations)
    assert any("@marcel.amirault" in message for message in by_line.values())
    assert {rule.line for rule in codeowners.rules}.isdisjoint(by_line)


# --- properties against a reference written independently: per-segment fnmatch over the path's segments ---

SEGMENT = st.sampled_from(["a", "b", "ab", "*", "a*", "*b", "?", "a?", "**", "*a*", "a*b*a", "*a?*b", "?*b*"])
NAME = st.sampled_from(["a", "b", "ab", "ba", "aa", "abb", "bab"])


@st.composite
def patterns(draw: st.DrawFn) -> str:
    segments = draw(st.lists(SEGMENT, min_size=1, max_size=4))
    if segments[-1] == "**":
        segments[-1] = "a"  # a trailing `**` is tested in the table above
    lead = draw(st.sampled_from(["", "/"]))
    trail = draw(st.sampled_from(["", "/"]))
    return lead + "/".join(segments) + trail


def _ends(parts: list[str], names: list[str], at: int) -> set[int]:
    """Every position in `names` where matching all of `parts` from `at` can end."""
    if not parts:
        return {at}
    head, rest = parts[0], parts[1:]
    if head == "**":
        return set().union(*(_ends(rest, names, k) for k in range(at, len(names) + 1)))
    if at < len(names) and fnmatchcase(names[at], head):
        return _ends(rest, names, at + 1)
    return set()


def reference(pattern: str, path: str) -> bool:
    dir_only = pattern.endswith("/")
    body = pattern.strip("/")
    anchored = pattern.startswith("/") or "/" in body
    parts, names = body.split("/"), path.split("/")
    starts = [0] if anchored else range(len(names))
    for start in starts:
        for end in _ends(parts, names, start):
            if dir_only and end < len(names):
                return True
            if not dir_only and (parts[-1] != "*" or end == len(names)):
                return True
    return False


@settings(max_examples=500)
@given(patterns(), st.lists(NAME, min_size=1, max_size=5).map("/".join))
def test_matcher_agrees_with_the_reference(pattern: str, path: str) -> None:
    assert compile_pattern(pattern).matches(path) is reference(pattern, path)


@given(st.text("ab", min_size=1, max_size=3), st.text("cd", min_size=1, max_size=3), st.text("ab", max_size=3))
def test_star_never_crosses_a_slash(head: str, tail: str, middle: str) -> None:
    pattern = compile_pattern(f"/{head}*{tail}")
    assert pattern.matches(f"{head}{middle}{tail}")
    assert not pattern.matches(f"{head}/{middle}{tail}")
    assert not pattern.matches(f"{head}{middle}/{tail}")


@given(patterns(), st.lists(NAME, min_size=1, max_size=4).map("/".join), NAME)
def test_anchoring(pattern: str, path: str, top: str) -> None:
    compiled = compile_pattern(pattern)
    first = pattern.lstrip("/").split("/")[0]
    if compiled.anchored and "*" not in first and "?" not in first:
        assert not compiled.matches(f"zz/{path}")  # rooted at a name the path does not start with
    if not compiled.anchored and compiled.matches(path):
        assert compiled.matches(f"{top}/{path}")  # a floating pattern matches at any depth


@given(st.lists(patterns(), min_size=1, max_size=6), st.lists(NAME, min_size=1, max_size=4).map("/".join))
def test_last_matching_line_wins(lines: list[str], path: str) -> None:
    text = "".join(f"{pattern} @owner{i}\n" for i, pattern in enumerate(lines))
    codeowners = parse_codeowners(text)
    matching = [i for i, pattern in enumerate(lines) if reference(pattern, path)]
    assert codeowners.owners_of(path) == ((f"@owner{matching[-1]}",) if matching else ())
    assert parse_codeowners(text + f"{path}\n").owners_of(path) == ()  # an owner-less line unowns
    assert parse_codeowners(text + f"{path} @new\n").owners_of(path) == ("@new",)
