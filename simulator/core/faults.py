"""Fault rules: make a matching request fail with a status, extra latency, a timeout or a dropped
connection — or perform it and then drop the connection, so the client never learns that it
succeeded (`drop_after`, a lost answer) — by count (`times`), after letting some through
(`skip`), or with a probability.

A rule is data; applying it is the transport's job, because a timeout or a dropped connection looks
different in-process (a `requests` exception) than over a socket (a stalled or cut connection).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any, Literal

FaultAction = Literal["status", "latency", "timeout", "drop", "drop_after"]
ACTIONS: tuple[str, ...] = ("status", "latency", "timeout", "drop", "drop_after")


class FaultRuleError(ValueError):
    """A fault rule that cannot be used; the message names the field."""


@dataclass
class FaultRule:
    id: str
    service: str = "*"
    method: str = "*"
    path: str = ".*"
    action: FaultAction = "status"
    status: int = 503
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    latency_ms: int = 0
    times: int | None = None  # remaining firings; None = unlimited
    skip: int = 0  # matching requests to let through before firing
    probability: float = 1.0
    fired: int = 0
    _path_re: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._path_re = re.compile(self.path)

    @classmethod
    def from_json(cls, rule_id: str, data: dict[str, Any]) -> FaultRule:
        if not isinstance(data, dict):
            raise FaultRuleError("a fault rule must be a JSON object")
        allowed = {"service", "method", "path", "action", "status", "body", "headers", "latency_ms",
                   "times", "skip", "probability"}
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise FaultRuleError(f"unknown fault rule field(s): {', '.join(unknown)}")
        action = data.get("action", "status")
        if action not in ACTIONS:
            raise FaultRuleError(f"action must be one of {', '.join(ACTIONS)}, not {action!r}")
        try:
            path = str(data.get("path", ".*"))
            re.compile(path)
        except re.error as exc:
            raise FaultRuleError(f"path is not a valid regular expression: {exc}") from exc
        try:
            rule = cls(
                id=rule_id,
                service=str(data.get("service", "*")),
                method=str(data.get("method", "*")).upper(),
                path=path,
                action=action,
                status=int(data.get("status", 503)),
                body=data.get("body"),
                headers={str(k): str(v) for k, v in (data.get("headers") or {}).items()},
                latency_ms=int(data.get("latency_ms", 0)),
                times=None if data.get("times") is None else int(data["times"]),
                skip=int(data.get("skip", 0)),
                probability=float(data.get("probability", 1.0)),
            )
        except (TypeError, ValueError, AttributeError) as exc:
            raise FaultRuleError(f"bad fault rule value: {exc}") from exc
        if not 100 <= rule.status <= 599:
            raise FaultRuleError("status must be an HTTP status code (100-599)")
        if not 0.0 <= rule.probability <= 1.0:
            raise FaultRuleError("probability must be between 0 and 1")
        if rule.times is not None and rule.times < 0 or rule.skip < 0 or rule.latency_ms < 0:
            raise FaultRuleError("times, skip and latency_ms must not be negative")
        return rule

    def matches(self, service: str, method: str, path: str) -> bool:
        return (
            (self.service in ("*", service))
            and (self.method in ("*", method))
            and self._path_re.search(path) is not None
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "service": self.service, "method": self.method, "path": self.path,
            "action": self.action, "status": self.status, "body": self.body, "headers": self.headers,
            "latency_ms": self.latency_ms, "times": self.times, "skip": self.skip,
            "probability": self.probability, "fired": self.fired,
        }


class FaultRegistry:
    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()
        self._next = 0

    def add(self, data: dict[str, Any]) -> FaultRule:
        with self._lock:
            self._next += 1
            rule = FaultRule.from_json(f"fault-{self._next}", data)
            self._rules.append(rule)
            return rule

    def remove(self, rule_id: str) -> bool:
        with self._lock:
            before = len(self._rules)
            self._rules = [r for r in self._rules if r.id != rule_id]
            return len(self._rules) != before

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def pick(self, service: str, method: str, path: str, roll: Any) -> FaultRule | None:
        """The first live rule matching this request, consuming one firing. `roll()` -> [0, 1)."""
        if not self._rules:  # hot path: no rules, no lock
            return None
        with self._lock:
            for rule in self._rules:
                if rule.times == 0 or not rule.matches(service, method, path):
                    continue
                if rule.skip > 0:
                    rule.skip -= 1
                    continue
                if rule.probability < 1.0 and roll() >= rule.probability:
                    continue
                if rule.times is not None:
                    rule.times -= 1
                rule.fired += 1
                return rule
        return None
