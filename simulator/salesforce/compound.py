"""Compound fields in describe: the address and name fields real orgs describe beside their parts
(Object Reference, "Compound Fields")."""

from __future__ import annotations

from typing import Any

ADDRESS_PARTS = ("Street", "City", "State", "PostalCode", "Country")
NAME_PARTS = ("Salutation", "FirstName", "MiddleName", "LastName", "Suffix")


def _address_field(prefix: str, label: str) -> dict[str, Any]:
    """The compound address field real orgs describe beside its parts (type address, read-only)."""
    name = f"{prefix}Address"
    return {
        "aggregatable": False, "autoNumber": False, "byteLength": 0, "calculated": False,
        "calculatedFormula": None, "cascadeDelete": False, "caseSensitive": False, "compoundFieldName": None,
        "createable": False, "custom": False, "defaultValue": None, "defaultValueFormula": None,
        "defaultedOnCreate": False, "dependentPicklist": False, "digits": 0, "externalId": False,
        "filterable": True, "groupable": False, "htmlFormatted": False, "idLookup": False,
        "label": f"{label} Address".strip(), "length": 0, "name": name, "nameField": False, "namePointing": False,
        "nillable": True, "permissionable": False, "picklistValues": [], "polymorphicForeignKey": False,
        "precision": 0, "referenceTargetField": None, "referenceTo": [], "relationshipName": None,
        "relationshipOrder": None, "restrictedPicklist": False, "scale": 0, "soapType": "urn:address",
        "sortable": False, "type": "address", "unique": False, "updateable": False,
    }


def with_compound_fields(fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Describe as real orgs give it (Object Reference, "Compound Fields"): each address part names its
    compound (`MailingStreet` -> `MailingAddress`, Lead `Street` -> `Address`), which follows the parts
    as a field of type `address`; a person's name parts name `Name`."""
    names = {f["name"] for f in fields}
    out: list[dict[str, Any]] = []
    for f in fields:
        name = f["name"]
        part = next((p for p in ADDRESS_PARTS if name.endswith(p) and f"{name[: -len(p)]}Street" in names
                     and f"{name[: -len(p)]}Country" in names), None)
        if part is not None:
            f["compoundFieldName"] = f"{name[: -len(part)]}Address"
        elif name in NAME_PARTS and "Name" in names and "LastName" in names:
            f["compoundFieldName"] = "Name"
        out.append(f)
        if part == "Country" and f"{name[: -len(part)]}Address" not in names:
            prefix = name[: -len(part)]
            out.append(_address_field(prefix, f["label"][: -len("Country")].strip()))
    return out
