"""Standard picklist values of the fake org (a default Developer Edition org of API v59), and the
standard sales process's stages with what each stage implies. `catalog.py` builds the fields from
these; other modules read them through `catalog` as before."""

from __future__ import annotations

SALUTATIONS = ["Mr.", "Ms.", "Mrs.", "Dr.", "Prof.", "Mx."]
LEAD_STATUSES = [
    "Open - Not Contacted",
    "Working - Contacted",
    "Closed - Converted",
    "Closed - Not Converted",
]
LEAD_CONVERTED_STATUS = "Closed - Converted"
LEAD_SOURCES = ["Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other"]
RATINGS = ["Hot", "Warm", "Cold"]
INDUSTRIES = [
    "Agriculture",
    "Apparel",
    "Banking",
    "Biotechnology",
    "Chemicals",
    "Communications",
    "Construction",
    "Consulting",
    "Education",
    "Electronics",
    "Energy",
    "Engineering",
    "Entertainment",
    "Environmental",
    "Finance",
    "Food & Beverage",
    "Government",
    "Healthcare",
    "Hospitality",
    "Insurance",
    "Machinery",
    "Manufacturing",
    "Media",
    "Not For Profit",
    "Recreation",
    "Retail",
    "Shipping",
    "Technology",
    "Telecommunications",
    "Transportation",
    "Utilities",
    "Other",
]
ACCOUNT_TYPES = [
    "Prospect",
    "Customer - Direct",
    "Customer - Channel",
    "Channel Partner / Reseller",
    "Installation Partner",
    "Technology Partner",
    "Other",
]
OWNERSHIP = ["Public", "Private", "Subsidiary", "Other"]
# StageName -> (probability, forecast category, is closed, is won): the standard sales process.
OPPORTUNITY_STAGES: dict[str, tuple[int, str, bool, bool]] = {
    "Prospecting": (10, "Pipeline", False, False),
    "Qualification": (10, "Pipeline", False, False),
    "Needs Analysis": (20, "Pipeline", False, False),
    "Value Proposition": (50, "Pipeline", False, False),
    "Id. Decision Makers": (60, "Pipeline", False, False),
    "Perception Analysis": (70, "Pipeline", False, False),
    "Proposal/Price Quote": (75, "Pipeline", False, False),
    "Negotiation/Review": (90, "Pipeline", False, False),
    "Closed Won": (100, "Closed", True, True),
    "Closed Lost": (0, "Omitted", True, False),
}
OPPORTUNITY_TYPES = [
    "Existing Customer - Upgrade",
    "Existing Customer - Replacement",
    "Existing Customer - Downgrade",
    "New Customer",
]
FORECAST_CATEGORIES = ["Omitted", "Pipeline", "Best Case", "Most Likely", "Forecast", "Closed"]
CONTACT_ROLES = [
    "Business User",
    "Decision Maker",
    "Economic Buyer",
    "Economic Decision Maker",
    "Evaluator",
    "Executive Sponsor",
    "Influencer",
    "Technical Buyer",
    "Other",
]
TASK_STATUSES = ["Not Started", "In Progress", "Completed", "Waiting on someone else", "Deferred"]
PRIORITIES = ["High", "Normal", "Low"]
ACTIVITY_TYPES = ["Call", "Email", "Meeting", "Other"]
CAMPAIGN_TYPES = [
    "Advertisement",
    "Email",
    "Telemarketing",
    "Banner Ads",
    "Seminar / Conference",
    "Public Relations",
    "Partners",
    "Referral Program",
    "Other",
    "Webinar",
    "Trade Show",
    "Direct Mail",
]
CAMPAIGN_STATUSES = ["Planned", "In Progress", "Completed", "Aborted"]
CAMPAIGN_MEMBER_STATUSES = ["Sent", "Responded"]
TIME_ZONES = ["America/Los_Angeles", "America/New_York", "Europe/London", "Europe/Paris", "GMT", "Asia/Tokyo"]
LOCALES = ["en_US", "en_GB", "de_DE", "fr_FR", "ja_JP"]
LANGUAGES = ["en_US", "de", "fr", "ja"]
ENCODINGS = ["UTF-8", "ISO-8859-1"]
