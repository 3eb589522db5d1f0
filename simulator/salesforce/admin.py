"""Control-API actions of the Salesforce fake, mounted at `/_hubforce/salesforce/...` (no auth, not
counted against the API limit): org configuration a test sets up (custom fields, validation and
duplicate rules, field permissions), platform actions REST has no endpoint for (lead conversion,
merge), session expiry, API-usage control and bulk seeding."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flask import Response

from simulator.admin.routes import body_json
from simulator.core.errors import ControlError
from simulator.core.service import Route, json_response
from simulator.salesforce.errors import SalesforceError
from simulator.salesforce.record_types import RecordTypeError
from simulator.salesforce.schema import SchemaError
from simulator.salesforce.validation import DuplicateRule, RuleError, ValidationRule

if TYPE_CHECKING:
    from simulator.core.sandbox import Sandbox
    from simulator.salesforce.models import SalesforceBackend


def _backend(sandbox: Sandbox) -> SalesforceBackend:
    return sandbox.backend("salesforce")


def _obj(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ControlError(400, "the body must be a JSON object")
    return data


def _sf_failure(err: SalesforceError, extra: dict[str, Any] | None = None) -> Response:
    """A platform action that failed: the API's result shape plus the control API's error keys."""
    body = {
        **(extra or {}),
        "success": False,
        "errors": [{"statusCode": err.error_code, "message": err.message, "fields": err.fields}],
        "error": f"{err.error_code}: {err.message}",
        "status": 400,
    }
    return json_response(body, 400)


def add_field(sandbox: Sandbox) -> Response:
    spec = _obj(body_json())
    try:
        fd = _backend(sandbox).add_custom_field(spec)
    except SchemaError as exc:
        raise ControlError(400, str(exc)) from exc
    return json_response(fd.describe(), 201)


# Validation and duplicate rules: POST adds (or replaces) one, GET lists them, DELETE clears them.
def _add_rule(add: Callable[[dict[str, Any]], ValidationRule | DuplicateRule]) -> Response:
    try:
        rule = add(_obj(body_json()))
    except RuleError as exc:
        raise ControlError(400, str(exc)) from exc
    return json_response(rule.spec, 201)


def _list_rules(rules: list[ValidationRule] | list[DuplicateRule]) -> Response:
    return json_response({"rules": [r.spec for r in rules]})


def _clear_rules(rules: list[ValidationRule] | list[DuplicateRule]) -> Response:
    rules.clear()
    return json_response(None, 204)


def add_validation_rule(sandbox: Sandbox) -> Response:
    return _add_rule(_backend(sandbox).add_validation_rule)


def list_validation_rules(sandbox: Sandbox) -> Response:
    return _list_rules(_backend(sandbox).validation_rules)


def clear_validation_rules(sandbox: Sandbox) -> Response:
    return _clear_rules(_backend(sandbox).validation_rules)


def add_duplicate_rule(sandbox: Sandbox) -> Response:
    return _add_rule(_backend(sandbox).add_duplicate_rule)


def list_duplicate_rules(sandbox: Sandbox) -> Response:
    return _list_rules(_backend(sandbox).duplicate_rules)


def clear_duplicate_rules(sandbox: Sandbox) -> Response:
    return _clear_rules(_backend(sandbox).duplicate_rules)


def field_permission(sandbox: Sandbox) -> Response:
    data = _obj(body_json())
    editable = data.get("editable", True)
    if not isinstance(editable, bool):
        raise ControlError(400, "editable must be true or false")
    try:
        fd = _backend(sandbox).set_field_permission(
            str(data.get("object", "")), str(data.get("field", "")), editable
        )
    except ValueError as exc:
        raise ControlError(400, str(exc)) from exc
    return json_response({"object": data.get("object"), "field": fd.name, "editable": editable})


def user_permissions(sandbox: Sandbox) -> Response:
    """`{"PermissionsModifyAllData": false, ...}`: the integration user's system permissions, as
    the UserPermissionAccess row shows them (DEAL-1)."""
    data = _obj(body_json())
    if not data or not all(isinstance(v, bool) for v in data.values()):
        raise ControlError(400, "user-permissions takes {PermissionName: true|false, ...}")
    try:
        return json_response(_backend(sandbox).set_user_permissions(data))
    except ValueError as exc:
        raise ControlError(400, str(exc)) from exc


def convert_lead(sandbox: Sandbox) -> Response:
    data = _obj(body_json())
    lead_id = data.get("leadId")
    if not isinstance(lead_id, str):
        raise ControlError(400, "leadId is required")
    try:
        result = _backend(sandbox).convert_lead(
            lead_id,
            account_id=data.get("accountId"),
            contact_id=data.get("contactId"),
            do_not_create_opportunity=bool(data.get("doNotCreateOpportunity", False)),
            converted_status=data.get("convertedStatus"),
            opportunity_name=data.get("opportunityName"),
            owner_id=data.get("ownerId"),
        )
    except SalesforceError as err:
        return _sf_failure(
            err, {"leadId": lead_id, "accountId": None, "contactId": None, "opportunityId": None}
        )
    return json_response(result)


def merge(sandbox: Sandbox) -> Response:
    data = _obj(body_json())
    dups = data.get("duplicateIds")
    if not isinstance(data.get("masterId"), str) or not isinstance(dups, list):
        raise ControlError(400, "masterId (string) and duplicateIds (list) are required")
    try:
        result = _backend(sandbox).merge(str(data.get("object", "")), data["masterId"], dups)
    except SalesforceError as err:
        return _sf_failure(err, {"id": data["masterId"]})
    return json_response(result)


def expire_sessions(sandbox: Sandbox) -> Response:
    data = _obj(body_json(optional=True))
    token = data.get("session")
    if token is not None and not isinstance(token, str):
        raise ControlError(400, "session must be a string (omit it to expire every session)")
    n = _backend(sandbox).expire_sessions(token)
    return json_response({"expired": n})


def get_api_usage(sandbox: Sandbox) -> Response:
    used, mx = _backend(sandbox).api_usage()
    return json_response({"used": used, "max": mx})


def set_api_usage(sandbox: Sandbox) -> Response:
    data = _obj(body_json())
    used = data.get("used")
    if isinstance(used, bool) or not isinstance(used, int) or used < 0:
        raise ControlError(400, "used must be a non-negative integer")
    backend = _backend(sandbox)
    backend.set_api_usage(used)
    used, mx = backend.api_usage()
    return json_response({"used": used, "max": mx})


def add_record_type(sandbox: Sandbox) -> Response:
    """{"object":"Opportunity","developerName":"Renewal","name":"Renewal","stages":[...],"default":true}"""
    backend = _backend(sandbox)
    try:
        rt = backend.record_types.add(backend, _obj(body_json()))
    except RecordTypeError as exc:
        raise ControlError(400, str(exc)) from exc
    return json_response(rt.spec, 201)


def list_record_types(sandbox: Sandbox) -> Response:
    return json_response({"recordTypes": _backend(sandbox).record_types.dump()})


def seed_records(sandbox: Sandbox) -> Response:
    """{"object":"Lead","records":[{...}, ...]}: create through the store's full validation, without
    touching the API counter. All or none."""
    data = _obj(body_json())
    records = data.get("records")
    if not isinstance(records, list):
        raise ControlError(400, "records must be a list of field objects")
    backend = _backend(sandbox)
    if backend.schema.resolve_object(str(data.get("object", ""))) is None:
        raise ControlError(400, f"unknown object {data.get('object')!r}")
    created = []
    try:
        with backend.transaction():
            for i, fields in enumerate(records):
                try:
                    created.append(backend.create(str(data["object"]), fields))
                except SalesforceError as err:
                    raise ControlError(400, f"record {i}: {err.error_code}: {err.message}") from err
    except ControlError:
        raise
    return json_response({"ids": created}, 201)


ADMIN_ROUTES: list[Route] = [
    Route("/fields", ("POST",), add_field),
    Route("/validation-rules", ("POST",), add_validation_rule),
    Route("/validation-rules", ("GET",), list_validation_rules),
    Route("/validation-rules", ("DELETE",), clear_validation_rules),
    Route("/duplicate-rules", ("POST",), add_duplicate_rule),
    Route("/duplicate-rules", ("GET",), list_duplicate_rules),
    Route("/duplicate-rules", ("DELETE",), clear_duplicate_rules),
    Route("/field-permissions", ("POST",), field_permission),
    Route("/user-permissions", ("POST",), user_permissions),
    Route("/convert-lead", ("POST",), convert_lead),
    Route("/merge", ("POST",), merge),
    Route("/sessions/expire", ("POST",), expire_sessions),
    Route("/api-usage", ("GET",), get_api_usage),
    Route("/api-usage", ("POST", "PUT"), set_api_usage),
    Route("/records", ("POST",), seed_records),
    Route("/record-types", ("POST",), add_record_type),
    Route("/record-types", ("GET",), list_record_types),
]
