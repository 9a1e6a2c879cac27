"""report.html at the scale of a large project: bounded, wrapped, grouped, sortable, drawable.

The project is generated (60 packages, test packages, a package nothing touches, an import
cycle across two packages) and reviewed by the real pipeline; file roles are set explicitly,
as the role classifier would.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from coderev.analysis.archive import read_source
from coderev.domain.findings import Category, Finding, Severity, fingerprint
from coderev.domain.report import ReviewResult
from coderev.domain.roles import FileRole
from coderev.pipeline.options import ReviewOptions
from coderev.pipeline.run import run_review
from coderev.reports import render_reports
from coderev.reports.graph_svg import render_svg
from coderev.reports.html_page import COMPACT_ROWS, FULL_ROWS
from coderev.reports.package_graph import package_graph

SVG = "{http://www.w3.org/2000/svg}"
# Widest advance of a common monospace font (Courier New 0.60 em, DejaVu Sans Mono 0.602 em,
# Consolas 0.55 em, Menlo 0.602 em) at the graph's 12 px, with a margin
MONO_ADVANCE = 0.62 * 12


def _write(root: Path, path: str, text: str = "") -> None:
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)


@pytest.fixture(scope="module")
def big_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("big")
    _write(root, "big/__init__.py")
    for i in range(60):
        _write(root, f"big/p{i:02d}/__init__.py")
        # package i imports the (i % 7) packages after it: coupling varies from package to package
        imports = "".join(f"import big.p{j:02d}.m\n" for j in range(i + 1, min(60, i + 1 + i % 7)))
        _write(root, f"big/p{i:02d}/m.py", imports)
    # an import cycle across two packages
    _write(root, "big/p03/loop.py", "import big.p04.loop\n")
    _write(root, "big/p04/loop.py", "import big.p03.loop\n")
    # a cycle closed only by an import inside a function: importing never fails on it
    _write(root, "big/p05/lazy.py", "def f():\n    import big.p06.lazy\n")
    _write(root, "big/p06/lazy.py", "import big.p05.lazy\n")
    _write(root, "big/island/__init__.py")
    _write(root, "big/island/alone.py", "X = 1\n")
    _write(root, "big/a_package_with_a_name_long_enough_to_need_a_wide_box/__init__.py",
           "import big.p10.m\n")  # fmt: skip
    for name in ("tests_api", "tests_core"):
        _write(root, f"{name}/__init__.py")
        _write(root, f"{name}/test_it.py", "import big.p00.m\nimport big.p01.m\n")
    # tests and product code in one package: not a test package
    _write(root, "mixed/__init__.py")
    _write(root, "mixed/test_x.py", "import big.p02.m\n")
    _write(root, "mixed/y.py", "import big.p02.m\n")
    return root


def _role(path: str) -> FileRole:
    name = path.rsplit("/", 1)[-1]
    return (
        FileRole.TEST if path.startswith("tests_") or name.startswith("test_") else FileRole.SOURCE
    )


@pytest.fixture(scope="module")
def big_result(big_project: Path) -> ReviewResult:
    result = run_review(read_source(big_project), ReviewOptions(jobs=1, source_root=big_project))
    return replace(
        result,
        files=tuple(replace(f, role=_role(f.path)) for f in result.files),
        findings=tuple(replace(f, role=_role(f.path)) for f in result.findings),
    )


def _findings(n: int, role: FileRole, severity: Severity = Severity.LOW) -> tuple[Finding, ...]:
    prefix = "tests_api" if role is FileRole.TEST else "big/p00"
    return tuple(
        Finding(
            rule_id="F401",
            severity=severity,
            category=Category.BUG_RISK,
            path=f"{prefix}/deeply/nested/module_{i:05d}.py",
            line=i + 1,
            message=f"`os` imported but unused ({i:05d})",
            fix_hint="Remove the import",
            fingerprint=fingerprint("F401", f"{role}{i}", "import os"),
            role=role,
        )
        for i in range(n)
    )


def _html(result: ReviewResult) -> str:
    return render_reports(result, ("html",))["html"]


# -- the summary: Markdown rendered, escaped ------------------------------------------------------


def _summary_div(html: str) -> str:
    start = html.index('<div class="summary">')
    return html[start : html.index("</div>", start)]


def test_summary_markdown_is_rendered_as_html(sample_result: ReviewResult) -> None:
    assert "### Top risks" in sample_result.review.summary  # what the reviewer writes
    summary = _summary_div(_html(sample_result))
    assert "<h3>Top risks</h3>" in summary
    assert "<strong>high</strong>" in summary
    assert "###" not in summary and "**" not in summary


def test_summary_markdown_cannot_inject_html(sample_result: ReviewResult) -> None:
    hostile = (
        "**bold** <script>alert(1)</script> <img src=x onerror=alert(2)> "
        "[click](javascript:alert(3)) `<b>code</b>`"
    )
    review = replace(sample_result.review, summary=hostile)
    summary = _summary_div(_html(replace(sample_result, review=review)))
    assert "<strong>bold</strong>" in summary
    assert "<script" not in summary and "<img" not in summary and "<b>" not in summary
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in summary
    assert 'href="javascript' not in summary
    assert "<code>&lt;b&gt;code&lt;/b&gt;</code>" in summary


def test_a_finding_message_with_a_script_stays_inert(sample_result: ReviewResult) -> None:
    evil = replace(
        _findings(1, FileRole.SOURCE)[0], message="<script>alert(1)</script>", fix_hint="**x**"
    )
    html = _html(replace(sample_result, findings=(evil,)))
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "**x**" in html  # a message is text, not Markdown


def test_a_finding_shows_its_backtick_spans_as_code_and_nothing_else(
    sample_result: ReviewResult,
) -> None:
    finding = replace(
        _findings(1, FileRole.SOURCE)[0],
        message="`subprocess` call with `shell=True` in Command.__init__(*args, **kwargs)",
        fix_hint="Pass `[cmd, arg]` <b>not</b> a string",
    )
    html = _html(replace(sample_result, findings=(finding,)))
    assert (
        "<code>subprocess</code> call with <code>shell=True</code> in "
        "Command.__init__(*args, **kwargs)" in html
    )
    assert "Pass <code>[cmd, arg]</code> &lt;b&gt;not&lt;/b&gt; a string" in html


# -- the findings table wraps -------------------------------------------------------------------


def _css_rules(html: str) -> dict[str, str]:
    css = html[html.index("<style>") + 7 : html.index("</style>")]
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    rules: dict[str, str] = {}
    for media, body in re.findall(r"(@media[^{]*)\{((?:[^{}]*\{[^}]*\})*)\s*\}", css):
        for selectors, decls in re.findall(r"([^{}]+)\{([^}]*)\}", body):
            for sel in selectors.split(","):
                key = f"{media.strip()} {sel.strip()}"
                rules[key] = rules.get(key, "") + ";" + decls
    css = re.sub(r"@media[^{]*\{(?:[^{}]*\{[^}]*\})*\s*\}", "", css)
    for selectors, decls in re.findall(r"([^{}]+)\{([^}]*)\}", css):
        for sel in selectors.split(","):
            rules[sel.strip()] = rules.get(sel.strip(), "") + ";" + decls
    return rules


def test_findings_table_wraps_long_paths_messages_and_code(sample_result: ReviewResult) -> None:
    long_path = "src/" + "/".join(f"very_long_directory_name_{i}" for i in range(8)) + "/m.py"
    unbroken = "x" * 400  # a message with no space to wrap at
    finding = replace(_findings(1, FileRole.SOURCE)[0], path=long_path, message=unbroken)
    html = _html(replace(sample_result, findings=(finding,)))
    rules = _css_rules(html)
    # fixed layout: columns take the table's width, not their content's
    assert "table-layout:fixed" in rules["table.findings"]
    assert "width:100%" in rules["table"]
    # a cell's text, and code inside it, may break anywhere when it has no better place
    assert "overflow-wrap:anywhere" in rules["table.findings td"]
    assert "overflow-wrap:anywhere" in rules["table.findings code"]
    assert "white-space:pre-wrap" in rules["code"]
    # on a phone each finding is a block, not a row of six columns
    phone = "@media (max-width:700px)"
    assert "display:block" in rules[f"{phone} table.findings td"]
    assert "display:none" in rules[f"{phone} table.findings thead"]
    # a path breaks at its slashes before anywhere else
    assert "very_long_directory_name_0/<wbr>very_long_directory_name_1/<wbr>" in html
    row = re.search(r'<table class="findings full">.*?</table>', html, re.S)
    assert row is not None and unbroken in row.group(0)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html


# -- what the page embeds is bounded ------------------------------------------------------------


def _rows(html: str, kind: str, role: str) -> int:
    section = re.search(
        rf'<details class="findings-group" data-role="{role}".*?</details>', html, re.S
    )
    assert section is not None, role
    tables = re.findall(rf'<table class="findings {kind}">(.*?)</table>', section.group(0), re.S)
    return sum(t.count("<tr data-severity=") for t in tables)


def test_findings_beyond_the_first_are_compact_and_the_rest_left_out_with_a_note(
    sample_result: ReviewResult,
) -> None:
    many = _findings(2000, FileRole.SOURCE) + _findings(150, FileRole.TEST, Severity.HIGH)
    html = _html(replace(sample_result, findings=many))
    assert _rows(html, "full", "source") == FULL_ROWS
    assert _rows(html, "compact", "source") == COMPACT_ROWS
    assert _rows(html, "full", "test") == FULL_ROWS
    assert _rows(html, "compact", "test") == 50
    left_out = 2000 - FULL_ROWS - COMPACT_ROWS
    assert f"<b>{left_out} more are not in this page</b>" in html
    assert f"{left_out} more findings in source code are not in this page" in html
    assert "report.json" in html
    # source code first and open; tests after it, closed
    assert re.search(r'data-role="source" open>.*data-role="test">', html, re.S)
    # compact rows carry no fix hint
    compact = html[html.index('<table class="findings compact">') :]
    assert 'class="hint"' not in compact[: compact.index("</table>")]


def test_page_size_does_not_grow_with_the_number_of_findings(sample_result: ReviewResult) -> None:
    sizes = [
        len(_html(replace(sample_result, findings=_findings(n, FileRole.SOURCE))))
        for n in (FULL_ROWS + COMPACT_ROWS, 20_000)
    ]
    assert sizes[1] - sizes[0] < 2_000  # only the note and its counts differ


def test_file_table_lists_only_files_with_findings(big_result: ReviewResult) -> None:
    finding = replace(_findings(1, FileRole.SOURCE)[0], path="big/p07/m.py")
    html = _html(replace(big_result, findings=(finding,)))
    files = html[html.index('<section id="files"') :]
    assert "big/<wbr>p07/<wbr>m.py" in files
    assert "big/<wbr>p08/<wbr>m.py" not in files
    assert f"{len(big_result.files) - 1} of {len(big_result.files)} files have no findings" in files


# -- the coupling table: sortable, grouped by role and coupling -----------------------------------


class _CouplingTables(HTMLParser):
    """Each coupling table: its group, whether it sits in an open <details>, its rows, headers."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict[str, object]] = []
        self._details: list[bool] = []
        self._cell: list[str] | None = None
        self._row: list[str] = []
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "details":
            self._details.append("open" in a)
        elif tag == "table" and "coupling" in (a.get("class") or ""):
            closed = any(not is_open for is_open in self._details)
            self.tables.append(
                {"group": a["data-group"], "collapsed": closed, "rows": [], "sorts": []}
            )
            self._inside = True
        elif self._inside and tag == "th":
            sorts = self.tables[-1]["sorts"]
            assert isinstance(sorts, list)
            sorts.append(a.get("data-sort"))
        elif self._inside and tag == "td":
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "details":
            self._details.pop()
        elif tag == "table":
            self._inside = False
        elif tag == "td" and self._cell is not None:
            self._row.append("".join(self._cell))
            self._cell = None
        elif tag == "tr" and self._inside and self._row:
            rows = self.tables[-1]["rows"]
            assert isinstance(rows, list)
            rows.append(self._row)
            self._row = []

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _coupling(html: str) -> list[dict[str, object]]:
    parser = _CouplingTables()
    parser.feed(html)
    return parser.tables


def test_coupling_table_groups_test_and_uncoupled_packages_collapsed(
    big_result: ReviewResult,
) -> None:
    tables = _coupling(_html(big_result))
    assert [(t["group"], t["collapsed"]) for t in tables] == [
        ("coupled", False),
        ("test", True),
        ("uncoupled", True),
    ]
    names = {str(t["group"]): [r[0] for r in t["rows"]] for t in tables}  # type: ignore[attr-defined]
    assert sorted(names["test"]) == ["tests_api", "tests_core"]
    assert "mixed" in names["coupled"]  # one test file and one product file: not a test package
    assert "big.island" in names["uncoupled"]
    coupled = tables[0]["rows"]
    assert isinstance(coupled, list)
    weights = [int(r[2]) + int(r[3]) for r in coupled]
    assert weights == sorted(weights, reverse=True)  # most coupled first, without script


def test_without_roles_no_package_is_a_test_package(big_result: ReviewResult) -> None:
    all_source = replace(
        big_result, files=tuple(replace(f, role=FileRole.SOURCE) for f in big_result.files)
    )
    groups = [t["group"] for t in _coupling(_html(all_source))]
    assert groups == ["coupled", "uncoupled"]


def test_coupling_table_is_sortable_by_every_column(big_result: ReviewResult) -> None:
    html = _html(big_result)
    for table in _coupling(html):
        assert table["sorts"] == ["text", "num", "num", "num", "num", "num", "num"]
    assert html.count('<table class="sortable coupling"') == 3
    script = html[html.rindex("<script>") : html.rindex("</script>")]
    assert "table.sortable" in script and "aria-sort" in script


# -- the graph: limited, summarised, labels that fit, cycles red ---------------------------------


def test_graph_draws_the_most_coupled_packages_and_every_cyclic_one(
    big_result: ReviewResult,
) -> None:
    arch = big_result.architecture
    graph = package_graph(arch, max_nodes=12)
    assert {"big.p03", "big.p04"} <= graph.cyclic_nodes <= set(graph.nodes)
    assert len(graph.nodes) == 12
    coupling = {p.package: p.afferent + p.efferent for p in arch.package_metrics}
    others = [n for n in graph.nodes if n not in graph.cyclic_nodes]
    left_out = {p.package for p in arch.package_metrics if p.package not in graph.nodes} - {
        "big"
    }  # `big` holds everything: its modules are drawn under their own packages
    assert min(coupling[n] for n in others) >= max(coupling[p] for p in left_out)
    packages = {m.name for m in arch.modules if m.is_package}
    assert graph.omitted == len(packages) - len(graph.nodes)
    svg = render_svg(graph)
    assert f"+{graph.omitted} packages not shown" in svg
    html = render_reports(big_result, ("html",))["html"]
    assert re.search(r"<b>\+\d+ packages not shown</b>", html)


def test_packages_on_a_cycle_are_drawn_even_beyond_the_limit(big_result: ReviewResult) -> None:
    graph = package_graph(big_result.architecture, max_nodes=1)
    assert set(graph.nodes) == {"big.p03", "big.p04"}
    assert graph.cyclic_edges == {("big.p03", "big.p04"), ("big.p04", "big.p03")}


def _svg(big_result: ReviewResult, max_nodes: int) -> ET.Element:
    return ET.fromstring(render_svg(package_graph(big_result.architecture, max_nodes)))


def test_every_label_fits_its_box_and_every_box_the_drawing(big_result: ReviewResult) -> None:
    for max_nodes in (5, 30, 80):
        root = _svg(big_result, max_nodes)
        width, height = (float(v) for v in root.get("viewBox", "").split()[2:])
        assert (width, height) == (float(root.get("width", 0)), float(root.get("height", 0)))
        boxes = []
        for g in root.iter(f"{SVG}g"):
            rect, text = g.find(f"{SVG}rect"), g.find(f"{SVG}text")
            assert rect is not None and text is not None and text.text
            x, y, w, h = (float(rect.get(k, 0)) for k in ("x", "y", "width", "height"))
            tx = float(text.get("x", 0))
            assert x <= tx and tx + len(text.text) * MONO_ADVANCE <= x + w, text.text
            assert x >= 0 and x + w <= width and y >= 0 and y + h <= height, text.text
            if "node" in g.get("class", ""):
                boxes.append((x, y, w, h, text.text))
        for i, (x1, y1, w1, h1, a) in enumerate(boxes):  # no box hides another's label
            for x2, y2, w2, h2, b in boxes[i + 1 :]:
                apart = x1 + w1 <= x2 or x2 + w2 <= x1 or y1 + h1 <= y2 or y2 + h2 <= y1
                assert apart, (a, b)
    labels = [t.text for t in _svg(big_result, 80).iter(f"{SVG}text")]
    assert "big.a_package_with_a_name_long_enough_to_need_a_wide_box" in labels  # whole


def test_cycles_are_red_in_the_graph(big_result: ReviewResult) -> None:
    root = _svg(big_result, 30)
    red_nodes = {
        g.get("data-package") for g in root.iter(f"{SVG}g") if "cyclic" in g.get("class", "")
    }
    red_edges = {
        (p.get("data-from"), p.get("data-to"))
        for p in root.iter(f"{SVG}path")
        if "cyclic" in p.get("class", "")
    }
    assert red_nodes == {"big.p03", "big.p04"}
    assert red_edges == {("big.p03", "big.p04"), ("big.p04", "big.p03")}
    for p in root.iter(f"{SVG}path"):
        if "edge" in p.get("class", ""):
            red = "cyclic" in p.get("class", "")
            assert (p.get("stroke") in ("#d22", "#8b0000")) is red  # red, or the cut's dark red


def test_only_import_time_cycles_are_red_and_their_cut_is_dashed(big_result: ReviewResult) -> None:
    arch = big_result.architecture
    assert [c.kind.value for c in arch.other_cycles] == ["deferred"]
    graph = package_graph(arch, max_nodes=80)
    assert not {"big.p05", "big.p06"} & graph.cyclic_nodes
    (cycle,) = arch.cycles
    (cut,) = cycle.cut
    pair = (cut.source.rpartition(".")[0], cut.target.rpartition(".")[0])
    assert graph.cut_edges == {pair}
    root = ET.fromstring(render_svg(graph))
    dashed = [p for p in root.iter(f"{SVG}path") if p.get("stroke-dasharray")]
    assert [(p.get("data-from"), p.get("data-to")) for p in dashed] == [pair]
    assert "cut" in dashed[0].get("class", "")
    html = _html(big_result)
    assert "to break it, remove this import:" in html
    assert f"<code>{cut.source} → {cut.target}</code>" in html
    assert "Other cycles (1)" in html


def test_review_comments_are_shown_with_their_markdown_rendered_and_escaped(
    sample_result: ReviewResult,
) -> None:
    from coderev.domain.review import ReviewComment

    comment = ReviewComment(
        path="src/shop/api/views.py",
        line=16,
        severity=Severity.HIGH,
        category=Category.SECURITY,
        title="`eval` on request data <script>alert(1)</script>",
        why="Whoever controls the string runs **any** code.",
        suggestion="Use `ast.literal_eval`.",
        fingerprints=(),
    )
    review = replace(sample_result.review, comments=(comment,))
    html = _html(replace(sample_result, review=review))
    section = html[html.index('<section id="comments">') : html.index('<section id="findings">')]
    assert "Review comments (1)" in section
    assert "<code>eval</code> on request data &lt;script&gt;" in section
    assert "<strong>any</strong>" in section and "<code>ast.literal_eval</code>" in section
    assert "src/<wbr>shop/<wbr>api/<wbr>views.py:16" in section
    assert "<script>alert" not in html


def test_a_pathological_review_still_makes_a_small_page(sample_result: ReviewResult) -> None:
    from coderev.domain.architecture import PackageMetrics
    from coderev.domain.source import SkippedEntry, SkipReason
    from coderev.reports.html_page import LIST_ROWS, TEXT_CHARS

    huge = replace(_findings(1, FileRole.SOURCE)[0], message="m" * 1_000_000, fix_hint="h" * 10**6)
    packages = tuple(
        PackageMetrics(f"pkg{i:05d}", i % 7, i % 5, 0.5, 0.0, 0.5, 3, 0, 0) for i in range(3000)
    )
    arch = replace(sample_result.architecture, package_metrics=packages)
    skipped = tuple(SkippedEntry(f"dist/file{i}.min.js", SkipReason.MINIFIED) for i in range(5000))
    many = replace(sample_result, findings=(huge,), architecture=arch, skipped=skipped)
    html = _html(many)
    assert len(html) < 600_000
    assert "m" * TEXT_CHARS not in html and "m" * (TEXT_CHARS - 1) + "…" in html
    assert f"{5000 - LIST_ROWS} more entries are not in this page" in html
    assert "more packages are not in this page; report.json lists them all." in html


def test_test_packages_are_drawn_only_when_room_is_left(big_result: ReviewResult) -> None:
    from coderev.reports.coupling_table import packages_of_tests

    arch = big_result.architecture
    tests = packages_of_tests(arch, {f.path: f.role for f in big_result.files})
    assert tests == {"tests_api", "tests_core"}
    coupling = {p.package: p.afferent + p.efferent for p in arch.package_metrics}
    assert coupling["tests_api"] > coupling["big.island"]  # more coupled than some product code
    others = set(package_graph(arch, 10_000).nodes) - tests
    graph = package_graph(arch, len(others), tests)
    assert not tests & set(graph.nodes)
    assert "big.island" in graph.nodes
    assert tests <= set(package_graph(arch, len(others) + 2, tests).nodes)
