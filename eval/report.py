"""Write a report as report.json, report.md (every failed case spelled out) and a PNG chart."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

from eval.runner import Outcome, Report

HEADLINE = ["accuracy", "right_behaviour", "token_f1", "negative_rejection", "false_refusal",
            "crag_score", "claims_entailed", "claims_entailed_judge",
            "source_precision", "source_recall", "citation_recall", "citation_precision",
            "conflict_detection", "conflict_recall", "ambiguity_recall", "false_alarms",
            "values_named", "stale_wrong", "hits@4", "hits@10", "mrr@10", "judge_accuracy",
            "latency_p50_ms", "latency_p95_ms", "weigh_p50_ms", "prompt_tokens_mean",
            "completion_tokens_mean"]
BY_TYPE = ["cases", "accuracy", "crag_score", "false_refusal", "negative_rejection",
           "citation_recall", "hits@10", "latency_p50_ms"]


def fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3f}"
    return str(value)


def write(report: Report, out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "report.json", "md": out / "report.md", "png": out / "report.png"}
    paths["json"].write_text(json.dumps(report.as_dict(), indent=2, ensure_ascii=False) + "\n",
                             encoding="utf-8")
    paths["md"].write_text(markdown(report), encoding="utf-8")
    chart(report, paths["png"])
    return paths


def table(rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + " --- |" * len(rows[0])]
    lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
    return "\n".join(lines)


def metrics_table(report: Report) -> str:
    rows = [["metric", "value"]]
    rows += [[name, fmt(report.metrics[name])] for name in HEADLINE if name in report.metrics]
    return table(rows)


def type_table(report: Report) -> str:
    rows = [["type", *BY_TYPE]]
    for kind, values in report.by_type.items():
        rows.append([kind, *(fmt(values.get(name)) for name in BY_TYPE)])
    return table(rows)


def trap_table(report: Report) -> str:
    rows = [["trap", "cases", "right_behaviour", "false_refusal", "negative_rejection"]]
    for trap, values in report.by_trap.items():
        rows.append([trap, *(fmt(values.get(name)) for name in rows[0][1:])])
    return table(rows)


def markdown(report: Report) -> str:
    failed = [o for o in report.outcomes if not o.passed]
    parts = [
        f"# Eval: {report.dataset}",
        f"LLM `{report.backend['llm']}`, embeddings `{report.backend['embeddings']}`; "
        f"{report.metrics['cases']} cases, {report.metrics['passed']} passed, "
        f"{len(failed)} failed.",
        *([f"{len(report.settings['not_ingested'])} corpus file(s) could not be ingested: "
           + "; ".join(f"`{Path(f['path']).name}` ({f['error']})"
                       for f in report.settings["not_ingested"])]
          if report.settings.get("not_ingested") else []),
        "## Metrics", metrics_table(report),
        "## By question type", type_table(report),
        *(["## By trap", trap_table(report)] if report.by_trap else []),
        "![scores by question type](report.png)",
        f"## Failed cases ({len(failed)})",
    ]
    parts += [failure(o) for o in failed] or ["None."]
    return "\n\n".join(parts) + "\n"


def failure(o: Outcome) -> str:
    why = ("error" if o.error else "refused, should answer" if o.refused and o.type !=
           "unanswerable" else "answered, should refuse" if o.type == "unanswerable"
           else "conflict not flagged" if o.conflict_detected is False
           or (o.conflict_expected and not o.conflict_reported)
           else "false alarm: conflict flagged" if o.conflict_expected is False
           and o.conflict_reported else "wrong answer")
    expected = "; ".join(f"{k}: {v}" for k, v in o.expected.items()) or "a refusal"
    lines = [f"### {o.id} ({o.type}): {why}",
             f"- **question**: {o.question}",
             f"- **expected**: {expected}",
             f"- **got**: {o.error or textwrap.shorten(o.got, 600) or '(empty)'}"]
    for c in o.citations:
        flag = "" if c["supported"] else " (unsupported)"
        lines.append(f"  - [{c['n']}] `{c['source']}` {c['start']}-{c['end']}{flag}: "
                     f"{textwrap.shorten(c['quote'], 160)}")
    if o.conflicts:
        lines.append(f"- **conflicts**: {len(o.conflicts)}")
    return "\n".join(lines)


def chart(report: Report, path: Path) -> None:
    """Grouped bars: accuracy, CRAG score and citation recall per question type."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    kinds = list(report.by_type)
    series = [("accuracy", "accuracy"), ("crag_score", "CRAG score"),
              ("citation_recall", "citation recall")]
    figure, axes = plt.subplots(figsize=(max(6, 1.4 * len(kinds) + 2), 4), dpi=110)
    width = 0.8 / len(series)
    for i, (key, label) in enumerate(series):
        # For unanswerable cases the correct response is a refusal.
        values = [(report.by_type[k].get(key) if not (key == "accuracy" and k == "unanswerable")
                   else report.by_type[k].get("negative_rejection")) or 0.0 for k in kinds]
        positions = [x + (i - (len(series) - 1) / 2) * width for x in range(len(kinds))]
        axes.bar(positions, values, width, label=label)
    axes.set_xticks(range(len(kinds)), [f"{k}\n(n={report.by_type[k]['cases']})" for k in kinds])
    axes.set_ylim(-1, 1.05)
    axes.axhline(0, color="black", linewidth=0.6)
    axes.set_title(f"{report.dataset}: {report.backend['llm']} / {report.backend['embeddings']}")
    axes.legend(loc="lower right", fontsize=8)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def matrix_table(reports: list[Report]) -> str:
    """One side-by-side table of headline metrics, a column per configuration."""
    names = [name for name in HEADLINE if any(name in r.metrics for r in reports)]
    header = ["metric", *(f"{r.backend['llm']} / {r.backend['embeddings']}" for r in reports)]
    return table([header, *([name, *(fmt(r.metrics.get(name)) for r in reports)]
                            for name in names)])
