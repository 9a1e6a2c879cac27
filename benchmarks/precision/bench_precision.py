"""Precision of coderev's review on real projects, against a labelled corpus.

Reviews each project pinned in projects.toml (its sdist, fetched with `pip download` into
benchmarks/.cache) with the engine in-process, as `coderev review --via direct` does, matches
the findings and the top-20 review comments to the labels in findings.csv / comments.csv by
fingerprint, and prints precision (the useful share) per category and per role, the
false-positive share, false-positive cycles still emitted, the share of each project's top-20
comments labelled useful, and how much of the output is not labelled yet. See README.md.

    python benchmarks/precision/bench_precision.py [--project NAME ...] [--reports DIR]
                                                   [--save-reports DIR] [--todo DIR]
    python benchmarks/precision/bench_precision.py --blind-sample FILE [--sample-size N]
    python benchmarks/precision/bench_precision.py --agreement FILE
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: sdists
from precision_agreement import BLIND_COLUMNS, agreement, blind_sample, render_agreement
from precision_scoring import (
    COMMENT_COLUMNS,
    FINDING_COLUMNS,
    Project,
    ProjectScore,
    load_corpus,
    load_projects,
    render,
    score_project,
)

from sdists import fetch_sdist

HERE = Path(__file__).parent


def review(project: Project) -> dict[str, Any]:
    """report.json of a direct review of the project's sdist, as a dict."""
    from coderev.analysis.archive import read_source
    from coderev.pipeline.options import ReviewOptions
    from coderev.pipeline.run import run_review
    from coderev.reports.json_format import to_json_dict

    result = run_review(read_source(fetch_sdist(project.requirement)), ReviewOptions())
    return to_json_dict(result)


def write_todo(directory: Path, scores: list[ProjectScore], reports: dict[str, Any]) -> None:
    """What still needs a label, as rows shaped like the corpus's with the label left empty."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / "comments-todo.csv").open("w", newline="", encoding="utf-8") as fh:
        out = csv.DictWriter(fh, [*COMMENT_COLUMNS, "text"], lineterminator="\n")
        out.writeheader()
        for s in scores:
            for c in s.unlabelled_comments:
                out.writerow(
                    {
                        "project": s.project,
                        "fingerprint": c.lead,
                        "text_sha": c.text_sha,
                        "rank": c.rank,
                        "path": c.path,
                        "line": c.line,
                        "title": c.title[:120],
                        "label": "",
                        "reason": "",
                        "text": c.text,
                    }
                )
    with (directory / "findings-todo.csv").open("w", newline="", encoding="utf-8") as fh:
        out = csv.DictWriter(fh, FINDING_COLUMNS, lineterminator="\n")
        out.writeheader()
        for s in scores:
            by_fp = {f["fingerprint"]: f for f in reports[s.project].get("findings", [])}
            for fp in s.unlabelled_top_findings:
                f = by_fp.get(fp, {})
                out.writerow(
                    {
                        "project": s.project,
                        "fingerprint": fp,
                        "rule_id": f.get("rule_id", ""),
                        "category": f.get("category", ""),
                        "path": f.get("path", ""),
                        "line": f.get("line", 0),
                        "role": f.get("role", ""),
                        "label": "",
                        "reason": "",
                    }
                )


def second_opinion(sample: Path | None, size: int, relabelled: Path | None) -> None:
    with (HERE / "findings.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if sample:
        with sample.open("w", newline="", encoding="utf-8") as fh:
            out = csv.DictWriter(fh, BLIND_COLUMNS, lineterminator="\n")
            out.writeheader()
            out.writerows(blind_sample(rows, size))
        print(f"{min(size, len(rows))} findings to re-label written to {sample}")
    if relabelled:
        with relabelled.open(newline="", encoding="utf-8") as fh:
            print(render_agreement(agreement(rows, list(csv.DictReader(fh)))))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--project", action="append", help="only this project (repeatable)")
    parser.add_argument(
        "--reports", type=Path, help="score DIR/<project>/report.json instead of reviewing"
    )
    parser.add_argument("--save-reports", type=Path, help="write each report.json under DIR")
    parser.add_argument(
        "--todo",
        type=Path,
        help="write what is not labelled yet to DIR/{findings,comments}-todo.csv",
    )
    parser.add_argument(
        "--blind-sample",
        type=Path,
        help="write labelled findings with their labels blanked, to re-label",
    )
    parser.add_argument("--sample-size", type=int, default=60)
    parser.add_argument(
        "--agreement", type=Path, help="compare a re-labelled blind sample with the corpus"
    )
    args = parser.parse_args()
    warnings.simplefilter("ignore", SyntaxWarning)
    if args.blind_sample or args.agreement:
        second_opinion(args.blind_sample, args.sample_size, args.agreement)
        return

    projects = load_projects(HERE / "projects.toml")
    if args.project:
        unknown = set(args.project) - {p.name for p in projects}
        if unknown:
            raise SystemExit(f"unknown project(s): {', '.join(sorted(unknown))}")
        projects = [p for p in projects if p.name in args.project]
    corpus = load_corpus(HERE)
    reports: dict[str, Any] = {}
    for p in projects:
        t = time.perf_counter()
        if args.reports:
            reports[p.name] = json.loads((args.reports / p.name / "report.json").read_text())
        else:
            reports[p.name] = review(p)
        print(
            f"{p.name:<10} {p.requirement:<18} {time.perf_counter() - t:6.1f}s  "
            f"{len(reports[p.name]['findings'])} findings"
        )
        if args.save_reports:
            (args.save_reports / p.name).mkdir(parents=True, exist_ok=True)
            (args.save_reports / p.name / "report.json").write_text(json.dumps(reports[p.name]))
    scores = [score_project(p.name, reports[p.name], corpus) for p in projects]
    print()
    print(render(scores))
    if args.todo:
        write_todo(args.todo, scores, reports)
        print(f"\nunlabelled rows written to {args.todo}/")


if __name__ == "__main__":
    main()
