"""A state machine for companies <-> accounts: people create and edit accounts in Salesforce and
companies in HubSpot (with or without contacts), import accounts, press a company's Sync button, and
the engine runs poll cycles, sometimes crashing mid-write and restarting from its state, sometimes
with a call failing in transit (any transport error class, before the fake or with the answer lost
after it acted: ERR-7). After every
step the invariants hold:

  * no duplicate account per HubSpot company: a company name made in HubSpot has at most one
    Salesforce account, and no two live companies name the same account in salesforceaccountid;
  * no duplicate company per account: an account name made in Salesforce has at most one company;
  * every link the engine keeps pairs a live company with the account its salesforceaccountid names.

Test tooling over the fakes (hubforce.testing.world); `run_company_machine()` runs it.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from hypothesis import settings as hyp_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import select

from hubforce.testing import profiles  # noqa: F401  (registers the profiles)
from hubforce.testing.transport_faults import TRANSPORT_FAILURES, TransportFault
from hubforce.testing.world import CrashPlan, World
from sync.rules import decide_field
from sync.state.models import Link

POLL = 900
SETTINGS: dict[str, Any] = {
    "contacts": {"hubspot_creates": "contact"},
    "companies": {"enabled": True},
    "cursor_overlap_seconds": 60,
}


class CompanyMachine(RuleBasedStateMachine):
    decide = staticmethod(decide_field)

    def __init__(self) -> None:
        super().__init__()
        self.world: World | None = None
        self.accounts: list[str] = []  # Salesforce ids the machine created
        self.companies: list[str] = []  # HubSpot ids the machine created
        self.n = 0

    @initialize()
    def start(self) -> None:
        self.world = World(dict(SETTINGS), decide=type(self).decide)
        self.world.run(lambda e: e.run_cycle())  # install: nothing exists yet
        self.world.advance(60)

    def teardown(self) -> None:
        if self.world is not None:
            self.world.close()
            self.world = None

    @property
    def w(self) -> World:
        assert self.world is not None
        return self.world

    def _name(self, kind: str) -> str:
        self.n += 1
        return f"{kind} {self.n}"

    # --- people --------------------------------------------------------------------------------
    @rule()
    def salesforce_create_account(self) -> None:
        self.accounts.append(self.w.fakes.sf_create("Account", {"Name": self._name("Account")}))

    @rule(i=st.integers(0, 5), phone=st.sampled_from(["+1 555 0100", "+1 555 0199", None]))
    def salesforce_update_account(self, i: int, phone: str | None) -> None:
        if self.accounts:
            self.w.fakes.sf_update("Account", self.accounts[i % len(self.accounts)], {"Phone": phone})

    @rule(contacts=st.integers(0, 2))
    def hubspot_create_company(self, contacts: int) -> None:
        name = self._name("Company")
        company = self.w.fakes.hs("POST", "/crm/v3/objects/companies", json={"properties": {"name": name}}).json()
        self.companies.append(str(company["id"]))
        for k in range(contacts):
            contact = self.w.fakes.hs_create_contact({"email": f"c{self.n}-{k}@example.com", "lastname": "Person"})
            self.w.fakes.hs(
                "PUT", f"/crm/v4/objects/contacts/{contact['id']}/associations/default/companies/{company['id']}"
            )

    @rule(i=st.integers(0, 5))
    def associate_contact_of_account(self, i: int) -> None:
        """A Salesforce contact on an account (its HubSpot contact comes by the contacts sync)."""
        if self.accounts:
            account = self.accounts[i % len(self.accounts)]
            self.w.fakes.sf_create("Contact", {"LastName": "Person", "Email": f"a{self._name('c').split()[-1]}@example.com", "AccountId": account})

    # --- the engine ----------------------------------------------------------------------------
    @rule(crash_after=st.none() | st.integers(1, 30))
    def sync_cycle(self, crash_after: int | None) -> None:
        self.w.advance(POLL)
        if crash_after is not None:
            self.w.crash = CrashPlan("transport", crash_after)
        self.w.run(lambda e: e.run_cycle())

    @rule(i=st.integers(0, 5), crash_after=st.none() | st.integers(1, 10))
    def sync_company(self, i: int, crash_after: int | None) -> None:
        """The Sync button (CMP-5); a few calls, so a crash often takes the account create's answer."""
        if self.companies:
            cid = self.companies[i % len(self.companies)]
            if crash_after is not None:
                self.w.crash = CrashPlan("transport", crash_after)
            self.w.run(lambda e: e.resync_record(cid, "companies"))

    @rule(error=st.sampled_from(sorted(TRANSPORT_FAILURES)), after=st.integers(1, 30), before=st.booleans())
    def sync_cycle_with_transport_failure(self, error: str, after: int, before: bool) -> None:
        """ERR-7: one call of the cycle fails in transit, before reaching the fake or with its
        answer lost after the fake acted (an account created, the engine never told)."""
        self.w.advance(POLL)
        self.w.crash = TransportFault("fault", after, error=error, before=before)
        self.w.run(lambda e: e.run_cycle())

    @rule(i=st.integers(0, 5), error=st.sampled_from(sorted(TRANSPORT_FAILURES)), after=st.integers(1, 10))
    def sync_company_with_lost_answer(self, i: int, error: str, after: int) -> None:
        """The Sync button with one answer lost after the fake acted (often the account create's)."""
        if self.companies:
            cid = self.companies[i % len(self.companies)]
            self.w.crash = TransportFault("fault", after, error=error, before=False)
            self.w.run(lambda e: e.resync_record(cid, "companies"))

    @rule()
    def import_accounts(self) -> None:
        self.w.run(lambda e: e.import_salesforce("Account"))

    # --- invariants ----------------------------------------------------------------------------
    def _companies(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        after = None
        while True:
            params: dict[str, Any] = {"limit": 100, "properties": "name,salesforceaccountid"}
            if after:
                params["after"] = after
            body = self.w.fakes.hs("GET", "/crm/v3/objects/companies", params=params).json()
            out.extend(body.get("results", []))
            after = ((body.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return out

    @invariant()
    def no_duplicates(self) -> None:
        if self.world is None:
            return
        companies = self._companies()
        accounts = self.w.fakes.sf_query("SELECT Id, Name FROM Account")
        per_name = Counter(a["Name"] for a in accounts)
        dup_accounts = {n: c for n, c in per_name.items() if c > 1 and n.startswith("Company ")}
        assert not dup_accounts, f"a HubSpot company got several accounts: {dup_accounts}"
        company_names = Counter(str((c.get("properties") or {}).get("name")) for c in companies)
        dup_companies = {n: c for n, c in company_names.items() if c > 1 and n.startswith("Account ")}
        assert not dup_companies, f"a Salesforce account got several companies: {dup_companies}"
        named = Counter(
            str((c.get("properties") or {}).get("salesforceaccountid"))
            for c in companies
            if (c.get("properties") or {}).get("salesforceaccountid")
        )
        assert all(v == 1 for v in named.values()), f"companies naming the same account: {named}"

    @invariant()
    def links_agree_with_records(self) -> None:
        if self.world is None:
            return
        by_id = {str(c["id"]): (c.get("properties") or {}).get("salesforceaccountid") for c in self._companies()}
        with self.w.engine.store.session() as s:
            links = list(s.scalars(select(Link).where(Link.object_type == "companies")))
        for lk in links:
            if lk.hs_id in by_id and by_id[lk.hs_id]:
                assert by_id[lk.hs_id] == lk.sf_id, f"company {lk.hs_id} names {by_id[lk.hs_id]}, link says {lk.sf_id}"


def run_company_machine(profile: str = "ci", max_examples: int | None = None) -> None:
    """Run the machine under a hypothesis profile (hubforce.testing.profiles)."""
    base = hyp_settings.get_profile(profile)
    chosen = hyp_settings(base, max_examples=max_examples or base.max_examples)
    CompanyMachine.TestCase.settings = chosen
    CompanyMachine.TestCase().runTest()
