"""Org configuration and access of the Salesforce store: custom fields, validation / duplicate
rules, field permissions, describe, the daily API request limit and sessions (a mixin of
`models.SalesforceBackend`; the attributes it uses are set up there)."""

from __future__ import annotations

from typing import Any

from simulator.salesforce import errors, validation
from simulator.salesforce.schema import FieldDef, ObjectDef
from simulator.salesforce.store_base import (
    PASSWORD,
    SECURITY_TOKEN,
    SESSION_TOKEN_ALPHABET,
    Session,
    index_key,
)

USER_PERMISSION_ACCESS_ID = "000000000000000AAA"


class OrgMixin:
    # --- rules configured through the control API ----------------------------------------------------
    def add_custom_field(self, spec: dict[str, Any]) -> FieldDef:
        fd = self.schema.add_custom_field(spec)
        o = self.object(spec["object"])
        formula = o.formulas.get(fd.name)
        for rec in self.records[o.name].values():
            if formula is not None:  # existing records read the new formula's value at once
                rec[fd.name] = formula.evaluate(rec)
            else:
                rec.setdefault(
                    fd.name,
                    fd.default if fd.default is not None else (False if fd.type == "boolean" else None),
                )
        idx = self._indexes[o.name]
        idx.eq.pop(fd.name, None)
        idx.refresh_fields(o)
        if fd.name in idx.eq:
            for rid, rec in self.records[o.name].items():
                if rec.get(fd.name) is not None:
                    idx.eq[fd.name].setdefault(index_key(rec[fd.name]), set()).add(rid)
        return fd

    def add_validation_rule(self, spec: dict[str, Any]) -> validation.ValidationRule:
        """Add or replace (same object and name) a validation rule. A body with only object, name
        and `active` switches an existing rule on or off."""
        o = self.schema.resolve_object(str(spec.get("object", ""))) if isinstance(spec, dict) else None
        if o is not None and "condition" not in spec and "field" not in spec and "active" in spec:
            for existing in self.validation_rules:
                if existing.object == o.name and existing.name == spec.get("name"):
                    existing.active = bool(spec["active"])
                    existing.spec = {**existing.spec, "active": existing.active}
                    return existing
        rule = validation.ValidationRule.from_spec(self.schema, spec)
        self.validation_rules = [
            r for r in self.validation_rules if not (r.object == rule.object and r.name == rule.name)
        ]
        self.validation_rules.append(rule)
        return rule

    def add_duplicate_rule(self, spec: dict[str, Any]) -> validation.DuplicateRule:
        rule = validation.DuplicateRule.from_spec(self.schema, spec)
        self.duplicate_rules = [
            r for r in self.duplicate_rules if not (r.object == rule.object and r.name == rule.name)
        ]
        self.duplicate_rules.append(rule)
        return rule

    def set_field_permission(self, obj: str, field: str, editable: bool) -> FieldDef:
        o = self.schema.resolve_object(obj)
        fd = self.schema.resolve_field(o, field) if o is not None else None
        if o is None or fd is None:
            raise ValueError(f"unknown field {obj}.{field}")
        key = (o.name, fd.name)
        if editable:
            self.readonly_fields.discard(key)
        else:
            self.readonly_fields.add(key)
        return fd

    # --- the running user's system permissions (UserPermissionAccess) ----------------------------------
    def seed_user_permissions(self) -> None:
        """The one UserPermissionAccess row: the integration user is a System Administrator by
        default, so both permissions deal sync checks (DEAL-1) are on. Its Id is fixed, as in real
        orgs (the row is computed, not stored), so seeding it draws nothing from the sandbox RNG."""
        o = self.object("UserPermissionAccess")
        rec = o.template()
        rec.update(
            Id=USER_PERMISSION_ACCESS_ID,
            LastCacheUpdate=self.now(),
            PermissionsModifyAllData=True,
            PermissionsModifyMetadata=True,
        )
        self._put(o, USER_PERMISSION_ACCESS_ID, rec)

    def set_user_permissions(self, perms: dict[str, bool]) -> dict[str, bool]:
        """Turn system permissions of the integration user on or off (names as UserPermissionAccess
        fields); an unknown name is a ValueError naming it."""
        o = self.object("UserPermissionAccess")
        rec = dict(self.records[o.name][USER_PERMISSION_ACCESS_ID])
        for name, on in perms.items():
            fd = self.schema.resolve_field(o, name)
            if fd is None or not fd.name.startswith("Permissions"):
                raise ValueError(f"unknown permission {name} (not a UserPermissionAccess field)")
            rec[fd.name] = on
        rec["LastCacheUpdate"] = self.now()
        self._put(o, USER_PERMISSION_ACCESS_ID, rec)
        return {k: v for k, v in rec.items() if k.startswith("Permissions")}

    def field_editable(self, o: ObjectDef, fd: FieldDef) -> bool:
        return (o.name, fd.name) not in self.readonly_fields

    def readonly_field_names(self, o: ObjectDef) -> set[str]:
        """Fields of `o` that field-level security makes read-only for the integration user."""
        return {f for obj, f in self.readonly_fields if obj == o.name}

    def describe(self, obj: str, version: str) -> dict[str, Any]:
        """`GET /sobjects/X/describe` as the integration user sees it (field-level security applied)."""
        o = self.object(obj)
        out = self.schema.describe(o, version, self.readonly_field_names(o))
        infos = self.record_types.infos(o, version)
        if infos is not None:
            out["recordTypeInfos"] = infos
        return out


    # --- API request limit ----------------------------------------------------------------------------
    @property
    def api_max(self) -> int:
        return int(self.sandbox.settings["salesforce"]["daily_api_requests"])

    def _roll_api_day(self) -> None:
        today = self.now().date()
        if today != self.api_day:
            self.api_day, self.api_used = today, 0

    def count_api_request(self) -> None:
        """Count one REST call against DailyApiRequests; 403 REQUEST_LIMIT_EXCEEDED once spent. The
        24-hour window restarts at midnight on the sandbox clock."""
        self._roll_api_day()
        if self.api_used >= self.api_max:
            raise errors.request_limit_exceeded(self.limit_info())
        self.api_used += 1

    def api_usage(self) -> tuple[int, int]:
        self._roll_api_day()
        return self.api_used, self.api_max

    def check_api_usage(self) -> tuple[int, int]:
        return self.api_usage()

    def set_api_usage(self, used: int) -> None:
        self._roll_api_day()
        self.api_used = max(0, int(used))

    def limit_info(self) -> str:
        used, mx = self.api_usage()
        return f"api-usage={min(used, mx) if mx else used}/{mx}"

    # --- sessions / logins ----------------------------------------------------------------------------
    def session_user(self, token: str) -> Session | None:
        return self.sessions.get(token)

    def check_password(self, username: str, password: str) -> str | None:
        """User id when `password` is the sandbox password (optionally followed by the security token)."""
        uid = next(iter(self.find("User", "Username", username)), None) if username else None
        if uid is None or not self.records["User"][uid].get("IsActive"):
            return None
        return uid if password in (PASSWORD, PASSWORD + SECURITY_TOKEN) else None

    def issue_session(self, user_id: str, kind: str) -> str:
        token = f"{self.org_id[:15]}!{self.sandbox.rng.token(SESSION_TOKEN_ALPHABET, 96)}"
        self.sessions[token] = Session(token, user_id, self.now(), kind)
        return token

    def issue_refresh_token(self, user_id: str) -> str:
        token = "5Aep" + self.sandbox.rng.token(SESSION_TOKEN_ALPHABET, 83)
        self.refresh_tokens[token] = user_id
        return token

    def expire_sessions(self, token: str | None = None) -> int:
        if token is None:
            n = len(self.sessions)
            self.sessions.clear()
            return n
        return 1 if self.sessions.pop(token, None) is not None else 0
