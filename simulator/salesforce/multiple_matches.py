"""The 300 Multiple Choices answer of an external-id lookup that matched several records."""

from __future__ import annotations

from simulator.salesforce.errors import SalesforceError
from simulator.salesforce.store_base import DEFAULT_API_VERSION


class MultipleMatches(SalesforceError):
    """An external-id lookup matched several records: REST answers 300 with a list of record URLs
    (`body`, or `urls(version)`); per-record results (composite, Bulk) report `error_code`
    DUPLICATE_EXTERNAL_ID with `message`. `ids` holds the matches."""

    def __init__(
        self, obj: str, field: str, matches: list[str], api_version: str = DEFAULT_API_VERSION
    ) -> None:
        super().__init__(
            300,
            "DUPLICATE_EXTERNAL_ID",
            f"{field}: more than one record found for external id field: {matches}",
        )
        self.object = obj
        self.field = field
        self.ids = matches
        self.body = self.urls(api_version)

    def urls(self, api_version: str) -> list[str]:
        return [f"/services/data/v{api_version}/sobjects/{self.object}/{i}" for i in self.ids]
