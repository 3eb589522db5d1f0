"""Hubforce: a local, deterministic sandbox for testing HubSpot <-> Salesforce record sync."""

__version__ = "0.1.0"
