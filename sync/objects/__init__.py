"""The synced object pairs, in dependency order: a cycle syncs contacts first (companies link through
their contacts), then companies (deals associate with both). Each entry's `name` is its settings
section; an object type whose section says `enabled: false` is skipped."""

from __future__ import annotations

from sync.objects.base import ObjectType
from sync.objects.companies import COMPANIES
from sync.objects.contacts import CONTACTS
from sync.objects.deals import DEALS

OBJECT_TYPES: tuple[ObjectType, ...] = (CONTACTS, COMPANIES, DEALS)

__all__ = ["OBJECT_TYPES", "ObjectType"]
