"""The sandbox control API, mounted on every fake under /_hubforce (a prefix no real API uses)."""
