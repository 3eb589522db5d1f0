"""Scenario files: documented behaviours as readable, runnable YAML."""
