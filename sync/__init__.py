"""Hubforce sync engine: HubSpot contacts <-> Salesforce leads/contacts over plain HTTP (`requests`).

Public API (what the scenario runner, the Hypothesis state machine and the CLI build on):

    from sync.settings import Settings
    from sync.engine import SyncEngine, CycleReport

    settings = Settings.from_yaml("sync.yaml")          # path or YAML text; or Settings.from_dict({...})
    engine = SyncEngine(settings, state_url="sqlite:///state.db",   # or postgresql+psycopg://...
                        hubspot_session=None, salesforce_session=None,  # optional requests.Session each
                        sleep=time.sleep,                # injectable (virtual clocks)
                        now=None,                        # () -> aware datetime; default real UTC now
                        progress=None,                   # (str) -> None progress lines
                        decide=decide_field,             # per-field rule decision (sync.rules); tests swap it
                        chunk_size=1000,                 # queue items per chunk (processed + committed together)
                        object_types=OBJECT_TYPES)       # the pairs, in dependency order (sync.objects)
    engine.validate()                      # mappings vs both schemas, inclusion list (raises SettingsError)
    report = engine.run_cycle()            # one 15-minute tick (TRG-1): capture + process -> CycleReport
    engine.run(once=False, cycles=None)    # loop: run_cycle, then sleep(poll_interval_seconds)
    engine.resync_record("123" | "00Q..." | "a@b.com")   # TRG-14 / ERR-8
    engine.resync_list("My list" | "42")                 # INC-6
    engine.import_salesforce("Lead" | "Contact" | "Account")   # IMP-1..4 (Account: company sync on)
    engine.status()    # dict: API use (LIM-1), errors by category, suspension, queue, links
    engine.why(record) # dict: link, last-synced values, in-list, errors, decision log (newest first)
    engine.clear_suspension()              # SUS-4
    engine.resync_errors(category=None)    # ERR-8: queue every record in error (one category) now
    engine.errors(category=None)           # [dict]: every current sync error, both sides' ids
    engine.decisions(record=None, limit=None)  # [dict]: decision log oldest first (one record or all)
    engine.request_stop()                  # from a signal handler/thread: finish the chunk in flight,
                                           # commit, skip the rest; run() returns (report.stopped says so)

`resync_record` of a record that exists on neither side raises `sync.errors.RecordNotFound`.

CycleReport fields: captured_hubspot, captured_salesforce, list_joins, list_leaves, processed,
skipped, created_in_salesforce, created_in_hubspot, linked_existing, updated_in_salesforce,
updated_in_hubspot, deleted_in_hubspot, errors, api_calls {"hubspot", "salesforce"}, stopped
(reason the cycle stopped early, or None); `.reads`, `.writes`, `.to_dict()`.

Settings `api.concurrency` (1..8, default 1) lets the chunks of one batch operation travel in
parallel; 1 keeps the request order (and so the fakes' generated ids) deterministic.

The engine is one pipeline of stages (sync/pipeline/: capture -> gate -> match -> decide -> write ->
finish) over an object-type descriptor (sync/objects/); see README "The engine: one pipeline".
Each cycle runs every enabled pair (settings sections `contacts`, `companies`, `deals`) in the
registry's order, `engine.active(pair)` switching the descriptor, settings section, schema and
inclusion list; clients, pacing, state store, lock and report are shared.

Settings `api.pacing` (default true): every HubSpot call waits for a free slot of the limits the
answers announce (sync/clients/pacing.py), through `sleep` on the engine's clock (`now`).
`sync.state.lock.engine_lock(url)` is the one-engine-per-state-database lock the CLI holds.

A new SyncEngine over the same state URL continues where the last one stopped (cursors, queue,
links and intents are all in the state database). Pure rule decisions live in `sync.rules`
(`decide_field`, `decide_pair`), usable without any I/O. Property tests of the whole engine under
faults and crashes: `hubforce.testing` (`run_state_machine`, `SyncMachine`; `python -m hubforce.testing.soak`).
"""
