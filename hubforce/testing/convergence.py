"""The state machine's convergence checks: observe both fakes, settle and compare every person
with the model's expectation, and the invariants that hold at every step (mixin of SyncMachine)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from hypothesis.stateful import invariant

from hubforce.testing.machine_setup import (
    DEFAULT_DAILY_LIMIT,
    IN_LIST,
    POLL,
    RETRY_AFTER,
    SETTLE_CYCLES,
    Expectation,
    Observed,
    T,
)
from hubforce.testing.model import (
    ALWAYS,
    DONT,
    LinkState,
    Pair,
    Person,
    Record,
    Value,
    created_in_hubspot,
    created_in_salesforce,
    first_outcomes,
    known_outcomes,
    next_base,
)
from hubforce.testing.world import EngineRun
from scenarios.fakes import FakeApiError


class ConvergenceChecks:
    """Observation, settle-and-compare and the step invariants of `SyncMachine`."""

    # ------------------------------------------------------------------ observation
    def as_person(self, call: Callable[[], T]) -> T:
        """A person's call; HubSpot's per-second limit is shared with the engine, so someone
        who hits it waits a second and tries again."""
        for _ in range(5):
            try:
                return call()
            except FakeApiError as exc:
                if exc.status != 429:
                    raise
                self.w.advance(1)
        return call()

    def observe(self, fresh: bool = False) -> Observed:
        if self._obs is not None and not fresh:
            return self._obs
        fakes = self.w.fakes
        props = ["email", "lifecyclestage", *self.c.rules]
        body = {"properties": props, "limit": 100}
        obs = Observed()
        found = self.as_person(lambda: fakes.hs("POST", "/crm/v3/objects/contacts/search", json=body))
        for r in found.json().get("results", []):
            pr = r.get("properties") or {}
            email = (pr.get("email") or "").lower()
            obs.hs.setdefault(email, []).append(
                Record(str(r["id"]), {k: _text(pr.get(k)) for k in self.c.rules})
            )
            obs.hs_list[email] = pr.get("lifecyclestage") == IN_LIST
        fields = ", ".join(["Id", "Email", *self.c.sf_fields.values()])
        for sobject in ("Lead", "Contact"):
            extra = " WHERE IsConverted = false" if sobject == "Lead" else ""
            for r in self.as_person(lambda q=f"SELECT {fields} FROM {sobject}{extra}": fakes.sf_query(q)):
                email = (r.get("Email") or "").lower()
                vals = {k: _text(r.get(f)) for k, f in self.c.sf_fields.items()}
                obs.sf.setdefault(email, []).append(Record(str(r["Id"]), vals, sobject))
        self._obs = obs
        return obs

    # ------------------------------------------------------------------ invariants after every step
    @invariant()
    def no_duplicates(self) -> None:
        """At most one HubSpot contact per email, one (unconverted) Salesforce record per contact."""
        if self.world is None or not self._ok:
            return
        obs = self.observe()
        for email, recs in obs.hs.items():
            assert len(recs) <= 1, f"{len(recs)} HubSpot contacts with email {email}"
        for email, recs in obs.sf.items():
            assert len(recs) <= 1, f"{len(recs)} Salesforce records with email {email}: " + ", ".join(
                f"{r.sobject} {r.id}" for r in recs
            )

    @invariant()
    def nothing_unexpected_written(self) -> None:
        """Between settles, for every person without a pending structural change: records exist
        exactly as the model says; "don't sync" fields never change and "always use Salesforce"
        fields never change in Salesforce (RULE-2/4); and a contact outside the inclusion list has
        nothing written to either side (INC-3/INC-9, A1)."""
        if self.world is None or not self._ok:
            return
        obs = self.observe()
        for p in self.persons:
            if p.locked:
                continue
            hs_recs, sf_recs = obs.hs.get(p.email, []), obs.sf.get(p.email, [])
            hs = hs_recs[0] if hs_recs else None
            sf = sf_recs[0] if sf_recs else None
            assert (hs is None) == (p.hs is None), (
                f"{p.email}: HubSpot contact {'appeared' if hs else 'vanished'}"
            )
            assert (sf is None) == (p.sf is None), (
                f"{p.email}: Salesforce record {'appeared' if sf else 'vanished'}"
            )
            gated = self.c.list_enabled and p.hs is not None and not p.in_list
            for name, rule_ in self.c.rules.items():
                if hs is not None and p.hs is not None and (rule_ == DONT or gated):
                    assert hs.values[name] == p.hs.values[name], (
                        f"{p.email}: HubSpot {name} changed to {hs.values[name]!r} "
                        f"({'outside the inclusion list' if gated else 'dont_sync'}), expected {p.hs.values[name]!r}"
                    )
                if sf is not None and p.sf is not None and (rule_ in (DONT, ALWAYS) or gated):
                    assert sf.values[name] == p.sf.values[name], (
                        f"{p.email}: Salesforce {self.c.sf_fields[name]} changed to {sf.values[name]!r} "
                        f"(rule {rule_.value}{', outside the inclusion list' if gated else ''}), "
                        f"expected {p.sf.values[name]!r}"
                    )

    @invariant()
    def user_step_invariants(self) -> None:
        if self.world is None or not self._ok:
            return
        for check in self.step_invariants:
            check(self)

    # ------------------------------------------------------------------ settle and convergence
    def _stop_faults(self) -> None:
        fakes = self.w.fakes
        fakes.control("DELETE", "/faults")
        fakes.faults_active = self.faults_on = False
        if self.limit_spent:
            fakes.control(
                "PATCH", "/settings", json={"salesforce": {"daily_api_requests": DEFAULT_DAILY_LIMIT}}
            )
            fakes.usage_managed = self.limit_spent = False
        self.w.crash = None
        # A receiver in trouble stays so (until `webhook_recover`): the search capture alone must
        # bring everything together, with deliveries failing, retried and dropped meanwhile.

    def _settle_and_check(self, why: str) -> None:
        for p in self.persons:  # an import run again below also takes records created since
            if p.sf is not None and p.sf.sobject in self.import_retry and p.link == LinkState.NONE:
                p.imported = p.sf.sobject
        expected = {p.email: self.expect(p) for p in self.persons}
        self._stop_faults()
        if self.import_retry or self.resync_retry:
            self.w.engine.clear_suspension()  # the admin clears a pause before importing again
        for sobject in sorted(self.import_retry):  # the admin runs an unfinished import again
            run = self.w.run(lambda e, o=sobject: e.import_salesforce(o))
            assert run.report is not None and not run.report.stopped, (
                f"import of {sobject} failed: {run.report}"
            )
        self.import_retry.clear()
        for p in self.persons:
            if p.email in self.resync_retry and p.hs is not None:
                hs_id = p.hs.id
                run = self.w.run(lambda e, h=hs_id: e.resync_record(h))
                assert run.report is not None and not run.report.stopped, f"resync of {p.email} failed"
        self.resync_retry.clear()
        last: EngineRun | None = None
        for _ in range(SETTLE_CYCLES):
            self.w.advance(RETRY_AFTER)
            last = self.w.run(lambda e: e.run_cycle())
            rep = last.report
            assert rep is not None
            if rep.stopped:  # suspended or paused by an earlier fault: the admin clears it (SUS-4)
                self.w.engine.clear_suspension()
                continue
            if rep.writes == 0 and not last.write_calls and self.w.engine.status()["queue"] == 0:
                break
        else:
            raise AssertionError(f"{why}: the engine did not settle in {SETTLE_CYCLES} cycles: {last}")
        self._obs = None
        obs = self.observe()
        problems = []
        for p in self.persons:
            problems += self._compare(p, expected[p.email], obs)
        assert not problems, f"{why}: after faults stopped and cycles ran:\n  " + "\n  ".join(problems)
        for p in self.persons:
            self._adopt(p, expected[p.email], obs)
        # no echo: once converged, a later cycle writes nothing (RULE-*, TRG-4)
        self.w.advance(POLL)
        echo = self.w.run(lambda e: e.run_cycle())
        assert echo.report is not None and echo.report.writes == 0 and not echo.write_calls, (
            f"{why}: a cycle after convergence wrote: {_calls(echo.write_calls)}"
        )
        self._obs = None
        self.settles += 1
        for check in self.quiet_invariants:
            check(self)

    def expect(self, p: Person) -> Expectation:
        """What both sides should hold for `p` once the engine has caught up (see hubforce.testing.model)."""
        c = self.c
        h = dict(p.hs.values) if p.hs else None
        s = dict(p.sf.values) if p.sf else None
        unchanged = {k: [(h.get(k) if h else None, s.get(k) if s else None)] for k in c.rules}
        eligible = self.eligible(p)
        link = p.link
        if p.sf_deleted_linked:  # DEL-1: the link goes; the contact too if the setting says so
            gone = c.delete_on_sf_delete
            outcomes = {k: [(None if gone else v[0][0], None)] for k, v in unchanged.items()}
            return Expectation(p.hs is not None and not gone, False, outcomes, LinkState.NONE, why="DEL-1")
        if link == LinkState.STALE:
            if not (p.hs is not None and p.hs_event and eligible):
                return Expectation(
                    p.hs is not None, p.sf is not None, unchanged, link, why="DEL-2 stale link"
                )
            link = LinkState.NONE  # a new contact with that email: CON-8 links it to the existing record
        if link in (LinkState.SYNCED, LinkState.UNSYNCED) and h is not None and s is not None:
            triggered = p.hs_event or p.sf_event or p.joined or p.converted or p.imported is not None
            if not (eligible and triggered):
                return Expectation(True, True, unchanged, link, why="not triggered or outside the list")
            if link == LinkState.SYNCED:
                outcomes = {
                    k: known_outcomes(r, p.base.get(k, (h[k], s[k])), h[k], s[k]) for k, r in c.rules.items()
                }
                return Expectation(True, True, outcomes, link, why="RULE-1..4")
            outcomes = {k: first_outcomes(r, h[k], s[k]) for k, r in c.rules.items()}
            return Expectation(True, True, outcomes, LinkState.SYNCED, first=True, why="first sync")
        if h is not None and s is None:
            if eligible and (p.hs_event or p.joined):
                outcomes = {k: [(h[k], created_in_salesforce(r, h[k])[0])] for k, r in c.rules.items()}
                return Expectation(
                    True, True, outcomes, LinkState.SYNCED, sf_object=c.creates, why="CON-2 create"
                )
            return Expectation(
                True, False, unchanged, link, why="HubSpot only, not eligible or not triggered"
            )
        if h is None and s is not None:
            assert p.sf is not None
            if p.imported == p.sf.sobject:  # IMP-1 (email only), then IMP-2 unless a list is in use (IMP-3)
                if c.list_enabled:
                    outcomes = {k: [(None, s[k])] for k in c.rules}
                    return Expectation(True, True, outcomes, LinkState.UNSYNCED, in_list=False, why="IMP-1/3")
                outcomes = {k: first_outcomes(r, None, s[k]) for k, r in c.rules.items()}
                return Expectation(True, True, outcomes, LinkState.SYNCED, True, in_list=False, why="IMP-1/2")
            if p.sf_event and c.from_sf(p.sf.sobject):  # TRG-6/CON-1, regardless of the list (INC-7)
                outcomes = {k: [(created_in_hubspot(r, s[k])[0], s[k])] for k, r in c.rules.items()}
                return Expectation(True, True, outcomes, LinkState.SYNCED, in_list=False, why="TRG-6 create")
            return Expectation(False, True, unchanged, link, why="Salesforce only, not created (CON-1)")
        if h is not None and s is not None:
            assert p.sf is not None
            first = {k: first_outcomes(r, h[k], s[k]) for k, r in c.rules.items()}
            if eligible and (p.hs_event or p.joined):
                return Expectation(True, True, first, LinkState.SYNCED, True, why="CON-8 match by email")
            if p.imported == p.sf.sobject or (p.sf_event and c.from_sf(p.sf.sobject)):
                if eligible:
                    return Expectation(True, True, first, LinkState.SYNCED, True, why="CON-5 match by email")
                if p.sf_created and p.imported is None:
                    # INC-7: a new Salesforce record deduplicated onto the existing contact outside
                    # the list syncs once (like a contact created outside it), then holds
                    return Expectation(True, True, first, LinkState.SYNCED, True, why="INC-7 dedupe, synced once")
                return Expectation(
                    True, True, unchanged, LinkState.UNSYNCED, why="INC-3 linked, outside the list"
                )
            return Expectation(True, True, unchanged, link, why="both exist, not triggered")
        return Expectation(False, False, unchanged, link, why="nothing")

    def _compare(self, p: Person, e: Expectation, obs: Observed) -> list[str]:
        out: list[str] = []
        hs_recs, sf_recs = obs.hs.get(p.email, []), obs.sf.get(p.email, [])
        hs = hs_recs[0] if hs_recs else None
        sf = sf_recs[0] if sf_recs else None
        tag = f"{p.email} [{e.why}]"
        if (hs is not None) != e.hs:
            out.append(
                f"{tag}: HubSpot contact {'exists' if hs else 'missing'}, expected {'one' if e.hs else 'none'}"
            )
        if (sf is not None) != e.sf:
            out.append(
                f"{tag}: Salesforce record {'exists (' + sf.sobject + ' ' + sf.id + ')' if sf else 'missing'}, "
                f"expected {'one' if e.sf else 'none'}"
            )
        if e.sf_object and sf is not None and sf.sobject != e.sf_object:
            out.append(f"{tag}: created a Salesforce {sf.sobject}, expected a {e.sf_object} (CON-2)")
        for name, allowed in e.outcomes.items():
            got = (hs.values[name] if hs else None, sf.values[name] if sf else None)
            want = [(a if e.hs else None, b if e.sf else None) for a, b in allowed]
            if got not in want:
                out.append(
                    f"{tag}: {name}/{self.c.sf_fields[name]} ({self.c.rules[name].value}) is "
                    f"hubspot={got[0]!r} salesforce={got[1]!r}; expected "
                    + " or ".join(f"hubspot={a!r} salesforce={b!r}" for a, b in want)
                )
        return out

    def _adopt(self, p: Person, e: Expectation, obs: Observed) -> None:
        hs_recs, sf_recs = obs.hs.get(p.email, []), obs.sf.get(p.email, [])
        p.hs = hs_recs[0] if hs_recs else None
        p.sf = sf_recs[0] if sf_recs else None
        if e.in_list is not None:
            p.in_list = e.in_list
        if e.link == LinkState.SYNCED and p.hs is not None and p.sf is not None:
            new_base: dict[str, Pair] = {}
            for name, r in self.c.rules.items():
                b = next_base(
                    r, None if e.first else p.base.get(name), (p.hs.values[name], p.sf.values[name]), e.first
                )
                if b is not None:
                    new_base[name] = b
            if e.first or p.link != LinkState.SYNCED:
                p.base = new_base
            else:
                p.base.update(new_base)
        elif e.link != LinkState.SYNCED:
            p.base = {} if e.link == LinkState.NONE else p.base
        p.link = e.link
        p.settled()



def _text(value: Any) -> Value:
    if value is None or value == "":
        return None
    return str(value)


def _values(obs: Observed) -> dict[str, Any]:
    return {
        "hs": {e: sorted((r.id, sorted(r.values.items(), key=str)) for r in rs) for e, rs in obs.hs.items()},
        "sf": {e: sorted((r.id, sorted(r.values.items(), key=str)) for r in rs) for e, rs in obs.sf.items()},
    }


def _calls(entries: list[dict[str, Any]]) -> str:
    return ", ".join(f"{k} x{n}" for k, n in Counter(f"{e['method']} {e['path']}" for e in entries).items())
