"""Analyse one Python file from one `ast.parse`: metrics, imports, classes and metric findings.

A file that cannot be analysed never raises: bad encoding, NUL bytes and syntax errors become a
CR-PARSE-001 finding, nesting too deep for the parser or the interpreter CR-PARSE-002, and a
file over its time budget CR-PARSE-003; `FileAnalysis.error` then says why.

The cyclic garbage collector is paused while one file is analysed: the hundreds of thousands of
AST nodes a large file allocates hold no reference cycles, yet trigger collections that scan
them all again and again (about a quarter of the parse time on Django's sources).
"""

from __future__ import annotations

import ast
import codecs
import io
import math
import time
import tokenize
import warnings

from coderev.analysis.budget import FileBudgetExceededError, TimeBudget
from coderev.analysis.collector import collector_paused
from coderev.analysis.python_metrics import collect
from coderev.analysis.raw_lines import count_raw_lines
from coderev.analysis.thresholds import threshold_findings
from coderev.domain.code import FileAnalysis
from coderev.domain.config import Thresholds
from coderev.domain.findings import Category, Finding, Severity, fingerprint
from coderev.domain.metrics import FileMetrics

SYNTAX_ERROR = "CR-PARSE-001"
TOO_DEEP = "CR-PARSE-002"
TIME_BUDGET = "CR-PARSE-003"

# Below this size a file parses in a few milliseconds and the walkers' own deadline checks are
# budget enough; the interval timer (a handful of system calls) is armed only above it.
_SIGNAL_ABOVE_BYTES = 32_768
# CPython reports nesting beyond its parser's limits as SyntaxErrors with these texts.
_DEPTH_MESSAGES = ("too many levels of indentation", "too many nested", "too complex")


class _ParseFailure(Exception):
    def __init__(self, rule_id: str, message: str, line: int) -> None:
        self.rule_id = rule_id
        self.message = message
        self.line = line
        super().__init__(message)


def mi_compute(volume: float, complexity: int, lloc: int, comment_percent: float) -> float:
    """radon's maintainability index formula (radon.metrics.mi_compute), 0..100.

    Written out rather than imported: radon is a test-only reference here, not a runtime
    dependency. Note radon feeds it the *logical* line count where the formula says SLOC.
    """
    if volume <= 0 or lloc <= 0:
        return 100.0
    comments_scale = math.sqrt(2.46 * math.radians(comment_percent))
    raw = (
        171
        - 5.2 * math.log(volume)
        - 0.23 * complexity
        - 16.2 * math.log(lloc)
        + 50 * math.sin(comments_scale)
    )
    return min(max(0.0, raw * 100 / 171.0), 100.0)


def decode_source(data: bytes) -> str:
    """The text of a Python file: PEP 263 cookie or BOM, else UTF-8. Raises _ParseFailure."""
    try:
        first = data.find(b"\n")
        second = data.find(b"\n", first + 1) if first >= 0 else -1
        head = data if second < 0 else data[:second]
        if data.startswith(codecs.BOM_UTF8) or b"coding" in head:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        else:  # no BOM, no cookie in the first two lines: PEP 3120's UTF-8
            encoding = "utf-8"
        return data.decode(encoding)
    except (SyntaxError, LookupError) as exc:
        raise _ParseFailure(SYNTAX_ERROR, f"bad source encoding: {exc}", 1) from None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _ParseFailure(
            SYNTAX_ERROR,
            f"not valid {exc.encoding} and no coding declaration says otherwise",
            line,
        ) from None


def _quiet() -> warnings.catch_warnings[None]:
    """The compiler's and tokenizer's SyntaxWarnings about the reviewed code (an invalid
    escape sequence in a string, `is` with a literal) unsaid: they went to the user's terminal,
    a line each, from every worker (Black's test data: 40 lines under `--quiet`), and ruff
    reports the same code (W605, F632) as findings where its rules are selected."""
    return warnings.catch_warnings(action="ignore", category=SyntaxWarning)


def _parse(text: str, path: str) -> ast.Module:
    try:
        return ast.parse(text, filename=path)
    except SyntaxError as exc:
        msg = exc.msg or "invalid syntax"
        rule = TOO_DEEP if any(m in msg for m in _DEPTH_MESSAGES) else SYNTAX_ERROR
        raise _ParseFailure(rule, msg, exc.lineno or 1) from None
    except ValueError as exc:  # NUL bytes on interpreters older than 3.12
        raise _ParseFailure(SYNTAX_ERROR, str(exc), 1) from None
    except (RecursionError, MemoryError):
        raise _ParseFailure(TOO_DEEP, "nested too deeply for the Python parser", 1) from None


_HINTS = {
    SYNTAX_ERROR: "Fix the syntax (or the encoding: save as UTF-8 or add a `# -*- coding: ... -*-` "
    "line); until it parses, nothing else in this file is reviewed.",
    TOO_DEEP: "Flatten the nesting: split the expression or block into named parts; if the file is "
    "generated, exclude it with [tool.coderev] exclude.",
    TIME_BUDGET: "Split the file, or exclude it with [tool.coderev] exclude if it is generated; "
    "CODEREV_FILE_BUDGET_SECONDS raises the budget.",
}
_NAMES = {SYNTAX_ERROR: "syntax-error", TOO_DEEP: "too-deep", TIME_BUDGET: "time-budget"}


def _failed(
    path: str, data: bytes, failure: _ParseFailure, parse_s: float, total_s: float
) -> FileAnalysis:
    finding = Finding(
        rule_id=failure.rule_id,
        severity=Severity.HIGH if failure.rule_id == SYNTAX_ERROR else Severity.MEDIUM,
        category=Category.BUG_RISK if failure.rule_id == SYNTAX_ERROR else Category.MAINTAINABILITY,
        path=path,
        line=max(failure.line, 1),
        message=f"{_NAMES[failure.rule_id]}: {failure.message}",
        fix_hint=_HINTS[failure.rule_id],
        fingerprint=fingerprint(failure.rule_id, path, _NAMES[failure.rule_id]),
        extra={"rule_name": _NAMES[failure.rule_id]},
    )
    return FileAnalysis(
        path=path,
        language="python",
        size=len(data),
        metrics=None,
        imports=(),
        classes=(),
        findings=(finding,),
        parse_seconds=parse_s,
        analysis_seconds=total_s,
        error=finding.message,
    )


def analyze_python_file(
    path: str, data: bytes, thresholds: Thresholds, budget_seconds: float = 10.0
) -> FileAnalysis:
    """Everything coderev learns from one Python file, from a single parse. Never raises."""
    start = time.perf_counter()
    parse_s = 0.0
    try:
        timer = len(data) > _SIGNAL_ABOVE_BYTES
        with collector_paused(), _quiet(), TimeBudget(budget_seconds, use_signal=timer) as budget:
            text = decode_source(data)
            tree = _parse(text, path)
            parse_s = time.perf_counter() - start
            try:
                raw = count_raw_lines(text, budget.check)
            except (tokenize.TokenError, SyntaxError) as exc:
                raise _ParseFailure(SYNTAX_ERROR, f"cannot tokenize: {exc}", 1) from None
            facts = collect(tree, raw.code_lines, budget.check)
            del tree
    except _ParseFailure as failure:
        return _failed(path, data, failure, parse_s, time.perf_counter() - start)
    except FileBudgetExceededError as exc:
        over = _ParseFailure(TIME_BUDGET, str(exc), 1)
        return _failed(path, data, over, parse_s, time.perf_counter() - start)
    except (RecursionError, MemoryError):
        deep = _ParseFailure(TOO_DEEP, "nested too deeply to analyse", 1)
        return _failed(path, data, deep, parse_s, time.perf_counter() - start)
    comment_percent = (raw.comments + raw.multi) / raw.sloc * 100 if raw.sloc else 0.0
    metrics = FileMetrics(
        loc=raw.loc,
        sloc=raw.sloc,
        lloc=raw.lloc,
        comments=raw.comments,
        multi=raw.multi,
        blank=raw.blank,
        maintainability_index=mi_compute(
            facts.halstead_volume, facts.total_complexity, raw.lloc, comment_percent
        ),
        complexity=facts.total_complexity,
        functions=facts.functions,
    )
    findings = threshold_findings(path, text.splitlines(), metrics, thresholds)
    return FileAnalysis(
        path=path,
        language="python",
        size=len(data),
        metrics=metrics,
        imports=facts.imports,
        classes=facts.classes,
        findings=tuple(findings),
        parse_seconds=parse_s,
        analysis_seconds=time.perf_counter() - start,
    )
