"""The offline reviewer: review comments from findings and metrics by rules, no API key.

Findings are grouped (see grouping), each group becomes one comment with why it matters and a
concrete suggestion naming the function, module or import edge, then comments are ranked and
capped (see ranking) and a markdown summary is written. Only groups that pass the posting
bar (see posting) become comments; the rest stay in the report's tables. A rule's texts come
from the rule catalogue (coderev.rules), written for that rule alone: a vetted rule gets its why and
suggestion; an unvetted ruff rule gets ruff's own description and ruff's fix, if it has one,
never advice of coderev's invention. No comment says the same sentence twice (see repetition).
Function-metric comments merge the aspect texts of guidance.toml.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from coderev.domain.architecture import ArchitectureResult
from coderev.domain.findings import Finding
from coderev.domain.metrics import FunctionMetrics
from coderev.domain.review import Review, ReviewComment
from coderev.review.grouping import (
    FindingGroup,
    GroupKind,
    group_findings,
    merge_patterns,
    metric_aspect,
)
from coderev.review.guidance import GuidanceBook, default_guidance, render
from coderev.review.posting import PostingPolicy, far_past, precision_rank, worth_posting
from coderev.review.ranking import (
    DEFAULT_MAX_PER_FILE,
    DEFAULT_MAX_TOTAL,
    cap_comments,
    rank_comments,
)
from coderev.review.reviewer import ReviewInput
from coderev.review.summary import write_summary
from coderev.rules import Catalogue, Origin, Precision, default_catalogue
from coderev.rules.repetition import without_repeats

_LINES_SHOWN = 12
_PLACES_SHOWN = 8
_ASPECT_ORDER = ("complexity", "length", "parameters", "nesting")


class OfflineReviewer:
    """Rule-based reviewer; the default, and the fallback when no AI model is available."""

    name = "offline"

    def __init__(
        self,
        max_per_file: int = DEFAULT_MAX_PER_FILE,
        max_total: int = DEFAULT_MAX_TOTAL,
        guidance: GuidanceBook | None = None,
        catalogue: Catalogue | None = None,
        posting: PostingPolicy = worth_posting,
    ) -> None:
        self.max_per_file = max_per_file
        self.max_total = max_total
        self.posting = posting
        self._guidance = guidance
        self._catalogue = catalogue

    @property
    def guidance(self) -> GuidanceBook:
        return self._guidance or default_guidance()

    @property
    def catalogue(self) -> Catalogue:
        return self._catalogue or default_catalogue()

    def review(self, subject: ReviewInput) -> Review:
        modules = _modules_by_path(subject.architecture)
        groups = merge_patterns(group_findings(subject.findings, subject.files))
        posting = [self.posting(g, self.catalogue, subject.has_baseline) for g in groups]
        posted = [g for g, post in zip(groups, posting, strict=True) if post]
        comments = [self.comment(g, modules) for g in posted]
        held_back = len(subject.findings) - sum(len(g.findings) for g in posted)
        ranked = rank_comments(comments, subject.findings, subject.files, self._confidence)
        kept, dropped = cap_comments(ranked, self.max_per_file, self.max_total)
        return Review(
            reviewer=self.name,
            summary=write_summary(subject, ranked, held_back=held_back),
            comments=tuple(kept),
            truncated=dropped,
        )

    def _confidence(self, findings: Sequence[Finding]) -> int:
        """How sure a comment is: its best rule's precision, and above any rule a function
        far past a threshold (a measured fact: complexity 94 needs no second opinion)."""
        if any(far_past(f) for f in findings):
            return precision_rank(Precision.VERY_HIGH) + 1
        rules = {f.rule_id for f in findings}
        return max((precision_rank(self.catalogue.rule(r).precision) for r in rules), default=0)

    def comment(self, group: FindingGroup, modules: Mapping[str, str]) -> ReviewComment:
        """One review comment about `group`."""
        if group.kind is GroupKind.FUNCTION and group.function is not None:
            title, why, suggestion = self._function_texts(group, group.function)
        elif group.kind is GroupKind.ARCHITECTURE:
            title, why, suggestion = self._architecture_texts(group, modules)
        elif group.kind is GroupKind.PATTERN:
            title, why, suggestion = self._pattern_texts(group)
        else:
            title, why, suggestion = self._rule_texts(group)
        title, why, suggestion = without_repeats((title, why, suggestion))
        return ReviewComment(
            path=group.path, line=group.line, severity=group.severity, category=group.category,
            title=title, why=why, suggestion=suggestion, fingerprints=group.fingerprints,
            role=group.lead.role,
        )

    def _rule_texts(self, group: FindingGroup) -> tuple[str, str, str]:
        lead = group.lead
        entry = self.catalogue.rule(lead.rule_id)
        n = len(group.findings)
        if n == 1:
            title = f"{lead.rule_id}: {lead.message}"
        else:
            title = f"{lead.rule_id} x{n} ({_line_list(group.lines)}): {lead.message}"
        hints = list(dict.fromkeys(f.fix_hint for f in group.findings if f.fix_hint))
        if entry.origin is Origin.CODEREV:
            # coderev's own finders write hints for the case at hand; the entry is the general rule
            suggestion = " ".join(_sentence(h) for h in hints[:3]) or entry.suggestion
        elif entry.vetted:
            context = "package-init" if group.path.endswith("__init__.py") else None
            suggestion = self.catalogue.suggestion(lead.rule_id, context)
            if all(f.extra.get("fix_applicability") == "safe" for f in group.findings):
                suggestion += " `ruff check --fix` makes this change safely."
        else:
            # ruff's own fix messages, never invented advice; else where ruff documents the rule
            suggestion = " ".join(_sentence(h) for h in hints[:3])
            if not suggestion and entry.help_uri:
                suggestion = f"ruff documents the rule and its fix at {entry.help_uri}"
        fn = group.function
        if fn is not None and suggestion:
            suggestion = f"In `{fn.qualname}`, {_uncapitalised(suggestion)}"
        why = entry.why or entry.title
        return title, why, suggestion

    def _pattern_texts(self, group: FindingGroup) -> tuple[str, str, str]:
        """One comment for a rule the project follows in many files: the rule's own texts, and
        every place (file and lines), so the decision is reviewed once."""
        lead = group.lead
        entry = self.catalogue.rule(lead.rule_id)
        paths = group.paths
        title = (f"{lead.rule_id} in {len(paths)} files ({len(group.findings)} places): "
                 f"{entry.title if entry.vetted else lead.message}")  # fmt: skip
        lines: dict[str, list[int]] = {}
        for f in group.findings:
            lines.setdefault(f.path, []).append(f.line)
        shown = [f"{p} ({_line_list(sorted(set(lines[p])))})" for p in paths[:_PLACES_SHOWN]]
        more = f" and {len(paths) - _PLACES_SHOWN} more files" if len(paths) > _PLACES_SHOWN else ""
        why = (f"{entry.why or entry.title} The same construct recurs across the project, so it "
               "is one decision, best reviewed once for all its places.")  # fmt: skip
        suggestion = self.catalogue.suggestion(lead.rule_id, None) if entry.vetted else ""
        suggestion = (suggestion + " " if suggestion else "") + (
            "Check each place: " + "; ".join(shown) + more + "."
        )
        return title, why, suggestion

    def _architecture_texts(
        self, group: FindingGroup, modules: Mapping[str, str]
    ) -> tuple[str, str, str]:
        lead = group.lead
        entry = self.catalogue.rule(lead.rule_id)
        chain, contracts = lead.extra.get("chain"), lead.extra.get("contracts")
        if chain and contracts:
            title = f"Contract {contracts} broken: {chain}"
        else:
            title = _sentence_case(lead.message)
        module = modules.get(group.path)
        suggestion = lead.fix_hint or (
            f"In {module}: {entry.suggestion}" if module else entry.suggestion
        )
        return title, entry.why, suggestion

    def _function_texts(
        self, group: FindingGroup, fn: FunctionMetrics
    ) -> tuple[str, str, str]:
        """One comment for a function's metric findings. Each piece of advice is given only
        when it applies: the keyword-only step only when some optional parameter can still be
        passed by position."""
        found = {a for f in group.findings if (a := metric_aspect(f)) is not None}
        if len(found) > 1:
            # A function posted for its size is not told to change its signature: a long
            # signature is often a public API that cannot change (the finding stays listed).
            found.discard("parameters")
        aspects = [a for a in _ASPECT_ORDER if a in found]
        measured = {
            "complexity": (fn.complexity, f"complexity {fn.complexity}"),
            "length": (fn.length, f"{fn.length} logical lines"),
            "parameters": (fn.parameters, f"{fn.parameters} parameters"),
            "nesting": (fn.nesting, f"nesting depth {fn.nesting}"),
        }
        name = f"`{fn.qualname}`"
        title = f"{name} is hard to maintain: " + (
            ", ".join(measured[a][1] for a in aspects) or group.lead.message
        )
        advice: list[tuple[str, int]] = [(a, measured[a][0]) for a in aspects]
        if "parameters" in found and fn.optional_positional:
            advice.append(("keyword_only", fn.optional_positional))
        whys, steps = [], []
        guards = _guard_lines(fn)
        for aspect, value in advice:
            if aspect == "nesting" and guards:
                aspect = "nesting_guards"
            text = self.guidance.for_aspect(aspect)
            if text is not None:
                values = {
                    "function": name, "value": value, "path": group.path,
                    "lines": guards, "flat": fn.flat_nesting,
                }  # fmt: skip
                whys.append(render(text.why, values))
                steps.append(render(text.suggestion, values))
        if not whys:  # no aspect recognised: fall back to the rule's catalogue entry
            entry = self.catalogue.rule(group.lead.rule_id)
            whys = [_uncapitalised(entry.why or group.lead.message).rstrip(".")]
            steps = [_uncapitalised(entry.suggestion or group.lead.fix_hint).rstrip(".")]
        why = f"{name} is hard to change safely: " + "; ".join(whys) + "."
        suggestion = f"In {name} ({group.path} line {fn.line}): " + "; ".join(steps) + "."
        return title, why, suggestion


def _guard_lines(fn: FunctionMetrics) -> str:
    """`line 143` / `lines 143, 155`: the `if`s a guard clause would replace, when doing so
    lowers the function's nesting; "" otherwise."""
    if fn.flat_nesting is None or fn.flat_nesting >= fn.nesting or not fn.guard_lines:
        return ""
    return _line_list(fn.guard_lines)


def _modules_by_path(architecture: ArchitectureResult) -> dict[str, str]:
    return {m.path: m.name for m in architecture.modules if m.path}


def _line_list(lines: Sequence[int]) -> str:
    shown = ", ".join(str(n) for n in lines[:_LINES_SHOWN])
    more = f" and {len(lines) - _LINES_SHOWN} more" if len(lines) > _LINES_SHOWN else ""
    return ("line " if len(lines) == 1 else "lines ") + shown + more


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _uncapitalised(text: str) -> str:
    return text[:1].lower() + text[1:]


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]
