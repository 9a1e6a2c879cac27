"""report.html as a person sees it: laid out by a real browser (headless Chromium), at a laptop's
width and a phone's. Nothing overflows the page sideways, every label of the dependency graph
fits its box in the font the browser really uses, and the page's script sorts and filters.

The page is measured by a script appended to a copy of it, loaded in a frame of the width
under test (a headless window has a minimum width wider than a phone's); the frame posts the
measurements to its parent page, and `chromium --dump-dom` prints that page's DOM. Skipped,
with the reason, on a developer's machine without Chromium (Debian: `apt-get install
chromium`; or set CHROMIUM=/path/to/chrome); under CI (`CI` set: .ci/run installs it) a
missing Chromium fails instead, so the browser tier is never silently dropped there.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from coderev.analysis.archive import read_source
from coderev.domain.findings import Category, Finding, Severity, fingerprint
from coderev.pipeline.options import ReviewOptions
from coderev.pipeline.run import run_review
from coderev.reports import render_reports

CHROMIUM = next(
    (
        found
        for name in (os.environ.get("CHROMIUM", ""), "chromium", "chromium-browser")
        if name and (found := shutil.which(name))
    ),
    None,
)
if CHROMIUM is None and os.environ.get("CI"):
    raise RuntimeError("CI needs headless Chromium for the browser tier (apt-get install chromium)")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="needs headless Chromium"),
]

MEASURE = """
<script>
(function () {
  // lay out everything, even what content-visibility would skip off screen
  var s = document.createElement('style');
  s.textContent = '*{content-visibility:visible!important}';
  document.head.appendChild(s);
  document.querySelectorAll('details').forEach(function (d) { d.open = true; });
  var out = {scrollWidth: document.documentElement.scrollWidth,
             clientWidth: document.documentElement.clientWidth, labels: [], cells: []};
  document.querySelectorAll('.graph svg g').forEach(function (g) {
    var rect = g.querySelector('rect'), text = g.querySelector('text');
    var box = text.getBBox();
    out.labels.push({text: text.textContent, left: box.x, right: box.x + box.width,
                     rectLeft: rect.x.baseVal.value,
                     rectRight: rect.x.baseVal.value + rect.width.baseVal.value});
  });
  document.querySelectorAll('table.findings td').forEach(function (td) {
    var r = td.getBoundingClientRect();
    if (td.scrollWidth > td.clientWidth + 1 || r.right > out.clientWidth + 0.5) {
      out.cells.push(td.textContent.slice(0, 80));
    }
  });
  // the script: sort the coupling table by Ce, then filter the findings by text
  var th = document.querySelector('table.coupling thead tr').cells[3];
  th.querySelector('button').click();
  out.sortedBy = th.getAttribute('aria-sort');
  out.ce = Array.prototype.map.call(document.querySelector('table.coupling').tBodies[0].rows,
                                    function (r) { return +r.cells[3].textContent; });
  var q = document.getElementById('f-text');
  q.value = 'PRICE_TABLE';
  q.dispatchEvent(new Event('input'));
  out.count = document.getElementById('f-count').textContent;
  parent.postMessage(JSON.stringify(out), '*');
})();
</script>
"""


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample's report with the hardest text to wrap and package names to fit."""
    root = tmp_path_factory.mktemp("browser")
    sample = Path(__file__).resolve().parents[2] / "samples" / "shop"
    shutil.copytree(sample, root / "shop")
    long_pkg = root / "shop/src/shop/an_uncommonly_long_package_name_for_a_graph_label_to_fit"
    long_pkg.mkdir()
    (long_pkg / "__init__.py").write_text("from shop.services import orders\n")
    shop = root / "shop"
    result = run_review(read_source(shop), ReviewOptions(jobs=1, source_root=shop))
    deep = "src/" + "/".join(f"a_rather_long_directory_name_number_{i}" for i in range(6))
    hard = Finding(
        rule_id="CR-TEST-LONG",
        severity=Severity.HIGH,
        category=Category.BUG_RISK,
        path=f"{deep}/module_with_a_long_name.py",
        line=1,
        message="x" * 300 + " `" + "y" * 200 + "`",
        fix_hint="z" * 250,
        fingerprint=fingerprint("CR-TEST-LONG", deep, "x"),
    )
    html = render_reports(replace(result, findings=(*result.findings, hard)), ("html",))["html"]
    target = root / "report.html"
    target.write_text(html.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    return target


def _measure(page: Path, width: int, tmp_path: Path) -> dict[str, Any]:
    assert CHROMIUM is not None
    frame = tmp_path / "frame.html"
    frame.write_text(
        "<!doctype html><body style='margin:0'><pre id='measured'></pre><script>"
        "addEventListener('message', function (e) {"
        " document.getElementById('measured').textContent = e.data; });</script>"
        f"<iframe src='{page.as_uri()}' style='border:0;width:{width}px;height:900px'>"
        "</iframe></body>"
    )
    proc = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1400,1000",
         "--virtual-time-budget=10000", "--dump-dom", frame.as_uri()],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    found = re.search(r'<pre id="measured">(.*?)</pre>', proc.stdout, re.S)
    assert found is not None, proc.stderr[-2000:]
    measured: dict[str, Any] = json.loads(found.group(1).replace("&quot;", '"'))
    return measured


@pytest.mark.parametrize("width", [1280, 390])
def test_nothing_overflows_and_every_label_fits(page: Path, width: int, tmp_path: Path) -> None:
    m = _measure(page, width, tmp_path)
    assert m["clientWidth"] == pytest.approx(width, abs=20)  # the frame's width took effect
    assert m["scrollWidth"] <= m["clientWidth"], "the page scrolls sideways"
    assert m["cells"] == [], "findings cells whose text overflows them"
    assert len(m["labels"]) >= 5
    for label in m["labels"]:
        assert label["rectLeft"] <= label["left"], label
        assert label["right"] <= label["rectRight"], label
    assert any("an_uncommonly_long_package_name" in label["text"] for label in m["labels"])


def test_the_script_sorts_and_filters(page: Path, tmp_path: Path) -> None:
    m = _measure(page, 1280, tmp_path)
    assert m["sortedBy"] == "descending"
    assert m["ce"] == sorted(m["ce"], reverse=True)
    assert re.fullmatch(r"1 of \d+ rows shown", m["count"]), m["count"]
