"""How fast report.html opens for a Django-size review, against anchors in the same run.

Reviews the Django sdist (fetched as bench_review.py does, cached in benchmarks/.cache) and
opens, in headless Chromium through the DevTools protocol:
  - report.html as coderev writes it,
  - the same review's page with nothing left out (every finding in full, every file, every
    package in the graph: what the page would weigh without its limits),
  - optionally an older report.html (`--before PATH`, e.g. one written before a change),
each against its own anchor: a plain page of paragraphs of the same byte size (no tables, no
SVG, no script). For each it prints the size and the median over several loads of first paint
and first contentful paint (`performance.getEntriesByType('paint')`), DOMContentLoaded and the
load event (`performance.getEntriesByType('navigation')`; the page's script has run by then),
with the ratio to the anchor. Targets: report.html <= 2 MB, first contentful paint <= 1.5x its
anchor's.

The browser is driven over `--remote-debugging-pipe` (NUL-separated JSON on fds 3 and 4), so
the benchmark needs no websocket client and no free port. Chromium: Debian's `chromium`
package (`apt-get install chromium`), or set CHROMIUM=/path/to/chrome.

    python benchmarks/bench_html.py [--package django==5.1.4] [--loads 5] [--before PATH]
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import math
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from coderev.analysis.archive import read_source
from coderev.pipeline.options import ReviewOptions
from coderev.pipeline.run import run_review
from coderev.reports import to_json_dict, write_reports
from coderev.reports.html_format import to_html
from coderev.reports.html_page import PageLimits
from sdists import fetch_sdist

KEYS = ("first-paint", "first-contentful-paint", "dcl", "load")
TIMINGS_JS = """JSON.stringify((() => {
  const out = {};
  for (const e of performance.getEntriesByType('paint')) out[e.name] = e.startTime;
  const nav = performance.getEntriesByType('navigation')[0];
  out.dcl = nav.domContentLoadedEventEnd;
  out.load = nav.loadEventEnd;
  return out;
})())"""


class DevToolsPipe:
    """One headless Chromium, driven over the DevTools pipe."""

    def __init__(self, binary: str) -> None:
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        # Chromium reads commands on fd 3 and answers on fd 4. The child ends are first moved
        # above 10 so that placing them on 3 and 4 in the child cannot overwrite each other.
        child_in = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD_CLOEXEC, 10)
        child_out = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(to_browser_r)
        os.close(from_browser_w)

        def place_pipe_ends() -> None:  # in the child: dup2 leaves 3 and 4 inheritable
            os.dup2(child_in, 3)
            os.dup2(child_out, 4)

        self._profile = tempfile.mkdtemp(prefix="bench-html-chromium-")
        self._proc = subprocess.Popen(
            [
                binary,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-extensions",
                "--remote-debugging-pipe",
                f"--user-data-dir={self._profile}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=False,  # every other descriptor of ours is close-on-exec already
            preexec_fn=place_pipe_ends,  # the benchmark runs no threads
        )
        os.close(child_in)
        os.close(child_out)
        self._buffer = b""
        self._next_id = 0

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        message: dict[str, Any] = json.loads(raw)
        return message

    def call(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None,
        timeout: float = 60.0,
    ) -> dict[str, Any]:  # fmt: skip
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result

    def wait_for(self, event: str, session: str, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            message = self._read_message(deadline)
            if message.get("method") == event and message.get("sessionId") == session:
                return

    def open_and_time(self, url: str) -> dict[str, float]:
        """Load `url` in a fresh tab; its paint and navigation timings in ms."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        self.call("Page.enable", session=session)
        self.call("Page.navigate", {"url": url}, session=session)
        self.wait_for("Page.loadEventFired", session)
        # paint entries are queued after the frame is presented; give the compositor a beat
        time.sleep(0.3)
        value = self.call(
            "Runtime.evaluate", {"expression": TIMINGS_JS, "returnByValue": True}, session=session
        )["result"]["value"]
        self.call("Target.closeTarget", {"targetId": target})
        timings: dict[str, float] = json.loads(value)
        return timings

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, TimeoutError, OSError):
            self.call("Browser.close", timeout=10)
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)
        shutil.rmtree(self._profile, ignore_errors=True)


def anchor_page(size: int) -> str:
    """A plain page of `size` bytes: what any browser shows fastest for that many bytes."""
    head = "<!doctype html><html lang=en><head><meta charset=utf-8><title>anchor</title>"
    head += "</head><body>"
    tail = "</body></html>"
    para = "<p>" + "lorem ipsum dolor sit amet consectetur " * 5 + "</p>\n"
    body = para * ((size - len(head) - len(tail)) // len(para) + 1)
    return (head + body)[: size - len(tail)] + tail


def chromium_binary() -> str:
    for name in (os.environ.get("CHROMIUM", ""), "chromium", "chromium-browser", "google-chrome"):
        if name and (found := shutil.which(name)):
            return found
    raise SystemExit("headless Chromium is needed: apt-get install chromium (or set CHROMIUM=)")


def review_pages(package: str, out: Path) -> dict[str, Path]:
    """report.html as written, and the same review with nothing left out of the page."""
    archive = fetch_sdist(package)
    result = run_review(read_source(archive), ReviewOptions())
    t = time.perf_counter()
    html = write_reports(result, out, formats=("html",))["html"]
    print(f"{archive.name}: {len(result.findings)} findings, {len(result.files)} files, "
          f"{len(result.architecture.package_metrics)} packages; report.html written in "
          f"{time.perf_counter() - t:.2f}s")  # fmt: skip
    everything = out / "everything.html"
    page = to_html(result, to_json_dict(result), PageLimits.everything())
    everything.write_text(page, encoding="utf-8")
    return {"report.html": html, "nothing left out": everything}


def time_pages(pages: dict[str, Path], loads: int, out: Path) -> dict[str, dict[str, float]]:
    """Median timings of each page and of its anchor, loads interleaved in one browser."""
    urls = {}
    for name, path in pages.items():
        anchor = out / f"anchor-{len(urls)}.html"
        anchor.write_text(anchor_page(path.stat().st_size), encoding="utf-8")
        urls[name] = path.resolve().as_uri()
        urls[f"{name} anchor"] = anchor.as_uri()
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in urls}
    browser = DevToolsPipe(chromium_binary())
    try:
        browser.open_and_time(next(iter(urls.values())))  # the browser's own start-up away
        for _ in range(loads):  # interleaved, so a burst of load elsewhere hits all alike
            for name, url in urls.items():
                runs[name].append(browser.open_and_time(url))
    finally:
        browser.close()
    return {
        name: {k: statistics.median(r.get(k, math.nan) for r in rs) for k in KEYS}
        for name, rs in runs.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--package", default="django==5.1.4")
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--before", type=Path, help="also time this report.html (an older one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        pages = review_pages(args.package, out)
        if args.before:
            pages["--before"] = args.before
        timings = time_pages(pages, args.loads, out)
        sizes = {name: path.stat().st_size for name, path in pages.items()}
    print(f"median of {args.loads} loads in headless Chromium; each page against an anchor: a "
          "plain page of paragraphs of the same byte size, timed in the same run")  # fmt: skip
    print(f"{'page':20}{'size':>9}  {'first paint':>18}  {'FCP':>18}  {'DOMContentLoaded':>18}"
          f"  {'load':>18}")  # fmt: skip
    for name, size in sizes.items():
        page, anchor = timings[name], timings[f"{name} anchor"]
        cells = [
            f"{page[k]:6.0f} ms {page[k] / anchor[k] if anchor[k] else math.nan:5.2f}x"
            for k in KEYS
        ]
        print(f"{name:20}{size / 1e6:6.2f} MB  " + "  ".join(f"{c:>18}" for c in cells))
        print(
            f"{'  its anchor':20}{'':9}  " + "  ".join(f"{anchor[k]:6.0f} ms{'':7}" for k in KEYS)
        )
    print("targets: report.html <= 2 MB; its first contentful paint <= 1.5x its anchor's")


if __name__ == "__main__":
    main()
