"""HTTP clients for HubSpot and Salesforce built on `requests` (never on the simulator)."""
