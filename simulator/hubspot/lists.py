"""Lists v3 (segments) store: MANUAL, DYNAMIC ("active") and SNAPSHOT lists of contacts, companies,
deals; memberships with join timestamps from the sandbox clock; folders; legacy id mapping
(wire spec 2.6). Plain Python; `api/lists.py` is the HTTP layer.

DYNAMIC lists follow record changes: the store subscribes to the backend's change events and
re-evaluates the changed record against every DYNAMIC list of its object type (list_filters.py).
A record that stops matching leaves; archived / GDPR-deleted records leave every list; on a merge
the primary record keeps its memberships and inherits the merged record's MANUAL/SNAPSHOT ones.
Lists whose filters use relative time (INDEXED time points) are re-evaluated on clock advance and
before their memberships are read.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from simulator.core.clock import iso_ms
from simulator.hubspot import list_filters
from simulator.hubspot.associations import canonical_type, live_record, type_id_of
from simulator.hubspot.auth import USER_ID
from simulator.hubspot.errors import HubSpotError, not_found, validation
from simulator.hubspot.events import ChangeEvent

PROCESSING_TYPES = ("MANUAL", "DYNAMIC", "SNAPSHOT")
LEGACY_ID_OFFSET = 1000  # legacy (v1) contact-list id = listId + this; a fixed, documented fake mapping
ROOT_FOLDER_ID = 0


@dataclass
class HubList:
    list_id: str
    name: str
    object_type: str  # canonical plural ("contacts")
    processing_type: str
    filter_branch: dict[str, Any] | None
    created_at_ms: int
    updated_at_ms: int
    filters_updated_at_ms: int
    list_version: int = 1
    deleted_at_ms: int | None = None
    folder_id: int = ROOT_FOLDER_ID
    custom_properties: dict[str, str] = field(default_factory=dict)
    members: dict[str, int] = field(
        default_factory=dict
    )  # record id -> joined at (ms); insertion = join order
    first_added: dict[str, int] = field(default_factory=dict)  # survives leaving (firstAddedTimestamp)
    last_added_ms: int | None = None
    processing_until_ms: int = 0  # processingStatus is PROCESSING until the sandbox clock reaches this

    @property
    def deleted(self) -> bool:
        return self.deleted_at_ms is not None


@dataclass
class Folder:
    id: int
    name: str
    parent_id: int
    created_at_ms: int
    updated_at_ms: int


@dataclass
class MembershipChange:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        # The SDK model reads `recordsIdsAdded` (sic); other published schemas say `recordIdsAdded`.
        return {
            "recordsIdsAdded": self.added,
            "recordIdsAdded": self.added,
            "recordIdsRemoved": self.removed,
            "recordIdsMissing": self.missing,
        }


class ListStore:
    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.lists: dict[str, HubList] = {}
        self.folders: dict[int, Folder] = {}
        self.next_list_id = 1
        self.next_folder_id = 1
        # Admin knob (PUT /_hubforce/hubspot/lists/processing-delay): after create / filter update a
        # filtered list reports processingStatus PROCESSING for this long on the sandbox clock (real
        # HubSpot processes asynchronously). Memberships are computed at once either way.
        self.processing_delay_ms = 0
        subscribe = getattr(backend, "subscribe", None)
        if subscribe is not None:
            subscribe(self._on_change)

    # --- helpers ------------------------------------------------------------------------------------
    def _now(self) -> int:
        return int(self.backend.now_ms())

    def get(self, list_id: str, include_deleted: bool = False) -> HubList:
        hub_list = self.lists.get(str(list_id))
        if hub_list is None or (hub_list.deleted and not include_deleted):
            raise not_found(f"List {list_id} does not exist")
        return hub_list

    def _name_taken(self, name: str, except_id: str | None = None) -> bool:
        return any(
            x.name.lower() == name.lower() and not x.deleted and x.list_id != except_id
            for x in self.lists.values()
        )

    def _duplicate_name(self, name: str) -> HubSpotError:
        # Best reading of the real API: 400 VALIDATION_ERROR with an ILS duplicate-name subCategory.
        return HubSpotError(
            400,
            "VALIDATION_ERROR",
            f"A list named '{name}' already exists.",
            sub_category="ILS.DUPLICATE_LIST_NAMES",
        )

    def _validate_filters(self, branch: Any, object_type: str, own_id: str | None = None) -> None:
        def list_exists(list_id: str) -> bool:
            # IN_LIST may only reference another live list of the same object type.
            other = self.lists.get(list_id)
            return (
                list_id != own_id
                and other is not None
                and not other.deleted
                and other.object_type == object_type
            )

        definition = getattr(getattr(self.backend, "properties", None), "definition", None)

        def property_exists(name: str) -> bool:
            if definition is None:
                return True
            try:
                return definition(object_type, name) is not None
            except HubSpotError:
                return False

        list_filters.validate(branch, list_exists, property_exists if callable(definition) else None)

    def _eval_context(self) -> list_filters.EvalContext:
        def in_list(list_id: str, record_id: str) -> bool:
            other = self.lists.get(list_id)
            return other is not None and not other.deleted and record_id in other.members

        def associated(
            object_type: str, record_id: str, to_type_id: str, assoc_type_id: int | None
        ) -> list[Any]:
            to_type = canonical_type(self.backend, to_type_id)
            store = getattr(self.backend, "associations", None)
            if to_type is None or store is None:
                return []
            out = []
            for to_id, types in store.associated(object_type, record_id, to_type):
                if assoc_type_id is None or any(t.type_id == assoc_type_id for t in types):
                    record = live_record(self.backend, to_type, to_id)
                    if record is not None:
                        out.append(record)
            return out

        return list_filters.EvalContext(self._now(), in_list, associated)

    def _live_records(self, object_type: str) -> list[Any]:
        try:
            records = list(self.backend.records.all(object_type))
        except (HubSpotError, KeyError, AttributeError):
            return []
        return [r for r in records if not getattr(r, "archived", False)]

    def _join(self, hub_list: HubList, record_id: str, now: int) -> bool:
        if record_id in hub_list.members:
            return False
        hub_list.members[record_id] = now
        hub_list.first_added.setdefault(record_id, now)
        hub_list.last_added_ms = now
        return True

    def _leave(self, hub_list: HubList, record_id: str) -> bool:
        return hub_list.members.pop(record_id, None) is not None

    # --- lists --------------------------------------------------------------------------------------
    def create(
        self,
        name: Any,
        object_type_id: Any,
        processing_type: Any,
        filter_branch: Any = None,
        folder_id: Any = None,
        custom_properties: Any = None,
    ) -> HubList:
        if not isinstance(name, str) or not name.strip():
            raise validation("name is required")
        object_type = (
            canonical_type(self.backend, str(object_type_id)) if isinstance(object_type_id, str) else None
        )
        if object_type is None:
            raise validation(
                f"objectTypeId {object_type_id!r} is not a valid object type id (e.g. 0-1 for contacts)"
            )
        if processing_type not in PROCESSING_TYPES:
            raise validation(f"processingType must be one of {', '.join(PROCESSING_TYPES)}")
        if processing_type == "MANUAL" and filter_branch is not None:
            raise validation("MANUAL lists cannot have a filterBranch")
        if processing_type == "DYNAMIC" and filter_branch is None:
            raise validation("DYNAMIC lists need a filterBranch")
        if filter_branch is not None:
            self._validate_filters(filter_branch, object_type)
        if folder_id is not None and (
            not isinstance(folder_id, int)
            or isinstance(folder_id, bool)
            or (folder_id != ROOT_FOLDER_ID and folder_id not in self.folders)
        ):
            raise validation(f"listFolderId {folder_id!r} is not an existing folder")
        if custom_properties is not None and not (
            isinstance(custom_properties, dict)
            and all(isinstance(v, str) for v in custom_properties.values())
        ):
            raise validation("customProperties must be an object of strings")
        if self._name_taken(name):
            raise self._duplicate_name(name)
        now = self._now()
        hub_list = HubList(
            str(self.next_list_id),
            name,
            object_type,
            processing_type,
            filter_branch,
            now,
            now,
            now,
            folder_id=folder_id or ROOT_FOLDER_ID,
            custom_properties=dict(custom_properties or {}),
        )
        self.next_list_id += 1
        self.lists[hub_list.list_id] = hub_list
        if filter_branch is not None:  # DYNAMIC and SNAPSHOT: evaluate now (SNAPSHOT: only now)
            self._evaluate_all(hub_list)
            hub_list.processing_until_ms = now + self.processing_delay_ms
        return hub_list

    def update_name(self, list_id: str, name: Any) -> HubList:
        hub_list = self.get(list_id)
        if not isinstance(name, str) or not name.strip():
            raise validation("listName is required")
        if self._name_taken(name, hub_list.list_id):
            raise self._duplicate_name(name)
        hub_list.name = name
        hub_list.updated_at_ms = self._now()
        return hub_list

    def update_filters(self, list_id: str, filter_branch: Any) -> HubList:
        hub_list = self.get(list_id)
        if hub_list.processing_type != "DYNAMIC":
            raise validation(
                f"Filters can only be updated on DYNAMIC lists; list {list_id} is {hub_list.processing_type}"
            )
        self._validate_filters(filter_branch, hub_list.object_type, hub_list.list_id)
        now = self._now()
        hub_list.filter_branch = filter_branch
        hub_list.list_version += 1
        hub_list.filters_updated_at_ms = hub_list.updated_at_ms = now
        self._evaluate_all(hub_list)
        hub_list.processing_until_ms = now + self.processing_delay_ms
        return hub_list

    def delete(self, list_id: str) -> None:
        hub_list = self.get(list_id)
        hub_list.deleted_at_ms = self._now()

    def restore(self, list_id: str) -> None:
        hub_list = self.get(list_id, include_deleted=True)
        if not hub_list.deleted:
            raise validation(f"List {list_id} is not deleted")
        if self._name_taken(hub_list.name, hub_list.list_id):
            raise self._duplicate_name(hub_list.name)
        hub_list.deleted_at_ms = None
        hub_list.updated_at_ms = self._now()
        if hub_list.processing_type == "DYNAMIC":
            self._evaluate_all(hub_list)

    def by_name(self, object_type_id: str, name: str) -> HubList:
        object_type = canonical_type(self.backend, object_type_id)
        for hub_list in self.lists.values():
            if (
                not hub_list.deleted
                and hub_list.object_type == object_type
                and hub_list.name.lower() == name.lower()
            ):
                return hub_list
        raise not_found(f"List with name {name} does not exist")

    def active(self) -> list[HubList]:
        return [x for x in self.lists.values() if not x.deleted]

    # --- membership ---------------------------------------------------------------------------------
    def _manual(self, hub_list: HubList) -> None:
        if hub_list.processing_type == "DYNAMIC":
            raise validation(
                f"List {hub_list.list_id} is a DYNAMIC list: its memberships follow its filters and "
                "cannot be edited (only MANUAL and SNAPSHOT lists accept membership changes)"
            )

    def change(self, list_id: str, to_add: list[str], to_remove: list[str]) -> MembershipChange:
        hub_list = self.get(list_id)
        self._manual(hub_list)
        result, now = MembershipChange(), self._now()
        for rid in _dedupe(to_add):
            record = live_record(self.backend, hub_list.object_type, rid)
            if record is None:
                result.missing.append(rid)
            elif self._join(hub_list, str(getattr(record, "id", rid)), now):  # merged ids join as the primary
                result.added.append(str(getattr(record, "id", rid)))
        for rid in _dedupe(to_remove):
            if self._leave(hub_list, rid):
                result.removed.append(rid)
            elif live_record(self.backend, hub_list.object_type, rid) is None and rid not in result.missing:
                result.missing.append(rid)
        self._cascade(hub_list.object_type, result.added + result.removed)
        return result

    def add_from(self, list_id: str, source_id: str) -> None:
        target, source = self.get(list_id), self.get(source_id)
        self._manual(target)
        if target.object_type != source.object_type:
            raise validation("Source and destination lists must have the same object type")
        if len(source.members) > 100_000:
            raise validation("Source list has more than 100,000 memberships")
        now = self._now()
        added = [rid for rid in list(source.members) if self._join(target, rid, now)]
        self._cascade(target.object_type, added)

    def remove_all(self, list_id: str) -> None:
        hub_list = self.get(list_id)
        self._manual(hub_list)
        removed = list(hub_list.members)
        hub_list.members.clear()
        self._cascade(hub_list.object_type, removed)

    def members(self, list_id: str, join_order: bool) -> list[tuple[str, int]]:
        hub_list = self.get(list_id)
        self._refresh_relative(hub_list)
        rows = list(hub_list.members.items())
        if not join_order:
            rows.sort(key=lambda r: _id_key(r[0]))
        return rows

    def lists_of(self, object_type_id: str, record_id: str) -> list[HubList]:
        object_type = canonical_type(self.backend, object_type_id)
        if object_type is None:
            raise validation(f"objectTypeId {object_type_id!r} is not a valid object type id")
        out = []
        for hub_list in self.active():
            if hub_list.object_type == object_type:
                self._refresh_relative(hub_list)
                if record_id in hub_list.members:
                    out.append(hub_list)
        return out

    # --- dynamic evaluation -------------------------------------------------------------------------
    def _evaluate_all(self, hub_list: HubList) -> None:
        """(Re)compute a filtered list's members from scratch; members that still match keep their
        original join timestamp."""
        if hub_list.filter_branch is None:
            return
        ctx, now = self._eval_context(), self._now()
        matching = [
            r.id
            for r in self._live_records(hub_list.object_type)
            if list_filters.matches(hub_list.filter_branch, r, ctx)
        ]
        keep = set(matching)
        changed = [rid for rid in list(hub_list.members) if rid not in keep and self._leave(hub_list, rid)]
        changed += [rid for rid in sorted(matching, key=_id_key) if self._join(hub_list, rid, now)]
        self._cascade(hub_list.object_type, changed, skip=hub_list.list_id)

    def _refresh_record(self, object_type: str, record_id: str) -> bool:
        """Re-evaluate one record against every DYNAMIC list of its type; True if any membership changed."""
        dynamic = [
            x for x in self.active() if x.processing_type == "DYNAMIC" and x.object_type == object_type
        ]
        if not dynamic:
            return False
        record = live_record(self.backend, object_type, record_id)
        changed, ctx, now = False, self._eval_context(), self._now()
        for hub_list in dynamic:
            inside = record is not None and list_filters.matches(hub_list.filter_branch or {}, record, ctx)
            changed |= self._join(hub_list, record_id, now) if inside else self._leave(hub_list, record_id)
        return changed

    def _cascade(self, object_type: str, record_ids: list[str], skip: str | None = None) -> None:
        """Membership of one list changed: DYNAMIC lists with IN_LIST filters may follow. Iterate to a
        fixpoint (bounded: IN_LIST chains cannot be longer than the number of lists)."""
        if not record_ids or not any(
            list_filters.referenced_lists(x.filter_branch)
            for x in self.active()
            if x.processing_type == "DYNAMIC" and x.list_id != skip
        ):
            return
        for rid in record_ids:
            for _ in range(len(self.lists) + 1):
                if not self._refresh_record(object_type, rid):
                    break

    def _refresh_relative(self, hub_list: HubList) -> None:
        if hub_list.processing_type == "DYNAMIC" and list_filters.uses_relative_time(hub_list.filter_branch):
            self._evaluate_all(hub_list)

    def on_clock_advanced(self) -> None:
        for hub_list in self.active():
            self._refresh_relative(hub_list)

    def _on_change(self, event: ChangeEvent) -> None:
        if not self.lists:  # the common case (bulk loads): no list can be affected
            return
        if event.kind in ("deletion", "privacyDeletion"):
            self._drop_everywhere(event.object_type, event.object_id)
            self._cascade(event.object_type, [event.object_id])
            return
        if event.kind == "merge":
            now = self._now()
            for merged in event.related_ids:
                for hub_list in self.lists.values():
                    if (
                        hub_list.object_type == event.object_type
                        and merged in hub_list.members
                        and hub_list.processing_type != "DYNAMIC"
                    ):
                        self._join(hub_list, event.object_id, now)
                self._drop_everywhere(event.object_type, merged)
        if event.kind == "associationChange":
            # Lists of either side may filter on associated records (ASSOCIATION branches).
            for other in event.related_ids:
                other_type = _assoc_other_type(event)
                if other_type:
                    self._refresh_until_stable(other_type, other)
        self._refresh_until_stable(event.object_type, event.object_id)

    def _refresh_until_stable(self, object_type: str, record_id: str) -> None:
        for _ in range(len(self.lists) + 1):
            if not self._refresh_record(object_type, record_id):
                break

    def _drop_everywhere(self, object_type: str, record_id: str) -> None:
        for hub_list in self.lists.values():
            if hub_list.object_type == object_type:
                self._leave(hub_list, record_id)

    # --- JSON ---------------------------------------------------------------------------------------
    def to_json(self, hub_list: HubList, include_filters: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {
            "listId": hub_list.list_id,
            "listVersion": hub_list.list_version,
            "name": hub_list.name,
            "objectTypeId": type_id_of(hub_list.object_type),
            "processingType": hub_list.processing_type,
            "processingStatus": "PROCESSING" if self._now() < hub_list.processing_until_ms else "COMPLETE",
            "createdAt": _iso(hub_list.created_at_ms),
            "updatedAt": _iso(hub_list.updated_at_ms),
            "filtersUpdatedAt": _iso(hub_list.filters_updated_at_ms),
            "createdById": str(USER_ID),
            "updatedById": str(USER_ID),
            "size": len(hub_list.members),
        }
        if hub_list.deleted_at_ms is not None:
            body["deletedAt"] = _iso(hub_list.deleted_at_ms)
        if include_filters and hub_list.filter_branch is not None:
            body["filterBranch"] = hub_list.filter_branch
        return body

    def legacy_id(self, hub_list: HubList) -> str | None:
        return str(int(hub_list.list_id) + LEGACY_ID_OFFSET) if hub_list.object_type == "contacts" else None

    def by_legacy_id(self, legacy_id: str) -> HubList | None:
        for hub_list in self.lists.values():
            if self.legacy_id(hub_list) == str(legacy_id):
                return hub_list
        return None

    # --- folders ------------------------------------------------------------------------------------
    def create_folder(self, name: Any, parent_id: Any) -> Folder:
        if not isinstance(name, str) or not name.strip():
            raise validation("name is required")
        parent = self._folder_id(parent_id if parent_id is not None else ROOT_FOLDER_ID)
        now = self._now()
        folder = Folder(self.next_folder_id, name, parent, now, now)
        self.next_folder_id += 1
        self.folders[folder.id] = folder
        return folder

    def _folder_id(self, raw: Any) -> int:
        try:
            folder_id = int(raw)
        except (TypeError, ValueError):
            raise validation(f"{raw!r} is not a folder id") from None
        if folder_id != ROOT_FOLDER_ID and folder_id not in self.folders:
            raise not_found(f"Folder {folder_id} does not exist")
        return folder_id

    def move_folder(self, folder_id: Any, new_parent: Any) -> int:
        fid, parent = self._folder_id(folder_id), self._folder_id(new_parent)
        if fid == ROOT_FOLDER_ID:
            raise validation("The root folder cannot be moved")
        walk = parent
        while walk != ROOT_FOLDER_ID:  # no cycles: the new parent may not be inside the folder
            if walk == fid:
                raise validation("A folder cannot be moved into itself or one of its subfolders")
            walk = self.folders[walk].parent_id
        self.folders[fid].parent_id = parent
        self.folders[fid].updated_at_ms = self._now()
        return fid

    def rename_folder(self, folder_id: Any, name: Any) -> int:
        fid = self._folder_id(folder_id)
        if fid == ROOT_FOLDER_ID or not isinstance(name, str) or not name.strip():
            raise validation("A non-root folder id and a non-empty newFolderName are required")
        self.folders[fid].name = name
        self.folders[fid].updated_at_ms = self._now()
        return fid

    def remove_folder(self, folder_id: Any) -> None:
        fid = self._folder_id(folder_id)
        if fid == ROOT_FOLDER_ID:
            raise validation("The root folder cannot be deleted")
        if any(f.parent_id == fid for f in self.folders.values()) or any(
            x.folder_id == fid for x in self.active()
        ):
            raise validation(f"Folder {fid} is not empty")
        del self.folders[fid]

    def move_list(self, list_id: Any, folder_id: Any) -> None:
        hub_list = self.get(str(list_id))
        hub_list.folder_id = self._folder_id(folder_id)

    def folder_json(self, folder_id: int) -> dict[str, Any]:
        if folder_id == ROOT_FOLDER_ID:
            name, parent, created, updated = "Root", None, 0, 0
        else:
            f = self.folders[folder_id]
            name, parent, created, updated = f.name, f.parent_id, f.created_at_ms, f.updated_at_ms
        body: dict[str, Any] = {
            "id": folder_id,
            "name": name,
            "userId": USER_ID,
            "childLists": sorted(int(x.list_id) for x in self.active() if x.folder_id == folder_id),
            "childNodes": [
                self.folder_json(f.id)
                for f in sorted(self.folders.values(), key=lambda f: f.id)
                if f.parent_id == folder_id
            ],
            "createdAt": _iso(created),
            "updatedAt": _iso(updated),
            "updatedContentsAt": _iso(updated),
        }
        if parent is not None:
            body["parentFolderId"] = parent
        return body

    # --- snapshots ----------------------------------------------------------------------------------
    def dump(self) -> dict[str, Any]:
        return {
            "lists": [asdict(x) for x in self.lists.values()],
            "folders": [asdict(f) for f in self.folders.values()],
            "next_list_id": self.next_list_id,
            "next_folder_id": self.next_folder_id,
            "processing_delay_ms": self.processing_delay_ms,
        }

    def load(self, data: dict[str, Any]) -> None:
        self.lists = {x["list_id"]: HubList(**x) for x in data.get("lists", [])}
        self.folders = {f["id"]: Folder(**f) for f in data.get("folders", [])}
        self.next_list_id = int(data.get("next_list_id", len(self.lists) + 1))
        self.next_folder_id = int(data.get("next_folder_id", len(self.folders) + 1))
        self.processing_delay_ms = int(data.get("processing_delay_ms", 0))


def _iso(ms: int) -> str:
    from datetime import UTC, datetime

    return iso_ms(datetime.fromtimestamp(ms / 1000, tz=UTC))


def _dedupe(ids: list[str]) -> list[str]:
    return list(dict.fromkeys(str(i) for i in ids))


def _id_key(record_id: str) -> tuple[int, str]:
    return (int(record_id), "") if record_id.isdigit() else (1 << 62, record_id)


def _assoc_other_type(event: ChangeEvent) -> str | None:
    """associationChange events carry HubSpot's association type ("CONTACT_TO_COMPANY") in property_name."""
    name = (event.property_name or "").lower()
    if "_to_" not in name:
        return None
    singular = name.split("_to_", 1)[1]
    return {"contact": "contacts", "company": "companies", "deal": "deals", "ticket": "tickets"}.get(singular)
