"""Issue 17's invariants for the sync state machine: no flicker (hubforce.testing.flicker), no
transport failure escaping an engine action (hubforce.testing.transport_faults), and chunk
boundaries (the machine run with chunk sizes 1 and 7; test_sync_machine.py runs the default).

The issue's bug 2 reproduction (`test_initial_sync_never_blanks_a_value`) failed on the engine before
the redesign (issue 11), which stopped reading a stale captured blank as a clear."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import requests

from hubforce.testing import SyncMachine, run_state_machine
from hubforce.testing.flicker import FlickerWatch
from hubforce.testing.world import World

FIELDS = {"phone": "Phone", "firstname": "FirstName"}


class _Resp(requests.Response):
    def __init__(self, status: int, body: bytes) -> None:
        super().__init__()
        self.status_code = status
        self._content = body


def _hs_update(watch: FlickerWatch, rid: str, value: str | None) -> None:
    body = {"inputs": [{"id": rid, "properties": {"phone": value or ""}}]}
    watch.on_call("POST", "http://hs/crm/v3/objects/contacts/batch/update", {"json": body},
                  _Resp(200, b'{"results": [{"id": "%s"}]}' % rid.encode()))


def _sf_update(watch: FlickerWatch, rid: str, value: str | None) -> None:
    body = {"records": [{"attributes": {"type": "Lead"}, "Id": rid, "Phone": value}]}
    watch.on_call("PATCH", "http://sf/services/data/v59.0/composite/sobjects", {"json": body},
                  _Resp(200, b'[{"id": "%s", "success": true}]' % rid.encode()))


class _NoUserEdits:
    """Just enough of a World for the watch: a journal with no user writes and no links."""

    def __init__(self, links: set[tuple[str, str]] | None = None, user_wrote: bool = False) -> None:
        self.links = links or set()
        self.user_wrote = user_wrote
        self.fakes = self
        self.engine = self
        self.store = self

    def journal(self, since: int) -> list[dict[str, Any]]:
        return [{"method": "PATCH", "path": "/crm/v3/objects/contacts/1", "seq": since + 1}] if self.user_wrote else []

    def _sessions(self) -> Any:
        links = self.links

        class _S:
            def __enter__(self) -> Any:
                return self

            def __exit__(self, *a: object) -> None:
                return None

            def execute(self, _q: object) -> set[tuple[str, str]]:
                return links

        return _S()


def _action(watch: FlickerWatch, world: Any, start: int, *writes: Any) -> None:
    watch.on_action(world, start)
    for w in writes:
        w()
    watch.on_action_end(world, [{"seq": start + 1}], crashed=False)


def test_the_watch_flags_a_flip_and_a_phantom_clear_and_nothing_legitimate() -> None:
    quiet = _NoUserEdits(links={("1", "L1")})
    watch = FlickerWatch(FIELDS)
    # legitimate: the same value written again (a retry), then a user edit, then a new value
    _action(watch, quiet, 0, lambda: _hs_update(watch, "1", "+1"), lambda: _sf_update(watch, "L1", "+1"))
    _action(watch, quiet, 2, lambda: _hs_update(watch, "1", "+1"))
    _action(watch, _NoUserEdits(user_wrote=True), 4, lambda: _hs_update(watch, "1", None))
    assert watch.writes == 4
    # bug 2, cycle 1: the value filled in Salesforce and cleared in HubSpot in one action
    with pytest.raises(AssertionError, match="phantom clear"):
        _action(watch, quiet, 6, lambda: _sf_update(watch, "L1", "+1"), lambda: _hs_update(watch, "1", None))
    # bug 2, cycle 2: HubSpot set back to the value with nobody editing in between
    with pytest.raises(AssertionError, match="flicker: the engine set hubspot 1 phone to '\\+1'"):
        _action(watch, quiet, 8, lambda: _hs_update(watch, "1", "+1"))
    # an update the fake refused did not take effect: not a write
    other = FlickerWatch(FIELDS)
    other.on_action(quiet, 0)
    other.on_call("POST", "http://hs/crm/v3/objects/contacts/batch/update",
                  {"json": {"inputs": [{"id": "9", "properties": {"phone": "x"}}]}}, _Resp(207, b'{"results": []}'))
    assert other.writes == 0


def test_initial_sync_never_blanks_a_value() -> None:
    """Issue 17 bug 2, as the issue reproduces it, at a chunk size of 1 instead of 1,000 records:
    a HubSpot contact with a phone, a new Salesforce lead with the same email and no phone."""
    world = World({"contacts": {}}, chunk_size=1)
    try:
        watch = FlickerWatch({"phone": "Phone"})
        world.watchers.append(watch)
        world.run(lambda e: e.run_cycle())  # install
        world.advance(60)
        for i in range(3):
            world.fakes.hs_create_contact({"email": f"c{i}@example.com"})
        hs_id = world.fakes.hs_create_contact({"email": "phone@example.com", "phone": "+1 555 0100"})["id"]
        world.fakes.sf_create("Lead", {"Email": "phone@example.com", "LastName": "P", "Company": "C"})
        for _ in range(3):
            world.advance(901)
            world.run(lambda e: e.run_cycle())
        got = world.fakes.hs("GET", f"/crm/v3/objects/contacts/{hs_id}", params={"propertiesWithHistory": "phone"})
        history = [h["value"] for h in got.json()["propertiesWithHistory"]["phone"]]
        assert history == ["+1 555 0100"], f"the contact's phone history reads {history}"
        assert watch.writes >= 1
    finally:
        world.close()


@pytest.mark.parametrize("chunk_size", [1, 7])
def test_sync_machine_at_small_chunk_sizes(chunk_size: int) -> None:
    """Chunk boundaries: the machine (transport failures and the flicker watch included) with the
    queue processed 1 and 7 items at a time."""
    seen: Counter[str] = Counter()

    def record(m: SyncMachine) -> None:  # after every step
        assert m.w.engine.chunk_size == chunk_size
        seen["steps"] += 1
        seen["writes"] = max(seen["writes"], m.flicker.writes if m.flicker else 0)

    run_state_machine(profile="ci", max_examples=8, stateful_step_count=20, chunk_size=chunk_size,
                      webhooks=None, step_invariants=[record])
    assert seen["steps"] > 0 and seen["writes"] > 0, seen


def test_transport_failures_are_injected_and_survived() -> None:
    """The fault set reaches every transport error class; a run with them armed keeps every invariant."""
    from hubforce.testing.transport_faults import TRANSPORT_FAILURES, TransportFault

    fired: Counter[str] = Counter()
    original = TransportFault._maybe_raise

    def counting(self: TransportFault) -> None:
        try:
            original(self)
        except BaseException:
            fired[self.error] += 1
            raise

    TransportFault._maybe_raise = counting  # type: ignore[method-assign]
    try:
        run_state_machine(profile="ci", max_examples=12, stateful_step_count=30, webhooks=False)
    finally:
        TransportFault._maybe_raise = original  # type: ignore[method-assign]
    assert sum(fired.values()) > 0, "no transport failure was injected"
    assert set(fired) <= set(TRANSPORT_FAILURES)
