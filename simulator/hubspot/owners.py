"""CRM owners (`/crm/v3/owners`): HubSpot users records can be assigned to. Seeded deterministically
from the sandbox seed, in this order:

1. the integration user (integration@example.com — the same login the Salesforce fake uses);
2. three HubSpot-only users with seeded Faker names (no Salesforce user has their email: scenarios
   use `$hubspot_owner:#2` as "an owner with no Salesforce user");
3. the Salesforce fake's other seeded users, same email and name (alice.admin@, bob.sales@), so owner
   mapping by name and email works both ways for them.

The Salesforce fake owns its users; the list here mirrors it (a test pins that they agree) rather
than importing it, so neither fake depends on the other."""

from __future__ import annotations

import random
from typing import Any

from simulator.core.clock import iso_ms
from simulator.hubspot.errors import validation

INTEGRATION_EMAIL = "integration@example.com"
SEEDED_EXTRA_OWNERS = 3
# (email, firstName, lastName) of the Salesforce fake's seeded users other than the integration user.
SALESFORCE_USERS = (
    ("alice.admin@example.com", "Alice", "Admin"),
    ("bob.sales@example.com", "Bob", "Sales"),
)


class OwnerStore:
    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.owners: list[dict[str, Any]] = []
        # A private random stream: seeding owners must not shift the ids every other store draws.
        self._rand = random.Random(f"owners-{backend.sandbox.seed}")
        self._seed_owners()

    def _seed_owners(self) -> None:
        fake = _faker()
        fake.seed_instance(self.backend.sandbox.seed)
        self.add(INTEGRATION_EMAIL, "Integration", "User")
        for _ in range(SEEDED_EXTRA_OWNERS):
            first, last = fake.first_name(), fake.last_name()
            self.add(f"{first}.{last}@example.com".lower(), first, last)
        for email, first, last in SALESFORCE_USERS:
            self.add(email, first, last)

    def add(
        self,
        email: str,
        first_name: str = "",
        last_name: str = "",
        archived: bool = False,
        teams: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        if not isinstance(email, str) or "@" not in email:
            raise validation("email must be an email address")
        if (
            any(o["email"].lower() == email.lower() and not o["archived"] for o in self.owners)
            and not archived
        ):
            raise validation(f"An owner with email {email} already exists")
        taken = {o["id"] for o in self.owners}
        owner_id = str(self._rand.randint(10_000_000, 999_999_999))
        while owner_id in taken:
            owner_id = str(self._rand.randint(10_000_000, 999_999_999))
        user_id = self._rand.randint(1_000_000, 99_999_999)
        now = iso_ms(self.backend.sandbox.clock.now())
        owner = {
            "id": owner_id,
            "email": email,
            "type": "PERSON",
            "firstName": first_name,
            "lastName": last_name,
            "userId": user_id,
            "userIdIncludingInactive": user_id,
            "createdAt": now,
            "updatedAt": now,
            "archived": archived,
            "teams": list(teams or []),
        }
        self.owners.append(owner)
        return owner

    def archive(self, key: str) -> dict[str, Any] | None:
        """Deactivate the active owner with this id or email (as when its HubSpot user is removed):
        it keeps its id and moves to `?archived=true`. None when there is no such active owner."""
        for o in self.owners:
            if not o["archived"] and key in (o["id"], o["email"].lower()):
                o["archived"] = True
                o["updatedAt"] = iso_ms(self.backend.sandbox.clock.now())
                return o
        return None

    def page(self, email: str | None, archived: bool) -> list[dict[str, Any]]:
        return [
            o
            for o in self.owners
            if o["archived"] == archived and (email is None or o["email"].lower() == email.lower())
        ]

    def get(self, owner_id: str, id_property: str = "id", archived: bool = False) -> dict[str, Any] | None:
        for o in self.owners:
            key = str(o["userId"]) if id_property == "userId" else o["id"]
            if key == owner_id and o["archived"] == archived:
                return o
        return None

    def dump(self) -> dict[str, Any]:
        return {"owners": self.owners, "rand": _encode(self._rand.getstate())}

    def load(self, data: dict[str, Any]) -> None:
        self.owners = [dict(o) for o in data.get("owners", [])]
        if "rand" in data:
            self._rand.setstate(_decode(data["rand"]))


_FAKER: Any = None


def _faker() -> Any:
    """One Faker per process (building one is slow); callers reseed it, and run under sandbox.lock."""
    global _FAKER
    if _FAKER is None:
        from faker import Faker

        _FAKER = Faker("en_US")
    return _FAKER


def _encode(state: tuple) -> list:
    version, internal, gauss = state
    return [version, list(internal), gauss]


def _decode(data: Any) -> tuple:
    version, internal, gauss = data
    return (version, tuple(internal), gauss)
