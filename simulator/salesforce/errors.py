"""Salesforce's error catalog and body format (wire spec 3.5): every REST error body is a JSON list
`[{"message":...,"errorCode":...,"fields":[...]}]`."""

from __future__ import annotations

from simulator.core.errors import ApiError


class SalesforceError(ApiError):
    def __init__(
        self,
        status: int,
        error_code: str,
        message: str,
        fields: list[str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        item: dict[str, object] = {"message": message, "errorCode": error_code}
        if fields is not None:
            item["fields"] = fields
        super().__init__(status, [item], headers)
        self.error_code = error_code
        self.message = message
        self.fields = fields or []


def not_found() -> SalesforceError:
    return SalesforceError(404, "NOT_FOUND", "The requested resource does not exist")


def api_version_retired(version: str) -> SalesforceError:
    """410 GONE for a retired API version (REST API Developer Guide, "API End-of-Life": "If you
    request any resource or use an operation from a retired API version, REST API returns the 410:GONE
    error code"). The body's wording is assumed (no captured traffic)."""
    return SalesforceError(410, "GONE", f"API version {version} has been retired and is no longer available")


def invalid_session() -> SalesforceError:
    return SalesforceError(401, "INVALID_SESSION_ID", "Session expired or invalid")


def json_parser_error(detail: str) -> SalesforceError:
    return SalesforceError(400, "JSON_PARSER_ERROR", detail)


def generic(status: int, message: str) -> SalesforceError:
    code = {
        400: "MALFORMED_REQUEST",
        401: "INVALID_SESSION_ID",
        403: "FORBIDDEN",
        404: "NOT_FOUND",
        405: "METHOD_NOT_ALLOWED",
        413: "REQUEST_ENTITY_TOO_LARGE",
        415: "UNSUPPORTED_MEDIA_TYPE",
    }.get(status, "UNKNOWN_EXCEPTION" if status >= 500 else "BAD_REQUEST")
    return SalesforceError(status, code, message)


# --- the catalog the store and the REST layer raise (wire spec 3.5) ------------------------------------
def malformed_id(label: str, raw: object) -> SalesforceError:
    return SalesforceError(400, "MALFORMED_ID", f"{label} ID: id value of incorrect type: {raw}", ["Id"])


def entity_is_deleted(fields: list[str] | None = None, status: int = 404) -> SalesforceError:
    """404 when the addressed record is in the recycle bin; 400 (a save error) when a reference
    field of the saved record points at one."""
    return SalesforceError(
        status, "ENTITY_IS_DELETED", "entity is deleted", fields if fields is not None else []
    )


def invalid_field_select(name: str, obj: str) -> SalesforceError:
    # What `GET /sobjects/X/{id}?fields=Foo` answers for an unknown name.
    return SalesforceError(400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {obj}")


def invalid_field_dml(name: str, obj: str) -> SalesforceError:
    return SalesforceError(400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {obj}")


def invalid_operation(message: str) -> SalesforceError:
    return SalesforceError(400, "INVALID_TYPE_FOR_OPERATION", message)


def converted_lead() -> SalesforceError:
    return SalesforceError(400, "CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead", [])


def id_in_body(field: str) -> SalesforceError:
    return SalesforceError(
        400, "INVALID_FIELD", f"The {field} field should not be specified in the sobject data."
    )


def external_id_field_not_found(field: object) -> SalesforceError:
    return SalesforceError(
        404, "NOT_FOUND", f"Provided external ID field does not exist or is not accessible: {field}"
    )


def _field_error(code: str, label: str, name: str, problem: str) -> SalesforceError:
    """A 400 about one field's value: the message is `<label>: <problem>`, `fields` names the field."""
    return SalesforceError(400, code, f"{label}: {problem}", [name])


def field_integrity(fd: object, value: object) -> SalesforceError:
    label = getattr(fd, "label", "")
    name = getattr(fd, "name", "")
    return _field_error("FIELD_INTEGRITY_EXCEPTION", label, name, f"id value of incorrect type: {value}")


def malformed_reference(fd: object, value: object) -> SalesforceError:
    label = getattr(fd, "label", "")
    name = getattr(fd, "name", "")
    return _field_error("MALFORMED_ID", label, name, f"id value of incorrect type: {value}")


def invalid_cross_reference(fd: object) -> SalesforceError:
    return SalesforceError(
        400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [getattr(fd, "name", "")]
    )


def duplicate_value(field: str, other_id: str) -> SalesforceError:
    return SalesforceError(
        400,
        "DUPLICATE_VALUE",
        f"duplicate value found: {field} duplicates value on record with id: {other_id}",
        [],
    )


def duplicates_detected(obj: str, rule: str, matches: list[str], allow_save: bool = False) -> SalesforceError:
    err = SalesforceError(400, "DUPLICATES_DETECTED", "Use one of these records?", [])
    # Real orgs add the duplicate rule's match result to the error item, under this misspelt key.
    err.body[0]["duplicateResut"] = {
        "allowSave": allow_save,
        "duplicateRule": rule,
        "duplicateRuleEntityType": obj,
        "errorMessage": "Use one of these records?",
        "matchResults": [
            {
                "entityType": obj,
                "errors": [],
                "matchEngine": "ExactMatchEngine",
                "matchRecords": [
                    {
                        "additionalInformation": [],
                        "fieldDiffs": [],
                        "matchConfidence": 100.0,
                        "record": {
                            "attributes": {"type": obj, "url": f"/services/data/v59.0/sobjects/{obj}/{m}"},
                            "Id": m,
                        },
                    }
                    for m in matches
                ],
                "rule": rule,
                "size": len(matches),
                "success": True,
            }
        ],
    }
    return err


def invalid_replication_date(message: str) -> SalesforceError:
    return SalesforceError(400, "INVALID_REPLICATION_DATE", message)


def request_limit_exceeded(limit_info: str) -> SalesforceError:
    return SalesforceError(
        403,
        "REQUEST_LIMIT_EXCEEDED",
        "TotalRequests Limit exceeded.",
        headers={"Sforce-Limit-Info": limit_info},
    )


def required_missing(fields: list[str]) -> SalesforceError:
    return SalesforceError(
        400, "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(fields)}]", fields
    )


def read_only(fields: list[str]) -> SalesforceError:
    return SalesforceError(
        400,
        "INVALID_FIELD_FOR_INSERT_UPDATE",
        f"Unable to create/update fields: {', '.join(fields)}. Please check the security settings of this field "
        "and verify that it is read/write for your profile or permission set.",
        fields,
    )


def string_too_long(label: str, name: str, value: str, max_length: int) -> SalesforceError:
    return _field_error(
        "STRING_TOO_LONG", label, name, f"data value too large: {value} (max length={max_length})"
    )


def invalid_email(label: str, name: str, value: str) -> SalesforceError:
    return _field_error("INVALID_EMAIL_ADDRESS", label, name, f"invalid email address: {value}")


def bad_picklist(label: str, name: str, value: object) -> SalesforceError:
    return _field_error(
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
        label,
        name,
        f"bad value for restricted picklist field: {value}",
    )


def number_out_of_range(label: str, name: str, value: object) -> SalesforceError:
    return _field_error(
        "NUMBER_OUTSIDE_VALID_RANGE", label, name, f"value outside of valid range on numeric field: {value}"
    )


def cannot_deserialize(kind: str, token: str, value: object) -> SalesforceError:
    # Jackson's wording, as the REST deserialiser reports a JSON value of the wrong type.
    return SalesforceError(
        400,
        "JSON_PARSER_ERROR",
        f"Cannot deserialize instance of {kind} from {token} value {value} or request may be missing a required field",
    )


def invalid_type_in_record(label: str, name: str, value: object) -> SalesforceError:
    # The same mistake in CSV (Bulk API) / composite-with-strings form.
    return _field_error(
        "INVALID_TYPE_ON_FIELD_IN_RECORD", label, name, f"value not of required type: {value}"
    )


def custom_validation(message: str, fields: list[str]) -> SalesforceError:
    return SalesforceError(400, "FIELD_CUSTOM_VALIDATION_EXCEPTION", message, fields)
