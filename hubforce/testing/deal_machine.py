"""`DealMachine`: a Hypothesis state machine over both fakes and the engine with deal sync on.

People create opportunities (open or already won), add and remove contact roles, move an
opportunity's stage, create deals in HubSpot with contacts, associate and remove contacts on a deal,
and move a deal out of the synced pipeline and back; `settle` runs cycles until one writes nothing
and checks the invariants of issue 12:

* no duplicate deal per opportunity, and every opportunity created while deal sync is on has its deal;
* a synced deal's contacts equal its opportunity's contact roles (within the gate: deals sitting in
  a synced pipeline), and a deal outside it leaves its opportunity as it was (DEAL-5);
* a contact's lifecycle stage never moves backwards (ALC-2).

The engine's contact-role rule can be swapped (`role_diff=`) to prove the machine notices a broken one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from sync.deal_rules import LIFECYCLE_ORDER

CONTACTS = 4
SF_PIPELINE = "Salesforce - Default pipeline"
STAGES = ("Prospecting", "Negotiation/Review", "Closed Won")


class DealMachine(RuleBasedStateMachine):
    """Subclass and set `role_diff` to run the engine with another contact-role merge."""

    role_diff: Callable[..., Any] | None = None

    def __init__(self) -> None:
        super().__init__()
        from scenarios.fakes import FakesClient
        from simulator import Sandbox
        from simulator.core.inprocess import InProcessTransport

        self.sandbox = Sandbox(seed=11)
        self.transport = InProcessTransport(self.sandbox)
        self.transport.__enter__()
        self.fakes = FakesClient(self.transport.hubspot_url, self.transport.salesforce_url)
        self.opps: list[str] = []  # opportunities created while deal sync is on
        self.deals: list[str] = []  # deals people created in HubSpot
        self.wanted: dict[str, set[str]] = {}  # deal -> the contacts people associated with it
        self.outside: dict[str, dict[str, Any]] = {}  # deal id -> its opportunity's fields when it left
        self.stage_rank: dict[str, int] = {}
        self.contacts: list[str] = []
        self.hs_contacts: list[str] = []

    def teardown(self) -> None:
        if self.role_diff is not None and hasattr(self, "_saved"):
            import sync.objects.deals as deals_module

            deals_module.contact_role_diff = self._saved
        self.transport.__exit__(None, None, None)

    # --- setup -------------------------------------------------------------------------------------
    @initialize()
    def install(self) -> None:
        from sync.engine import SyncEngine
        from sync.settings import Settings

        t = self.transport
        self.settings = Settings.from_dict(
            {
                "hubspot": {"url": t.hubspot_url, "token": "pat-local-sandbox"},
                "salesforce": {"url": t.salesforce_url, "session_id": "sandbox-session"},
                "contacts": {"hubspot_creates": "contact"},
                "deals": {"enabled": True, "lifecycle_transitions": True},
                "api": {"pacing": False},
            }
        )
        self.engine = SyncEngine(self.settings, state_url="sqlite://", sleep=self.sandbox.clock.advance, now=self.sandbox.clock.now)
        if self.role_diff is not None:
            import sync.objects.deals as deals_module

            self._saved = deals_module.contact_role_diff
            deals_module.contact_role_diff = self.role_diff
        self.engine.run_cycle()
        self.sandbox.clock.advance(60)
        for i in range(CONTACTS):
            body = {"LastName": f"Person {i}", "Email": f"p{i}@example.com"}
            self.contacts.append(str(self.fakes.sf("POST", "/sobjects/Contact/", json=body).json()["id"]))
        self._cycles()
        found = self.fakes.hs("POST", "/crm/v3/objects/contacts/search", json={"filterGroups": [], "properties": ["email"], "limit": 100}).json()
        self.hs_contacts = sorted(str(r["id"]) for r in found.get("results", []))

    # --- people ------------------------------------------------------------------------------------
    @rule(stage=st.sampled_from(STAGES), roles=st.sets(st.integers(0, CONTACTS - 1), max_size=2))
    def create_opportunity(self, stage: str, roles: set[int]) -> None:
        body = {"Name": f"Opp {len(self.opps)}", "StageName": stage, "CloseDate": "2026-06-30", "Amount": 100}
        opp = str(self.fakes.sf("POST", "/sobjects/Opportunity/", json=body).json()["id"])
        self.opps.append(opp)
        for i in sorted(roles):
            self._add_role(opp, self.contacts[i])

    @precondition(lambda self: bool(self.opps))
    @rule(data=st.data(), contact=st.integers(0, CONTACTS - 1))
    def add_contact_role(self, data: st.DataObject, contact: int) -> None:
        self._add_role(data.draw(st.sampled_from(self.opps)), self.contacts[contact])

    @precondition(lambda self: bool(self.opps))
    @rule(data=st.data())
    def remove_contact_role(self, data: st.DataObject) -> None:
        opp = data.draw(st.sampled_from(self.opps))
        rows = self.fakes.sf_query(f"SELECT Id FROM OpportunityContactRole WHERE OpportunityId = '{opp}'")
        if rows:
            self.fakes.sf("DELETE", f"/sobjects/OpportunityContactRole/{rows[0]['Id']}")

    @precondition(lambda self: bool(self.opps))
    @rule(data=st.data(), stage=st.sampled_from(STAGES))
    def change_stage(self, data: st.DataObject, stage: str) -> None:
        self.fakes.sf("PATCH", f"/sobjects/Opportunity/{data.draw(st.sampled_from(self.opps))}", json={"StageName": stage})

    @rule(contacts=st.sets(st.integers(0, CONTACTS - 1), max_size=2))
    def create_deal(self, contacts: set[int]) -> None:
        pid, stages = self._pipeline(SF_PIPELINE)
        props = {"dealname": f"Deal {len(self.deals)}", "closedate": "2026-06-30", "pipeline": pid, "dealstage": stages["Prospecting"]}
        deal = str(self.fakes.hs("POST", "/crm/v3/objects/deals", json={"properties": props}).json()["id"])
        self.deals.append(deal)
        self.wanted[deal] = {self.hs_contacts[i] for i in contacts}
        self._associate(deal, sorted(self.wanted[deal]), "associate/default")

    @precondition(lambda self: bool(self.deals))
    @rule(data=st.data(), contact=st.integers(0, CONTACTS - 1), add=st.booleans())
    def change_deal_contacts(self, data: st.DataObject, contact: int, add: bool) -> None:
        deal = data.draw(st.sampled_from(self.deals))
        self._associate(deal, [self.hs_contacts[contact]], "associate/default" if add else "archive")
        (self.wanted[deal].add if add else self.wanted[deal].discard)(self.hs_contacts[contact])
        # an association change goes over with the deal's next sync (README, Deals): touch the deal
        self.fakes.hs("PATCH", f"/crm/v3/objects/deals/{deal}", json={"properties": {"description": f"touched {contact}"}})

    @precondition(lambda self: bool(self.deals))
    @rule(data=st.data())
    def move_deal(self, data: st.DataObject) -> None:
        """DEAL-5: out of the synced pipeline (and an edit there), or back in."""
        deal = data.draw(st.sampled_from(self.deals))
        if deal in self.outside:
            pid, stages = self._pipeline(SF_PIPELINE)
            self.outside.pop(deal)
            self.fakes.hs("PATCH", f"/crm/v3/objects/deals/{deal}", json={"properties": {"pipeline": pid, "dealstage": stages["Prospecting"]}})
            return
        opp = self._opp_of(deal)
        if opp is None:
            return  # not synced yet: moving it would only keep it from syncing
        pid, stages = self._pipeline("Sales Pipeline")
        self.outside[deal] = self._opp_fields(opp)
        props = {"pipeline": pid, "dealstage": stages["Appointment Scheduled"], "amount": "999"}
        self.fakes.hs("PATCH", f"/crm/v3/objects/deals/{deal}", json={"properties": props})

    @rule()
    def sync_cycle(self) -> None:
        self.sandbox.clock.advance(900)
        self.engine.run_cycle()

    @rule()
    def settle(self) -> None:
        self._cycles()
        self._check_no_duplicates()
        self._check_roles()
        self._check_outside()
        self._check_wanted()

    @invariant()
    def lifecycle_never_backwards(self) -> None:
        if not self.hs_contacts:
            return
        body = {"inputs": [{"id": c} for c in self.hs_contacts], "properties": ["lifecyclestage"]}
        for r in self.fakes.hs("POST", "/crm/v3/objects/contacts/batch/read", json=body).json().get("results", []):
            stage = (r.get("properties") or {}).get("lifecyclestage")
            rank = LIFECYCLE_ORDER.index(stage) if stage in LIFECYCLE_ORDER else -1
            assert rank >= self.stage_rank.get(str(r["id"]), -1), f"ALC-2: contact {r['id']} moved back to {stage}"
            self.stage_rank[str(r["id"])] = rank

    # --- checks -------------------------------------------------------------------------------------
    def _check_no_duplicates(self) -> None:
        by_opp: dict[str, int] = {}
        for d in self._all_deals():
            opp = (d.get("properties") or {}).get("hs_salesforceopportunityid")
            if opp:
                by_opp[opp] = by_opp.get(opp, 0) + 1
        dupes = {o: n for o, n in by_opp.items() if n > 1}
        assert not dupes, f"DEAL-9/no duplicate: opportunities with several deals {dupes}"
        missing = [o for o in self.opps if o not in by_opp]
        assert not missing, f"opportunities without their deal after settling: {missing}"

    def _check_roles(self) -> None:
        for d in self._all_deals():
            props = d.get("properties") or {}
            opp = props.get("hs_salesforceopportunityid")
            if not opp or str(d["id"]) in self.outside:
                continue
            on_deal = {self._email(c) for c in self._deal_contacts(str(d["id"]))}
            rows = self.fakes.sf_query(f"SELECT Contact.Email FROM OpportunityContactRole WHERE OpportunityId = '{opp}'")
            roles = {str((r.get("Contact") or {}).get("Email")).lower() for r in rows}
            assert on_deal == roles, f"DEAL-6: deal {d['id']} has contacts {sorted(on_deal)}, opportunity {opp} roles {sorted(roles)}"

    def _check_wanted(self) -> None:
        """Contacts a person associated with a deal in HubSpot stay associated (nobody removed their
        contact roles: the machine removes roles only of opportunities created in Salesforce)."""
        for deal, want in self.wanted.items():
            got = set(self._deal_contacts(deal))
            assert got == want, f"DEAL-6: deal {deal} should keep the contacts people gave it {sorted(want)}, has {sorted(got)}"

    def _check_outside(self) -> None:
        for deal, before in self.outside.items():
            opp = self._opp_of(deal)
            after = self._opp_fields(opp) if opp else None
            assert after == before, f"DEAL-5: deal {deal} sits outside the synced pipelines, yet opportunity {opp} changed: {before} -> {after}"

    # --- helpers ------------------------------------------------------------------------------------
    def _cycles(self) -> None:
        for _ in range(6):
            self.sandbox.clock.advance(900)
            report = self.engine.run_cycle()
            if not (report.writes or report.created_in_hubspot or report.created_in_salesforce):
                return

    def _add_role(self, opp: str, contact: str) -> None:
        self.fakes.sf("POST", "/sobjects/OpportunityContactRole/", json={"OpportunityId": opp, "ContactId": contact})

    def _associate(self, deal: str, contacts: list[str], how: str) -> None:
        if not contacts:
            return
        if how == "archive":
            body: dict[str, Any] = {"inputs": [{"from": {"id": deal}, "to": [{"id": c} for c in contacts]}]}
        else:
            body = {"inputs": [{"from": {"id": deal}, "to": {"id": c}} for c in contacts]}
        self.fakes.hs("POST", f"/crm/v4/associations/deals/contacts/batch/{how}", json=body)

    def _pipeline(self, label: str) -> tuple[str, dict[str, str]]:
        for p in self.fakes.hs("GET", "/crm/v3/pipelines/deals").json()["results"]:
            if p["label"] == label:
                return str(p["id"]), {s["label"]: str(s["id"]) for s in p["stages"]}
        raise AssertionError(f"no pipeline {label!r}")

    def _all_deals(self) -> list[dict[str, Any]]:
        body = {"filterGroups": [], "properties": ["hs_salesforceopportunityid", "pipeline"], "limit": 200}
        return list(self.fakes.hs("POST", "/crm/v3/objects/deals/search", json=body).json().get("results", []))

    def _opp_of(self, deal: str) -> str | None:
        rec = self.fakes.hs("GET", f"/crm/v3/objects/deals/{deal}", params={"properties": "hs_salesforceopportunityid"}).json()
        return (rec.get("properties") or {}).get("hs_salesforceopportunityid") or None

    def _opp_fields(self, opp: str) -> dict[str, Any]:
        rec = self.fakes.sf_get("Opportunity", opp) or {}
        return {k: rec.get(k) for k in ("Name", "Amount", "StageName")}

    def _deal_contacts(self, deal: str) -> list[str]:
        body = self.fakes.hs("GET", f"/crm/v4/objects/deals/{deal}/associations/contacts").json()
        return [str(r["toObjectId"]) for r in body.get("results", [])]

    def _email(self, contact: str) -> str:
        rec = self.fakes.hs("GET", f"/crm/v3/objects/contacts/{contact}", params={"properties": "email"}).json()
        return str((rec.get("properties") or {}).get("email")).lower()


def run_deal_machine(max_examples: int = 5, role_diff: Callable[..., Any] | None = None, shrink: bool = True) -> None:
    """Run the machine (derandomized); raises AssertionError on a broken invariant. Each step works
    on a whole sandbox, so shrinking a failure is slow: `shrink=False` reports the first one found."""
    machine = type("ConfiguredDealMachine", (DealMachine,), {"role_diff": staticmethod(role_diff) if role_diff else None})
    machine.TestCase.settings = settings(
        max_examples=max_examples,
        stateful_step_count=12,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        phases=list(Phase) if shrink else [Phase.explicit, Phase.reuse, Phase.generate],
    )
    machine.TestCase("runTest").runTest()
