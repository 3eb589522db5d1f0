"""Control-API seeding of the HubSpot fake, mounted at `/_hubforce/hubspot/...` (no auth, never
counted against the API limits), the same shape as the Salesforce fake's `POST /_hubforce/salesforce/records`:

  * `POST /records` `{"object": "companies", "records": [{<property>: <value>}, ...]}` -> 201
    `{"ids": [...]}`: every record goes through the API's full validation (property types, unique
    values, a deal's stage in its pipeline); all or none.
  * `POST /associations` `{"from": "deals", "to": "companies", "pairs": [{"from": "11", "to": "22",
    "labels": ["Primary"]}]}` -> 201 `{"created": n}`: each pair gets the unlabeled default association
    plus the labels named (HubSpot's "Primary" or a portal's own); all or none.
"""

from __future__ import annotations

from typing import Any

from flask import Response

from simulator.core.errors import ControlError
from simulator.core.service import Route, json_response
from simulator.hubspot.associations import AssocType, live_record
from simulator.hubspot.errors import HubSpotError


def _body() -> dict[str, Any]:
    from simulator.admin.routes import body_json  # late: admin imports the services

    data = body_json()
    if not isinstance(data, dict):
        raise ControlError(400, "the body must be a JSON object")
    return data


def _object_type(backend: Any, name: Any, field: str) -> str:
    try:
        return str(backend.records.resolve_type(str(name)))
    except HubSpotError:
        raise ControlError(400, f"{field}: unknown object type {name!r}") from None


def seed_records(sandbox: Any) -> Response:
    data = _body()
    backend = sandbox.backend("hubspot")
    object_type = _object_type(backend, data.get("object", ""), "object")
    records = data.get("records")
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise ControlError(400, "records must be a list of property objects")
    store, cleaned = backend.records, []
    seen: dict[tuple[str, str], int] = {}
    for i, props in enumerate(records):
        try:
            values = store.validate_create(object_type, props)
        except HubSpotError as exc:
            raise ControlError(400, f"record {i}: {exc.message}") from None
        for prop in backend.properties.unique_properties(object_type):
            value = values.get(prop, "")
            value = value.lower() if prop == "email" else value
            if value and seen.setdefault((prop, value), i) != i:
                raise ControlError(400, f"record {i}: {prop} {value!r} repeats record {seen[(prop, value)]}")
        cleaned.append(values)
    ids = [store.create(object_type, None, cleaned=values).id for values in cleaned]
    return json_response({"ids": ids}, 201)


def _labels(store: Any, from_type: str, to_type: str, names: Any, where: str) -> list[AssocType]:
    if names is None:
        return []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ControlError(400, f"{where}: labels must be a list of label names")
    by_label = {t.label.lower(): t for t in store.types_for(from_type, to_type) if t.label}
    missing = [n for n in names if n.lower() not in by_label]
    if missing:
        known = ", ".join(sorted(t.label for t in by_label.values())) or "none"
        raise ControlError(400, f"{where}: no {from_type}->{to_type} label {missing[0]!r} (labels: {known})")
    return [by_label[n.lower()] for n in names]


def seed_associations(sandbox: Any) -> Response:
    data = _body()
    backend = sandbox.backend("hubspot")
    from_type = _object_type(backend, data.get("from", ""), "from")
    to_type = _object_type(backend, data.get("to", ""), "to")
    pairs = data.get("pairs")
    if not isinstance(pairs, list) or not all(isinstance(p, dict) for p in pairs):
        raise ControlError(400, 'pairs must be a list of {"from": id, "to": id, "labels"?: [...]}')
    store, planned = backend.associations, []
    for i, pair in enumerate(pairs):
        ids = [str(pair.get(k, "")) for k in ("from", "to")]
        for object_type, record_id in zip((from_type, to_type), ids, strict=True):
            if live_record(backend, object_type, record_id) is None:
                raise ControlError(400, f"pairs[{i}]: no live {object_type} record {record_id!r}")
        planned.append((ids[0], ids[1], _labels(store, from_type, to_type, pair.get("labels"), f"pairs[{i}]")))
    for from_id, to_id, types in planned:
        store.associate(from_type, from_id, to_type, to_id, types)
    return json_response({"created": len(planned)}, 201)


ADMIN_ROUTES: list[Route] = [
    Route("/records", ("POST",), seed_records),
    Route("/associations", ("POST",), seed_associations),
]
