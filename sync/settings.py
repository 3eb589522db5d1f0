"""Sync settings: a YAML file or a dict, validated with messages that name the offending key.

Example (every key optional except the two connections):

    integration_enabled: true            # SET-5
    hubspot:
      url: https://api.hubapi.com
      token: pat-local-sandbox           # or oauth: {client_id, client_secret, refresh_token}
      webhooks:                          # optional: HubSpot pushes changes (search capture stays on)
        client_secret: sandbox-client-secret   # the app's client secret (checks the signatures)
        listen: 127.0.0.1:8190           # where `sync run` / `sync webhooks-listen` receive them
        path: /hubspot/webhooks
        signature: v3                    # v3 (timestamped; default) | any (v3, else v1/v2)
        max_age_seconds: 300             # v3 timestamps older than this are replays
        public_url: null                 # the target URL HubSpot signs, if a proxy rewrites it
        drain_interval_seconds: 5        # how often `sync run` processes queued webhook changes
    salesforce:
      url: https://hubforce-sandbox.my.salesforce.com
      session_id: sandbox-session        # or username/password [+ consumer_key/consumer_secret]
      login_url: https://login.salesforce.com
      api_version: "59.0"
    contacts:
      enabled: true
      inclusion_list: "Salesforce inclusion list"   # name or id; must be DYNAMIC (INC-1)
      hubspot_creates: lead              # lead | contact (CON-2)
      from_salesforce_leads: create_or_update      # create_or_update | do_nothing (CON-1)
      from_salesforce_contacts: create_or_update
      deletion: do_nothing               # delete | do_nothing (DEL-1)
      mappings:                          # custom mappings / rule overrides of the RULE-12 defaults
        - {hubspot: firstname, salesforce: FirstName, rule: two_way}
    companies:                           # company <-> account sync (off by default, as in HubSpot)
      enabled: false
      inclusion_list: null               # a DYNAMIC company list (INC-11)
      deletion: do_nothing
      mappings: []                       # only with enabled: true (RULE-10)
    deals:                               # deal <-> opportunity sync (off by default)
      enabled: false
    api:
      allocation: 5000                   # Salesforce calls per 24 h allotted to the sync (LIM-1); null = uncapped
      concurrency: 1                     # chunks of one batch operation in flight at once (1..8)
      pacing: true                       # wait for HubSpot's rate-limit slots before each call (no 429s)
    poll_interval_seconds: 900           # TRG-1
    retry: {interval_seconds: 1200, max_attempts: 10}   # ERR-7 / A13
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from sync.mappings import (
    DEFAULT_COMPANY_MAPPINGS,
    DEFAULT_DEAL_MAPPINGS,
    DEFAULT_RULE,
    FieldMapping,
    SyncRule,
    default_contact_mappings,
    default_mappings,
)


class SettingsError(ValueError):
    """A settings problem; the message names the key (e.g. `contacts.mappings[2].rule`)."""


class CreateAs(StrEnum):
    LEAD = "lead"
    CONTACT = "contact"


class FromSalesforce(StrEnum):
    CREATE_OR_UPDATE = "create_or_update"
    DO_NOTHING = "do_nothing"


class Deletion(StrEnum):
    DELETE = "delete"
    DO_NOTHING = "do_nothing"


@dataclass
class WebhookSettings:
    client_secret: str
    host: str = "127.0.0.1"
    port: int = 8190
    path: str = "/hubspot/webhooks"
    signature: str = "v3"  # v3 | any
    max_age_seconds: int = 300  # HubSpot's documented replay window for v3 timestamps
    public_url: str | None = None
    drain_interval_seconds: float = 5.0


@dataclass
class HubSpotConnection:
    url: str = "https://api.hubapi.com"
    token: str | None = None
    oauth_client_id: str | None = None
    oauth_client_secret: str | None = None
    oauth_refresh_token: str | None = None
    timeout: float = 30.0
    webhooks: WebhookSettings | None = None


@dataclass
class SalesforceConnection:
    url: str | None = None
    session_id: str | None = None
    username: str | None = None
    password: str | None = None
    security_token: str = ""
    consumer_key: str | None = None
    consumer_secret: str | None = None
    login_url: str = "https://login.salesforce.com"
    api_version: str = "59.0"
    timeout: float = 30.0


@dataclass
class ObjectSettings:
    enabled: bool = True
    inclusion_list: str | None = None
    hubspot_creates: CreateAs = CreateAs.LEAD
    from_salesforce_leads: FromSalesforce = FromSalesforce.CREATE_OR_UPDATE
    from_salesforce_contacts: FromSalesforce = FromSalesforce.CREATE_OR_UPDATE
    deletion: Deletion = Deletion.DO_NOTHING
    mappings: list[FieldMapping] = field(default_factory=default_contact_mappings)
    lifecycle_from_contacts: bool = True  # companies: CMP-8
    # deals only (sync/deal_settings.py): which pipelines sync (None: all, DEAL-4/5) and ALC-1..3.
    pipelines: tuple[str, ...] | None = None
    lifecycle_transitions: bool = False
    lifecycle_to_company_contacts: bool = False  # ALC-3: HubSpot's company lifecycle sync is on


@dataclass
class ApiSettings:
    allocation: int | None = None  # A11: unset = uncapped (LIM-4 then uses the 5,000-call rule)
    max_retries: int = 6
    backoff_base_seconds: float = 1.0
    backoff_max_seconds: float = 10.0
    # Chunks of one batch operation (composite saves, batch reads/updates, IN-list queries) in
    # flight at once. 1 keeps the request order fixed (deterministic ids against the fakes).
    concurrency: int = 1
    # Wait for a free slot of HubSpot's rate limits before each call (sync/clients/pacing.py).
    # Off only against a sandbox whose limits are off (the engine-only benchmark).
    pacing: bool = True


@dataclass
class RetrySettings:
    interval_seconds: int = 1200  # A13: 20 minutes x 10, then daily
    max_attempts: int = 10


@dataclass
class Settings:
    hubspot: HubSpotConnection
    salesforce: SalesforceConnection
    contacts: ObjectSettings = field(default_factory=ObjectSettings)
    # Company and deal sync are off until switched on (as in HubSpot's integration settings).
    companies: ObjectSettings = field(default_factory=lambda: _default_object("companies"))
    deals: ObjectSettings = field(default_factory=lambda: _default_object("deals"))
    api: ApiSettings = field(default_factory=ApiSettings)
    retry: RetrySettings = field(default_factory=RetrySettings)
    integration_enabled: bool = True
    poll_interval_seconds: int = 900
    # Overlap re-read on every poll so late-indexed records are not missed (deduped by id+timestamp).
    cursor_overlap_seconds: int = 300
    state_url: str | None = None

    @classmethod
    def from_yaml(cls, source: str | Path) -> Settings:
        """A path to a YAML file, or YAML text."""
        text: str
        if isinstance(source, Path) or ("\n" not in source and Path(source).suffix in (".yaml", ".yml")):
            path = Path(source)
            if not path.exists():
                raise SettingsError(f"settings file not found: {path}")
            text = path.read_text(encoding="utf-8")
        else:
            text = source
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            where = str(source) if text is not source else "settings"
            raise SettingsError(_yaml_problem(where, exc)) from None
        if not isinstance(data, dict):
            raise SettingsError("settings must be a mapping at the top level")
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        r = _Reader(data, "")
        known = {
            "integration_enabled",
            "hubspot",
            "salesforce",
            *OBJECT_SECTIONS,
            "api",
            "retry",
            "poll_interval_seconds",
            "cursor_overlap_seconds",
            "state_url",
            "lifecycle_transitions",  # ALC-1..3: also deals.lifecycle_transitions
        }
        r.no_unknown(known)
        settings = cls(
            hubspot=_hubspot(r.section("hubspot", required=True)),
            salesforce=_salesforce(r.section("salesforce", required=True)),
            **{name: _object(r.section(name), name, data.get("lifecycle_transitions")) for name in OBJECT_SECTIONS},
            api=_api(r.section("api")),
            retry=_retry(r.section("retry")),
            integration_enabled=r.bool("integration_enabled", True),
            poll_interval_seconds=r.int("poll_interval_seconds", 900, minimum=1),
            cursor_overlap_seconds=r.int("cursor_overlap_seconds", 300, minimum=0),
            state_url=r.str("state_url", None),
        )
        return settings


def _yaml_problem(where: str, exc: yaml.YAMLError) -> str:
    """`FILE, line L, column C: problem` (PyYAML's own text is several lines naming "<unicode string>")."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or str(exc).split("\n", 1)[0]
    context = getattr(exc, "context", None)
    if context and context != problem:
        problem = f"{problem} ({context})"
    at = f", line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    return f"{where}{at}: not valid YAML: {' '.join(str(problem).split())}"


class _Reader:
    """Typed access to one mapping with error messages that carry the dotted key path."""

    def __init__(self, data: Any, prefix: str) -> None:
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise SettingsError(
                f"{prefix.rstrip('.') or 'settings'}: expected a mapping, got {type(data).__name__}"
            )
        self.data = data
        self.prefix = prefix

    def key(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def no_unknown(self, known: set[str]) -> None:
        for k in self.data:
            if k not in known:
                raise SettingsError(
                    f"{self.key(str(k))}: unknown setting (known: {', '.join(sorted(known))})"
                )

    def section(self, name: str, required: bool = False) -> _Reader:
        if required and name not in self.data:
            raise SettingsError(f"{self.key(name)}: required section is missing")
        return _Reader(self.data.get(name), f"{self.key(name)}.")

    def str(self, name: str, default: str | None) -> str | None:
        value = self.data.get(name, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise SettingsError(f"{self.key(name)}: expected a string, got {value!r}")
        return str(value)

    def url(self, name: str, default: str | None, strip: bool = True) -> str | None:
        """An http(s) URL with a host and a valid port (a malformed one fails here, with its key,
        instead of deep inside the HTTP library on the first call)."""
        value = self.str(name, default)
        if not value:
            return value
        parts = urlsplit(value)
        problem = None
        if parts.scheme not in ("http", "https"):
            problem = "must be an http(s) URL"
        elif not parts.hostname:
            problem = "has no host"
        else:
            try:
                port = parts.port  # ValueError for a port outside 0..65535 or not a number
            except ValueError:
                port = 0
            if port == 0:
                problem = "has an invalid port (1..65535)"
        if problem:
            raise SettingsError(f"{self.key(name)}: {problem}, got {value!r} (e.g. https://api.hubapi.com)")
        return value.rstrip("/") if strip else value

    def bool(self, name: str, default: bool) -> bool:
        value = self.data.get(name, default)
        if not isinstance(value, bool):
            raise SettingsError(f"{self.key(name)}: expected true or false, got {value!r}")
        return value

    def int(self, name: str, default: int | None, minimum: int | None = None) -> int | None:
        value = self.data.get(name, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise SettingsError(f"{self.key(name)}: expected an integer, got {value!r}")
        if minimum is not None and value < minimum:
            raise SettingsError(f"{self.key(name)}: must be >= {minimum}, got {value}")
        return value

    def float(self, name: str, default: float) -> float:
        value = self.data.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SettingsError(f"{self.key(name)}: expected a number, got {value!r}")
        return float(value)

    def choice(self, name: str, enum: type[StrEnum], default: StrEnum) -> Any:
        value = self.data.get(name, default.value)
        try:
            return enum(str(value).lower())
        except ValueError:
            allowed = ", ".join(e.value for e in enum)
            raise SettingsError(f"{self.key(name)}: {value!r} is not one of: {allowed}") from None


def _hubspot(r: _Reader) -> HubSpotConnection:
    r.no_unknown({"url", "token", "oauth", "timeout", "webhooks"})
    conn = HubSpotConnection(
        url=r.url("url", HubSpotConnection.url) or "",
        token=r.str("token", None),
        timeout=r.float("timeout", 30.0),
    )
    if "oauth" in r.data:
        o = r.section("oauth")
        o.no_unknown({"client_id", "client_secret", "refresh_token"})
        conn.oauth_client_id = o.str("client_id", None)
        conn.oauth_client_secret = o.str("client_secret", None)
        conn.oauth_refresh_token = o.str("refresh_token", None)
        for k in ("client_id", "client_secret", "refresh_token"):
            if not o.data.get(k):
                raise SettingsError(f"{o.key(k)}: required for HubSpot OAuth")
    if not conn.token and not conn.oauth_refresh_token:
        raise SettingsError("hubspot.token: a private-app token or hubspot.oauth is required")
    if r.data.get("webhooks") is not None:
        conn.webhooks = _webhooks(r.section("webhooks"))
    return conn


def _webhooks(r: _Reader) -> WebhookSettings:
    r.no_unknown(
        {"client_secret", "listen", "path", "signature", "max_age_seconds", "public_url", "drain_interval_seconds"}
    )
    secret = r.str("client_secret", None)
    if not secret:
        raise SettingsError(f"{r.key('client_secret')}: required (the app's client secret signs every delivery)")
    listen = r.str("listen", "127.0.0.1:8190") or ""
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise SettingsError(f"{r.key('listen')}: expected host:port, e.g. 127.0.0.1:8190, got {listen!r}")
    path = r.str("path", "/hubspot/webhooks") or ""
    if not path.startswith("/"):
        raise SettingsError(f"{r.key('path')}: must start with /, got {path!r}")
    signature = (r.str("signature", "v3") or "").lower()
    if signature not in ("v3", "any"):
        raise SettingsError(f"{r.key('signature')}: {signature!r} is not one of: v3, any")
    public_url = r.url("public_url", None, strip=False)
    drain = r.float("drain_interval_seconds", 5.0)
    if drain <= 0:
        raise SettingsError(f"{r.key('drain_interval_seconds')}: must be > 0, got {drain}")
    return WebhookSettings(
        client_secret=secret,
        host=host.strip("[]"),
        port=int(port),
        path=path,
        signature=signature,
        max_age_seconds=r.int("max_age_seconds", 300, minimum=1) or 300,
        public_url=public_url,
        drain_interval_seconds=drain,
    )


def _salesforce(r: _Reader) -> SalesforceConnection:
    r.no_unknown(
        {
            "url",
            "session_id",
            "username",
            "password",
            "security_token",
            "consumer_key",
            "consumer_secret",
            "login_url",
            "api_version",
            "timeout",
        }
    )
    conn = SalesforceConnection(
        url=r.url("url", None) or None,
        session_id=r.str("session_id", None),
        username=r.str("username", None),
        password=r.str("password", None),
        security_token=r.str("security_token", "") or "",
        consumer_key=r.str("consumer_key", None),
        consumer_secret=r.str("consumer_secret", None),
        login_url=r.url("login_url", SalesforceConnection.login_url) or "",
        api_version=r.str("api_version", "59.0") or "59.0",
        timeout=r.float("timeout", 30.0),
    )
    if conn.session_id:
        if not conn.url:
            raise SettingsError("salesforce.url: the instance URL is required with salesforce.session_id")
    elif conn.consumer_key:
        if not conn.consumer_secret:
            raise SettingsError("salesforce.consumer_secret: required with salesforce.consumer_key")
    elif not (conn.username and conn.password):
        raise SettingsError(
            "salesforce.session_id: give a session id, username/password, or consumer_key/consumer_secret"
        )
    return conn


@dataclass(frozen=True)
class ObjectSection:
    """What one object type's settings section accepts: its keys beyond the common ones, whether
    it is on by default, and its default mappings (RULE-12 for contacts)."""

    keys: frozenset[str] = frozenset()
    enabled: bool = False
    defaults: tuple[tuple[str, str], ...] = ()
    deletion: Deletion = Deletion.DO_NOTHING  # when the Salesforce record is deleted (DEL-1, DEAL-7)
    rule: SyncRule = DEFAULT_RULE  # the rule of the default mappings
    mappings_need_sync: bool = True  # RULE-10: mappings only with the object's sync on


COMMON_OBJECT_KEYS = frozenset({"enabled", "inclusion_list", "deletion", "mappings"})
# One entry per settings section, in the engine's dependency order (sync/objects/__init__.py).
OBJECT_SECTIONS: dict[str, ObjectSection] = {
    "contacts": ObjectSection(
        keys=frozenset({"hubspot_creates", "from_salesforce_leads", "from_salesforce_contacts"}),
        enabled=True,
        defaults=tuple((m.hubspot, m.salesforce) for m in default_contact_mappings()),
        mappings_need_sync=False,
    ),
    "companies": ObjectSection(keys=frozenset({"lifecycle_from_contacts"}), defaults=DEFAULT_COMPANY_MAPPINGS),
    # Reading: deal mappings default to two-way (deals and opportunities are worked on both sides;
    # A4's "Prefer Salesforce unless blank" is the documented default for contact mappings). DEAL-7:
    # deleting the opportunity deletes the deal unless the setting says do_nothing.
    "deals": ObjectSection(
        keys=frozenset({"pipelines", "lifecycle_transitions", "lifecycle_to_company_contacts"}),
        defaults=DEFAULT_DEAL_MAPPINGS,
        deletion=Deletion.DELETE,
        rule=SyncRule.TWO_WAY,
    ),
}


def _default_object(name: str) -> ObjectSettings:
    sec = OBJECT_SECTIONS[name]
    return ObjectSettings(enabled=sec.enabled, deletion=sec.deletion, mappings=default_mappings(sec.defaults, sec.rule))


def _object(r: _Reader, name: str = "contacts", top_lifecycle: Any = None) -> ObjectSettings:
    sec = OBJECT_SECTIONS[name]
    r.no_unknown(set(COMMON_OBJECT_KEYS | sec.keys))
    obj = ObjectSettings(
        enabled=r.bool("enabled", sec.enabled),
        inclusion_list=r.str("inclusion_list", None),
        hubspot_creates=r.choice("hubspot_creates", CreateAs, CreateAs.LEAD),
        from_salesforce_leads=r.choice(
            "from_salesforce_leads", FromSalesforce, FromSalesforce.CREATE_OR_UPDATE
        ),
        from_salesforce_contacts=r.choice(
            "from_salesforce_contacts", FromSalesforce, FromSalesforce.CREATE_OR_UPDATE
        ),
        deletion=r.choice("deletion", Deletion, sec.deletion),
        lifecycle_from_contacts=r.bool("lifecycle_from_contacts", True),
    )
    if r.data.get("mappings") and not obj.enabled and sec.mappings_need_sync:
        # RULE-10: company and deal mappings cannot be set up until that object's sync is on.
        raise SettingsError(
            f"{r.key('mappings')}: {name} sync is off ({r.key('enabled')}: false); "
            f"turn it on before mapping {name} properties (RULE-10)"
        )
    obj.mappings = merge_mappings(r.data.get("mappings"), r.key("mappings"), sec.defaults, sec.rule)
    if name == "deals":
        from sync.deal_settings import parse_deal_settings  # it reads sections with this module's _Reader

        deal = parse_deal_settings(r.data, r.prefix.rstrip("."), top_lifecycle)
        obj.pipelines, obj.lifecycle_transitions = deal.pipelines, deal.lifecycle_transitions
        obj.lifecycle_to_company_contacts = r.bool("lifecycle_to_company_contacts", False)
    return obj


def merge_mappings(
    raw: Any,
    key: str,
    defaults: tuple[tuple[str, str], ...] = OBJECT_SECTIONS["contacts"].defaults,
    rule: SyncRule = DEFAULT_RULE,
) -> list[FieldMapping]:
    """Defaults (RULE-12) plus custom entries. An entry naming a default pair changes only its rule
    (RULE-11: defaults cannot be deleted). RULE-7: a property or field already mapped is rejected."""
    mappings = default_mappings(defaults, rule)
    if raw is None:
        return mappings
    if not isinstance(raw, list):
        raise SettingsError(f"{key}: expected a list of {{hubspot, salesforce, rule}}")
    by_pair = {(m.hubspot, m.salesforce): i for i, m in enumerate(mappings)}
    for i, entry in enumerate(raw):
        r = _Reader(entry, f"{key}[{i}].")
        r.no_unknown({"hubspot", "salesforce", "rule"})
        hs, sf = r.str("hubspot", None), r.str("salesforce", None)
        if not hs:
            raise SettingsError(f"{r.key('hubspot')}: required")
        if not sf:
            raise SettingsError(f"{r.key('salesforce')}: required")
        rule = r.choice("rule", SyncRule, SyncRule.PREFER_SALESFORCE)
        if (hs, sf) in by_pair:
            idx = by_pair[(hs, sf)]
            mappings[idx] = FieldMapping(hs, sf, rule, default=True, entry=i)
            continue
        for m in mappings:
            if m.hubspot == hs and not m.default:
                raise SettingsError(
                    f"{r.key('hubspot')}: property {hs!r} is already mapped (to {m.salesforce})"
                )
            if m.salesforce == sf:
                raise SettingsError(f"{r.key('salesforce')}: field {sf!r} is already mapped (to {m.hubspot})")
        by_pair[(hs, sf)] = len(mappings)
        mappings.append(FieldMapping(hs, sf, rule, entry=i))
    return mappings


def _api(r: _Reader) -> ApiSettings:
    r.no_unknown(
        {"allocation", "max_retries", "backoff_base_seconds", "backoff_max_seconds", "concurrency", "pacing"}
    )
    conc = r.int("concurrency", 1, minimum=1) or 1
    if conc > 8:
        raise SettingsError(f"{r.key('concurrency')}: at most 8 requests in flight, not {conc}")
    return ApiSettings(
        concurrency=conc,
        allocation=r.int("allocation", None, minimum=1),
        max_retries=r.int("max_retries", 6, minimum=0) or 0,
        backoff_base_seconds=r.float("backoff_base_seconds", 1.0),
        backoff_max_seconds=r.float("backoff_max_seconds", 10.0),
        pacing=r.bool("pacing", True),
    )


def _retry(r: _Reader) -> RetrySettings:
    r.no_unknown({"interval_seconds", "max_attempts"})
    return RetrySettings(
        interval_seconds=r.int("interval_seconds", 1200, minimum=1) or 1200,
        max_attempts=r.int("max_attempts", 10, minimum=1) or 10,
    )
