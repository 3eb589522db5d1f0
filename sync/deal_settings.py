"""The deal-specific keys of the `deals:` settings section, and the top-level lifecycle switch.

    deals:
      enabled: true                  # DEAL-3: the Deals tab "Sync deals" toggle
      pipelines: [012000000000001AAA, Salesforce - Default pipeline]   # default: every pipeline
      deletion: delete               # delete | do_nothing (DEAL-7; HubSpot deletions never reach Salesforce, DEAL-8)
      lifecycle_transitions: true    # ALC-1/2 / TRG-13 (also accepted at the top level)
      lifecycle_to_company_contacts: false   # ALC-3: HubSpot's company lifecycle sync is on

Only the shape is checked here; names (record types, pipelines, stages) are checked against the live
systems when the engine starts (sync/objects/deals.py), with the same `deals.pipelines[i]` key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sync.settings import Deletion, SettingsError, _Reader


@dataclass(frozen=True)
class DealSettings:
    # Record type ids / developer names or "Salesforce - ..." pipeline labels or ids; None = all (DEAL-4).
    pipelines: tuple[str, ...] | None = None
    deletion: Deletion = Deletion.DELETE  # DEAL-7's documented behaviour is the default
    lifecycle_transitions: bool = False  # ALC: a legacy opt-in feature


def parse_deal_settings(section: Any, key: str = "deals", top_level_lifecycle: Any = None) -> DealSettings:
    """The deal keys of a `deals:` mapping (other keys of the section belong to the object settings).

    `top_level_lifecycle` is the top-level `lifecycle_transitions` value, if any; the two must agree
    when both are given (one switch, two places to write it)."""
    r = _Reader(section, f"{key}.")
    pipelines: tuple[str, ...] | None = None
    raw = r.data.get("pipelines")
    if raw is not None:
        if not isinstance(raw, list) or not raw:
            raise SettingsError(f"{r.key('pipelines')}: expected a non-empty list of record types or pipelines")
        names: list[str] = []
        for i, item in enumerate(raw):
            if isinstance(item, bool) or not isinstance(item, str | int) or not str(item).strip():
                raise SettingsError(f"{r.key('pipelines')}[{i}]: expected a record type or pipeline name, got {item!r}")
            if str(item).strip() in names:
                raise SettingsError(f"{r.key('pipelines')}[{i}]: {item!r} is listed twice")
            names.append(str(item).strip())
        pipelines = tuple(names)
    deletion = r.choice("deletion", Deletion, Deletion.DELETE)
    lifecycle = r.bool("lifecycle_transitions", False)
    if top_level_lifecycle is not None:
        top = _Reader({"lifecycle_transitions": top_level_lifecycle}, "").bool("lifecycle_transitions", False)
        if "lifecycle_transitions" in r.data and top != lifecycle:
            raise SettingsError(
                f"{r.key('lifecycle_transitions')}: {lifecycle} disagrees with the top-level lifecycle_transitions: {top}"
            )
        lifecycle = top
    return DealSettings(pipelines=pipelines, deletion=deletion, lifecycle_transitions=lifecycle)


def resolve_pipelines(
    settings: DealSettings, record_types: dict[str, str], pipelines: dict[str, str], key: str = "deals.pipelines"
) -> frozenset[str] | None:
    """The HubSpot pipeline labels that sync, from the settings' names (None: all of them).

    `record_types` maps each Opportunity record type's id and developer name to its pipeline label;
    `pipelines` maps each "Salesforce - ..." pipeline's id and label to its label. A name that is
    neither is bad input: one error naming the entry and what exists."""
    if settings.pipelines is None:
        return None
    out: set[str] = set()
    for i, name in enumerate(settings.pipelines):
        label = record_types.get(name) or pipelines.get(name)
        if label is None:
            known = sorted(set(record_types) | {v for v in pipelines.values()})
            raise SettingsError(
                f"{key}[{i}]: no Opportunity record type or Salesforce pipeline named {name!r}"
                f" (known: {', '.join(known) or 'none'})"
            )
        out.add(label)
    return frozenset(out)
