"""Deliverable kinds per occupation (data): what this person really produces in a month.

Each kind names its outputs, its required sections, its role in the month (``analysis`` computes figures
from the sources, ``plan`` builds a schedule under constraints, ``brief`` carries another deliverable's
result to an audience), its professional-quality checks and title patterns filled from the project's facts.
Occupations without their own list fall back to their sector, then to ``default``.
"""

from __future__ import annotations

from typing import Any

K = dict[str, Any]


def kind(name: str, role: str, outputs: list[str], sections: list[str], titles: list[str], *,
         words: tuple[int, int] = (250, 3000), audience: str = "the team", opening: str = "recommend",
         extra: list[str] | None = None, data: tuple[str, ...] = ()) -> K:
    """One kind; ``data``: words of the workbooks it is usually computed from (file path or kind)."""
    return {"name": name, "role": role, "outputs": outputs, "sections": sections, "titles": titles,
            "words": words, "audience": audience, "opening": opening, "extra": extra or [], "data": list(data)}


TEACHING = [
    kind("grade report", "analysis", ["xlsx", "docx"], ["Summary", "Results by group", "Students needing support",
         "Next steps"], ["{month} grade report for {project}", "How {project} classes did this term: grade analysis"],
         audience="the department head", data=("grade", "mark", "score")),
    kind("unit plan", "plan", ["docx"], ["Learning objectives", "Lesson sequence", "Assessment", "Differentiation"],
         ["Unit plan: {project}, {next_milestone}", "Planning the {project} unit ahead of {next_milestone}"],
         opening="objective", audience="the department", data=("lesson", "plan", "schedule")),
    kind("parent letter", "brief", ["docx"], ["Progress this term", "How you can help"],
         ["Letter to families about {project}", "Update for parents: {project} results"], words=(120, 600),
         opening="writ", audience="parents and guardians", extra=["letter"]),
    kind("assessment with answer key", "analysis", ["docx"], ["Instructions", "Questions", "Answer key",
         "Marking scheme"], ["End-of-unit assessment and answer key for {project}",
                             "{project} quiz with worked answers"], opening="assess", audience="students"),
]
HEALTH = [
    kind("QI report", "analysis", ["docx", "xlsx"], ["Background", "Method", "Findings", "Recommendations"],
         ["Quality improvement report: {project}", "What the {project} audit data show"], audience="the unit manager", data=("quality", "audit", "tracker")),
    kind("staffing plan", "plan", ["xlsx", "docx"], ["Coverage", "Assumptions", "Risks"],
         ["Staffing plan for {project} through {next_milestone}", "Cover rota for {project} ({month})"],
         audience="the charge nurse", data=("schedule", "staff", "roster", "rota")),
    kind("in-service deck", "brief", ["pptx"], ["Why this matters", "What changes", "Questions"],
         ["In-service session on {project}", "Teaching deck: {project} for the ward team"], words=(120, 1500),
         opening="learn", audience="ward staff"),
    kind("incident summary", "analysis", ["docx"], ["What happened", "Contributing factors", "Actions"],
         ["Incident review for {project}", "{project}: summary of reported events"], words=(150, 1200), data=("incident", "audit", "quality")),
]
ANALYST = [
    kind("forecast workbook", "analysis", ["xlsx", "docx"], ["Assumptions", "Forecast", "Sensitivities"],
         ["{project} forecast refresh for {month}", "Rolling forecast for {project} ({period})"],
         audience="the finance lead", extra=["formulas"], data=("forecast", "budget", "model", "aum", "revenue")),
    kind("close and review calendar", "plan", ["xlsx", "docx"], ["Calendar", "Owners", "Risks"],
         ["{project} close calendar for {month}", "Review timetable for {project} to {next_milestone}"],
         audience="the controller", data=("schedule", "calendar", "plan")),
    kind("board deck", "brief", ["pptx"], ["Headline", "Key numbers", "Decisions needed"],
         ["Board update on {project}", "{project}: slides for the {next_milestone}"], words=(100, 1500),
         audience="the board"),
    kind("variance memo", "analysis", ["docx"], ["Summary", "Variance by line", "Drivers", "Recommendation"],
         ["Why {project} is off plan: variance memo", "{project} actual versus plan, {period}"],
         words=(200, 1500), audience="the budget owner", data=("budget", "variance", "actual", "fee")),
]
DEFAULT = [
    kind("analysis report", "analysis", ["docx", "xlsx"], ["Summary", "Findings", "Recommendations", "Next steps"],
         ["{project}: findings and recommendations", "Where {project} stands in {month}"],
         audience="the project owner"),
    kind("work plan", "plan", ["xlsx", "docx"], ["Schedule", "Dependencies", "Risks"],
         ["{project} plan to {next_milestone}", "Scheduling the {project} work for {month}"]),
    kind("status deck", "brief", ["pptx"], ["Headline", "Progress", "Asks"],
         ["{project} status for {audience_short}", "Slides: {project} ahead of {next_milestone}"],
         words=(100, 1500), audience="leadership"),
    kind("briefing note", "analysis", ["docx"], ["Summary", "Key figures", "Recommendation"],
         ["Quick briefing on {project}", "One-pager: {project} numbers"], words=(120, 900),
         audience="the manager"),
]
LEGAL = [
    kind("matter status report", "analysis", ["docx", "xlsx"], ["Summary", "Billing and time", "Open issues",
         "Recommendation"], ["{project}: matter report for {month}", "Where the {project} matter stands"], data=("time", "billing", "matter", "issues")),
    kind("filing calendar", "plan", ["xlsx", "docx"], ["Deadlines", "Responsibilities", "Risks"],
         ["Deadline calendar for {project}", "{project} filing schedule to {next_milestone}"], data=("deadline", "docket", "calendar")),
    kind("client letter", "brief", ["docx"], ["Where things stand", "Costs", "Next steps"],
         ["Letter to the client on {project}", "Client update: {project}"], words=(150, 900),
         audience="the client", extra=["letter"]),
    kind("cost memo", "analysis", ["docx"], ["Summary", "Costs to date", "Recommendation"],
         ["{project} costs memo", "Fees and costs on {project}"], words=(150, 1200), data=("time", "fee", "invoice", "billing")),
]
SOFTWARE = [
    kind("incident and reliability review", "analysis", ["docx", "xlsx"], ["Summary", "Data", "Root causes",
         "Recommendations"], ["{project} reliability review for {month}", "What the {project} metrics say"], data=("metric", "incident", "latency", "export")),
    kind("release plan", "plan", ["xlsx", "docx"], ["Milestones", "Dependencies", "Risks"],
         ["{project} release plan to {next_milestone}", "Sequencing the {project} work"], data=("sprint", "backlog", "plan", "roadmap")),
    kind("engineering update deck", "brief", ["pptx"], ["Headline", "Metrics", "Asks"],
         ["{project} engineering update", "Slides for the {project} review"], words=(100, 1500)),
    kind("design note", "analysis", ["md"], ["Context", "Options", "Decision"],
         ["Design note: {project} capacity", "{project}: options and the numbers behind them"], words=(150, 2000)),
]

BY_OCCUPATION: dict[str, list[K]] = {
    "high_school_teacher": TEACHING, "university_professor": TEACHING, "school_administrator": TEACHING,
    "nurse": HEALTH, "pharmacist": HEALTH, "practice_manager": HEALTH,
    "financial_analyst": ANALYST, "accountant": ANALYST, "financial_advisor": ANALYST,
    "supply_chain_analyst": ANALYST, "insurance_underwriter": ANALYST,
    "lawyer": LEGAL, "paralegal": LEGAL,
    "software_engineer": SOFTWARE, "devops_engineer": SOFTWARE, "data_scientist": SOFTWARE,
    "product_manager": SOFTWARE,
}
BY_SECTOR: dict[str, list[K]] = {"education": TEACHING, "academia": TEACHING, "health": HEALTH,
                                 "finance": ANALYST, "insurance": ANALYST, "legal": LEGAL, "software": SOFTWARE}


def kinds_for(occupation: str, sector: str) -> list[K]:
    """The deliverable kinds of an occupation (its own, its sector's, or the defaults)."""
    return BY_OCCUPATION.get(occupation) or BY_SECTOR.get(sector) or DEFAULT
