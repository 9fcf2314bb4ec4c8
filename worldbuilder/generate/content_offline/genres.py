"""Document genres: the names (shared with occupation YAMLs through ``genre:``) and inference of a genre
from a document's kind, title and file type when the YAML does not name one."""

from __future__ import annotations

import re

GENRES = (
    "memo", "report", "letter", "contract", "policy_sop", "meeting_minutes", "proposal", "grant_proposal",
    "lesson_plan", "syllabus", "quiz_exam", "handout", "lab_protocol", "checklist", "inspection_report",
    "press_release", "itinerary", "cv", "recipe", "menu_costing", "invoice", "quote", "purchase_order", "budget",
    "ledger", "trial_balance", "gradebook", "roster_schedule", "timesheet", "tracker", "forecast", "inventory",
    "contact_list", "slide_deck", "notes", "case_notes", "personal_finance", "dataset_export", "code_repo",
    "config", "photo", "scan", "screenshot", "email", "calendar",
)
# ordered: the first pattern that matches the kind or title wins
RULES: tuple[tuple[str, str], ...] = (
    ("trial_balance", r"trial balance"),
    ("ledger", r"ledger|journal entr|bookkeeping|general journal|\bgl\b|reconciliation"),
    ("quiz_exam", r"quiz|exam\b|exams|\btest\b|assessment paper|midterm|final exam"),
    ("lesson_plan", r"lesson"),
    ("syllabus", r"syllabus|course outline|scheme of work|curriculum"),
    ("gradebook", r"grade ?book|grades|marks|gradebook|scores"),
    ("meeting_minutes", r"minutes|huddle|standup|stand-up|meeting notes|board meeting|debrief|retro"),
    ("lab_protocol", r"lab protocol|assay|bench protocol|\bprotocol\b.*(lab|assay)|experiment protocol|sample prep"),
    ("policy_sop", r"policy|sop\b|procedure|protocol|runbook|playbook|guideline|handbook|standard operating"),
    ("checklist", r"checklist|competenc|punch list|snag"),
    ("inspection_report", r"inspection|site visit|walkthrough|audit report|survey report|condition report"),
    ("press_release", r"press release|media release|announcement|newsletter"),
    ("itinerary", r"itinerary|trip to|travel plan|\btrip\b"),
    ("cv", r"\bcv\b|resume|résumé|curriculum vitae|bio\b"),
    ("recipe", r"recipe"),
    ("menu_costing", r"menu|costing|food cost|plate cost"),
    ("invoice", r"invoice|billing|bill\b"),
    ("quote", r"quote|quotation|estimate\b|bid\b"),
    ("purchase_order", r"purchase order|\bpo\b|requisition|order form"),
    ("timesheet", r"timesheet|time sheet|hours log|billable"),
    ("roster_schedule", r"roster|rota|staffing|shift|schedule request|on-call|call schedule|schedule"),
    ("budget", r"budget|cost plan|spend plan"),
    ("forecast", r"forecast|projection|cash flow|model\b"),
    ("inventory", r"inventory|stock|par level|asset register|equipment list"),
    ("contact_list", r"contact|directory|phone list|mailing list"),
    ("personal_finance", r"household|expenses|bank|statement|savings|personal finance|tax return|mortgage"),
    ("grant_proposal", r"grant|funding application|fellowship application"),
    ("proposal", r"proposal|pitch|statement of work|\bsow\b|rfp|bid response|business case"),
    ("contract", r"contract|agreement|engagement letter|\bnda\b|lease|terms"),
    ("letter", r"letter|cover note"),
    ("handout", r"handout|patient education|leaflet|brochure|guide|faq|fact sheet|info sheet|instructions"),
    ("memo", r"memo|briefing|note to|update\b"),
    ("case_notes", r"case note|session note|progress note|client note|visit note|case file|intake"),
    ("notes", r"notes|journal|diary|log\b|scratch|todo"),
    ("tracker", r"tracker|tracking|log|register|pipeline|backlog|audit|issues|risks|matrix|list"),
    ("dataset_export", r"export|dataset|data\b|raw|results|measurements|survey"),
    ("slide_deck", r"deck|slides|presentation|in-service|inservice|training|workshop|pitch"),
    ("email", r"email|e-mail|message"),
    ("calendar", r"invite|calendar|meeting request"),
    ("report", r"report|review|analysis|assessment|summary|evaluation|study|audit|plan|strategy|brief"),
)
_COMPILED = tuple((g, re.compile(rx, re.I)) for g, rx in RULES)
TYPE_DEFAULT = {"xlsx": "tracker", "csv": "dataset_export", "pptx": "slide_deck", "eml": "email", "ics": "calendar",
                "jpg": "photo", "png": "screenshot", "py": "code_repo", "toml": "config", "json": "dataset_export",
                "jsonl": "dataset_export"}
SHEET_ONLY = frozenset({"ledger", "trial_balance", "gradebook", "roster_schedule", "timesheet", "tracker", "forecast",
                        "inventory", "contact_list", "personal_finance", "dataset_export", "budget", "menu_costing"})


def infer_genre(kind: str, title: str = "", ftype: str = "docx") -> str:
    """The genre a document kind most likely belongs to (kind first, then title, then the file type)."""
    for text in (kind.replace("_", " "), title):
        for genre, rx in _COMPILED:
            if text and rx.search(text):
                if ftype in ("xlsx", "csv") and genre not in SHEET_ONLY and genre not in (
                        "invoice", "quote", "purchase_order"):
                    continue
                return genre
    return TYPE_DEFAULT.get(ftype, "report")
