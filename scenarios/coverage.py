"""The coverage report: every catalog ID (from scenarios/catalog.yaml, generated from behaviors.md)
with the scenarios that cover it and their result, then the IDs not modelled and why."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from scenarios.model import Result

CATALOG_PATH = Path(__file__).with_name("catalog.yaml")


@dataclass(frozen=True)
class CatalogEntry:
    id: str
    title: str
    section: str
    reason: str | None = None


def load_catalog(path: Path = CATALOG_PATH) -> list[CatalogEntry]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [CatalogEntry(e["id"], e["title"], e["section"], e.get("reason")) for e in data["behaviours"]]


def build_rows(results: list[Result], catalog: list[CatalogEntry]) -> dict[str, Any]:
    by_id: dict[str, list[Result]] = {}
    for r in results:
        for cid in r.covers:
            by_id.setdefault(cid, []).append(r)
    known = {e.id for e in catalog}
    rows = []
    for e in catalog:
        rs = by_id.get(e.id, [])
        if rs:
            status = "PASS" if all(r.passed for r in rs) else "FAIL"
        elif e.reason:
            status = "not modelled"
        else:
            status = "MISSING"
        rows.append(
            {
                "id": e.id,
                "title": e.title,
                "section": e.section,
                "status": status,
                "reason": e.reason,
                "scenarios": [{"id": r.scenario_id, "passed": r.passed, "path": str(r.path)} for r in rs],
            }
        )
    unknown = sorted({cid for r in results for cid in r.covers if cid not in known})
    return {"rows": rows, "unknown_ids": unknown}


def render(results: list[Result], catalog: list[CatalogEntry] | None = None) -> str:
    catalog = catalog if catalog is not None else load_catalog()
    table = build_rows(results, catalog)
    rows = table["rows"]
    modelled = [r for r in rows if r["status"] != "not modelled"]
    lines = ["Behaviour coverage (catalog ID -> scenarios and result)", ""]
    width = max((len(r["id"]) for r in rows), default=6)
    section = None
    for r in modelled:
        if r["section"] != section:
            section = r["section"]
            lines.append(f"## {section}")
        names = ", ".join(f"{s['id']} [{'pass' if s['passed'] else 'FAIL'}]" for s in r["scenarios"]) or "-"
        lines.append(f"  {r['id']:<{width}}  {r['status']:<7}  {r['title'][:60]:<60}  {names}")
    not_modelled = [r for r in rows if r["status"] == "not modelled"]
    if not_modelled:
        lines += ["", "Not modelled (with the reason):"]
        for r in not_modelled:
            lines.append(f"  {r['id']:<{width}}  {r['title'][:60]:<60}  {r['reason']}")
    counts = {
        s: sum(1 for r in rows if r["status"] == s) for s in ("PASS", "FAIL", "MISSING", "not modelled")
    }
    passed = sum(1 for r in results if r.passed)
    lines += [
        "",
        f"IDs: {len(rows)} in the catalog — {counts['PASS']} pass, {counts['FAIL']} fail, "
        f"{counts['MISSING']} in scope without a scenario, {counts['not modelled']} not modelled",
        f"Scenarios: {len(results)} run — {passed} passed, {len(results) - passed} failed",
    ]
    if table["unknown_ids"]:
        lines.append(f"Scenarios cite IDs that are not in the catalog: {', '.join(table['unknown_ids'])}")
    return "\n".join(lines)
