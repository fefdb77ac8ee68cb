"""The policy a pull request is judged by, read from GitHub: the repository's `.github/prompt-to-pr.yml` on the
BASE branch over the org's `<org>/.github` file, each following its `_extends` chain, over the bundled default.

Every file is parsed once per blob sha. Within the evaluation of a pull request the repository's file, the org's
and CODEOWNERS come from that evaluation's one GraphQL query (`PullReads`); any other file (an `_extends`
target, or every file when GraphQL could not answer) is fetched with a conditional request (a 304 costs no
rate limit).
A file `_extends` names that does not exist or that the installation cannot read (another org's private
repository) is a policy error at the `_extends` line, never silently skipped.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

from ghapp.core.detection.detect import parse_signal_table
from ghapp.core.detection.signals import SignalTable
from ghapp.core.policy.extends import ExtendsChain, ExtendsError, ExtendsRef, merge_order
from ghapp.core.policy.load import POLICY_PATH, Layer, Policy, PolicyIssue, PolicyResult, build_policy, parse_layer
from ghapp.github.api import InstallationAPI
from ghapp.github.errors import Forbidden, GitHubError, NotFound, Reschedulable
from ghapp.github.pull_reads import PullReads
from ghapp.resources import DEFAULT_POLICY_SOURCE, ai_signals_text, default_policy_text

ORG_REPO = ".github"
DEFAULT_SOURCE = DEFAULT_POLICY_SOURCE


@cache
def bundled_signals() -> SignalTable:
    return parse_signal_table(ai_signals_text())


@cache
def _default_layer() -> Layer:
    return parse_layer(default_policy_text(), DEFAULT_SOURCE)


@dataclass(frozen=True)
class LoadedPolicy:
    """The policy (None when any layer has issues), the issues, and the files merged, base first."""

    policy: Policy | None
    issues: tuple[PolicyIssue, ...]
    sources: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.policy is not None


@dataclass(frozen=True)
class _File:
    text: str
    sha: str
    problem: str = ""  # why the file cannot be read as text


class PolicySource:
    """Loads policies for one process; parsed layers and built policies are kept by blob sha (LRU)."""

    def __init__(
        self,
        signals: SignalTable | None = None,
        max_entries: int = 512,
        absent_ttl_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._signals = signals
        self._max = max_entries
        self._absent_ttl = absent_ttl_s
        self._clock = clock
        self._absent: dict[tuple[str, str, str, str | None], float] = {}  # file -> when it was found missing
        self._layers: OrderedDict[tuple[str, str], Layer] = OrderedDict()
        self._built: OrderedDict[tuple[tuple[str, str], ...], PolicyResult] = OrderedDict()

    @property
    def signals(self) -> SignalTable:
        """The AI signal table the policy's `ai.signals` extend (the bundled one, read on first use)."""
        if self._signals is None:
            self._signals = bundled_signals()
        return self._signals

    async def load(
        self,
        api: InstallationAPI,
        owner: str,
        repo: str,
        ref: str | None,
        *,
        repo_text: str | None = None,
        repo_removed: bool = False,
        reads: PullReads | None = None,
    ) -> LoadedPolicy:
        """The policy of `owner/repo` with its own file read at `ref` (the base branch).

        `repo_text` stands in for the repository's own file (a PR's edited version, to validate it);
        `repo_removed` says the PR deletes it. `reads`: the evaluation's shared reads, which answer for the files
        its query read.
        """
        own_ref = ExtendsRef(owner, repo, POLICY_PATH)
        org_chain: ExtendsChain | None = None
        layers: dict[tuple[str, str, str], tuple[Layer, str]] = {}
        issues: list[PolicyIssue] = []
        if repo.lower() != ORG_REPO:
            org_ref = ExtendsRef(owner, ORG_REPO, POLICY_PATH)
            org_file = await self._fetch(api, org_ref, None, reads)
            if org_file is not None:
                org_chain = await self._follow(api, org_ref, org_file, home=own_ref, layers=layers, issues=issues)
        own_file: _File | None
        if repo_removed:
            own_file = None
        elif repo_text is not None:
            own_file = _File(repo_text, "edit:" + hashlib.sha256(repo_text.encode()).hexdigest())
        else:
            own_file = await self._fetch(api, own_ref, ref, reads)
        own_chain = (
            await self._follow(api, own_ref, own_file, home=own_ref, layers=layers, issues=issues)
            if own_file is not None
            else None
        )
        order = merge_order(chain for chain in (org_chain, own_chain) if chain is not None)
        chosen = [layers[ref_.key] for ref_ in order if ref_.key in layers]
        sources = (DEFAULT_SOURCE, *(layer.source for layer, _ in chosen))
        if issues:
            return LoadedPolicy(None, tuple(issues), sources)
        # the org's chain comes first in the merge order: those layers (and the bundled default) set the floor
        org_keys = {ref_.key for ref_ in org_chain.refs} if org_chain is not None else set()
        org_layers = 1 + sum(1 for ref_ in order if ref_.key in layers and ref_.key in org_keys)
        if repo.lower() == ORG_REPO:  # the org's `.github` repository: its own file is the org's policy
            org_layers = 1 + len(chosen)
        result = self._build([(_default_layer(), "bundled"), *chosen], org_layers)
        return LoadedPolicy(result.policy, result.issues, sources)

    async def _follow(
        self,
        api: InstallationAPI,
        start: ExtendsRef,
        file: _File,
        *,
        home: ExtendsRef,
        layers: dict[tuple[str, str, str], tuple[Layer, str]],
        issues: list[PolicyIssue],
    ) -> ExtendsChain:
        """Read `file` and the files its `_extends` chain names into `layers`; problems go to `issues`."""
        chain = ExtendsChain.start(start)
        layer = self._parse(file, _source(start, home))
        layers[start.key] = (layer, file.sha)
        while True:
            try:
                following = chain.follow(layer)
            except ExtendsError as exc:
                issues.append(exc.issue or PolicyIssue(layer.source, 1, 1, str(exc)))
                return chain
            if following is None:
                return chain
            chain = following
            target = chain.last
            if target.key in layers:  # already read through the other chain: merged once, lower
                layer = layers[target.key][0]
                continue
            fetched = await self._fetch(api, target, None)
            if fetched is None:
                issues.append(chain.missing(layer))
                return chain
            layer = self._parse(fetched, _source(target, home))
            layers[target.key] = (layer, fetched.sha)

    async def _fetch(
        self, api: InstallationAPI, ref: ExtendsRef, at: str | None, reads: PullReads | None = None
    ) -> _File | None:
        """The file's text and blob sha, or None when it is missing or the installation cannot read it.

        A file the evaluation's GraphQL query read is taken from it (an answer as fresh as a REST read); any
        other goes through REST as follows.

        A 404 carries no ETag, so "missing" is remembered for `absent_ttl_s` (most repositories have no org
        or repository policy file, and this saves a call per event); a file added meanwhile counts after that.
        With the App's shared cache every process remembers what one of them found missing; found files are
        shared through the ETag cache (each read is a conditional request: a 304 is free).
        """
        if reads is not None:
            answered, blob = await reads.file(ref.owner, ref.repo, ref.path, at)
            if answered:
                return _File(blob.text, blob.sha) if blob is not None else None
        key = (*ref.key, at)
        shared = api.app.cache
        shared_key = f"policy-absent:{api.installation_id}:{'/'.join(ref.key)}@{at or ''}"
        if shared is not None and shared.get(shared_key) is True:
            return None
        missing_since = self._absent.get(key)
        if missing_since is not None and self._clock() - missing_since < self._absent_ttl:
            return None
        try:
            found = await api.get_content(ref.owner, ref.repo, ref.path, at)
        except (NotFound, Forbidden):
            found = None  # another org's repository, or one outside the installation's selection
        except Reschedulable:
            raise  # GitHub unreachable or limiting us: the job runs again later, the policy is not "unreadable"
        except GitHubError as exc:
            if exc.status is not None:
                raise
            return _File("", f"unreadable:{ref}", problem=f"cannot read the file: {exc}")
        if found is None:
            if len(self._absent) >= self._max:
                self._absent.clear()
            self._absent[key] = self._clock()
            if shared is not None:
                shared.set(shared_key, True, self._absent_ttl)
            return None
        self._absent.pop(key, None)
        return _File(found[0], found[1])

    def _parse(self, file: _File, source: str) -> Layer:
        key = (source, file.sha)
        layer = self._layers.get(key)
        if layer is None:
            layer = (
                Layer(source, None, issues=(PolicyIssue(source, 1, 1, file.problem),))
                if file.problem
                else parse_layer(file.text, source)
            )
            self._layers[key] = layer
            while len(self._layers) > self._max:
                self._layers.popitem(last=False)
        else:
            self._layers.move_to_end(key)
        return layer

    def _build(self, layers: Sequence[tuple[Layer, str]], org_layers: int) -> PolicyResult:
        key = (*((layer.source, sha) for layer, sha in layers), ("org layers", str(org_layers)))
        result = self._built.get(key)
        if result is None:
            result = build_policy([layer for layer, _ in layers], signals=self.signals, org_layers=org_layers)
            self._built[key] = result
            while len(self._built) > self._max:
                self._built.popitem(last=False)
        else:
            self._built.move_to_end(key)
        return result


def _source(ref: ExtendsRef, home: ExtendsRef) -> str:
    """How issues name a file: the repository's own by its path, any other as `owner/repo:path`."""
    return ref.path if ref.key == home.key else str(ref)
