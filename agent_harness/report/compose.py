"""The six sections of the trajectory-analysis report, composed from :class:`RunFacts` (no LLM)."""

from __future__ import annotations

from agent_harness.report import plots
from agent_harness.report.document import Report, Section
from agent_harness.report.facts import RunFacts

TITLES = ("Executive Summary", "Deliverable-by-Deliverable Analysis",
          "Simulated-Collaborator Communication Analysis", "Workflow & Efficiency", "Domain-Specific Insights",
          "Actionable Recommendations")
OFFLINE_NOTE = "(Narrative composed offline from the facts computed from the run's logs; no LLM was used.)"


def pct(p: float, m: float) -> str:
    return f"{p:g}/{m:g} ({p / m:.1%})" if m else f"{p:g}/0"


def error_line(f: RunFacts) -> str:
    return (f"The daily_sim_turns.jsonl contains {f.errors:,} error entries across {f.turns:,} total turns "
            f"({f.error_rate:.1%} error rate).")


def executive_summary(f: RunFacts) -> str:
    j = f.judgement
    dels = sorted(j.deliverables, key=lambda d: d.points / d.max if d.max else 0)
    unj = j.meta.get("unjudged", 0)
    text = (f"{f.user} ({f.occupation.replace('_', ' ')}) was simulated for {f.days_completed} of {f.days} days "
            f"(run {f.status}). The agent took {f.turns:,} turns with {f.errors:,} errors and scored "
            f"{pct(j.total.points, j.total.judged_max)} of the judged rubric points across {len(j.deliverables)} "
            f"deliverables (rubric maximum {j.total.max:g}"
            + (f"; {unj} free-text item(s) unjudged" if unj else "") + ").")
    if dels:
        text += (f" Strongest: {dels[-1].id} at {pct(dels[-1].points, dels[-1].max)}; weakest: {dels[0].id} at "
                 f"{pct(dels[0].points, dels[0].max)}.")
    if j.fabrications:
        text += f" {len(j.fabrications)} fabricated figure(s) were found."
    if f.ordering:
        text += f" {len(f.ordering)} ordering mistake(s) were found."
    return text


def deliverables_section(f: RunFacts) -> Section:
    s = Section(TITLES[1])
    s.table(["Deliverable", "Title", "Score", "Judged max"],
            [[d.id, d.title, pct(d.points, d.max), f"{sum(i.max for i in d.items if i.status == 'scored'):g}"]
             for d in f.judgement.deliverables])
    for d in f.judgement.deliverables:
        s.h(f"{d.id}: {d.title} — {pct(d.points, d.max)}")
        good = [f"{i.id} ({i.kind}, {i.points:g}/{i.max:g}): {i.rationale}" for i in d.items
                if i.status == "scored" and i.points >= i.max]
        bad = [f"{i.id} ({i.kind}, {i.points:g}/{i.max:g}): {i.rationale}" for i in d.items
               if i.status == "scored" and i.points < i.max]
        unj = [f"{i.id}: {i.rationale}" for i in d.items if i.status == "unjudged"]
        s.p("Key strengths:" if good else "Key strengths: none.").ul(good)
        s.p("Problems:" if bad else "Problems: none found by the judge.").ul(bad)
        if unj:
            s.p("Unjudged:").ul(unj)
    return s


def comms_section(f: RunFacts) -> Section:
    s = Section(TITLES[2])
    s.table(["Person", "Outbound", "Responses", "Blank", "Unprompted", "Verdict"],
            [[f"{p.name} ({p.id})", str(p.outbound), str(p.responses), str(len(p.blank)), str(p.unprompted), p.verdict]
             for p in f.people])
    for p in f.people:
        blank = (f", {len(p.blank)} blank messages (days {', '.join(map(str, sorted(set(p.blank))))})"
                 if p.blank else ", 0 blank messages")
        s.p(f"{p.name} ({p.id}) — {p.outbound} outbound messages, {p.responses} responses{blank}. "
            f"Effectiveness: {p.verdict}.")
    if not f.people:
        s.p("No messages were exchanged.")
    return s


def workflow_section(f: RunFacts) -> Section:
    s = Section(TITLES[3]).p(error_line(f))
    s.img(plots.turns_errors_per_day(f.per_day))
    s.table(["Day", "Turns", "Errors"], [[str(d), str(t), str(e)] for d, t, e in f.per_day])
    s.h("Error patterns")
    s.ul([f"{c.count}× {c.pattern} (days {', '.join(map(str, c.days))}); e.g. {c.example}" for c in f.clusters[:10]])
    if not f.clusters:
        s.p("No error entries.")
    s.h("Ordering mistakes")
    s.ul(f.ordering)
    if not f.ordering:
        s.p("None found: every submitted deliverable read its sources first, was on time and was revised after "
            "every change and correction.")
    s.h("Tool use")
    s.p(", ".join(f"{k} {v}" for k, v in f.tool_counts.items()) or "no agent turns")
    return s


def insights(f: RunFacts) -> list[str]:
    out = []
    for d in f.judgement.deliverables:
        for i in d.items:
            if i.status != "scored" or i.points >= i.max:
                continue
            if i.kind in ("fact_cited", "value_reported", "table_contains"):
                out.append(f"{d.id}: a key figure was not reported correctly — {i.rationale}")
            elif i.kind in ("section", "change"):
                out.append(f"{d.id}: expected document structure missing — {i.rationale}")
            elif i.kind == "source_used":
                out.append(f"{d.id}: existing material not drawn on — {i.rationale}")
            elif i.kind == "correction":
                out.append(f"{d.id}: a stakeholder's correction was not applied — {i.rationale}")
            elif i.kind == "judge":
                out.append(f"{d.id}: professional quality criterion not met — {i.rationale}")
    out += [f"{x.deliverable}: fabricated figure in {x.file}: {x.label} {x.found}, the computer's records say "
            f"{x.expected}" for x in f.judgement.fabrications]
    return out


def recommendations(f: RunFacts) -> list[str]:
    out = []
    for m in f.ordering:
        did, what = m.split(": ", 1)
        if "without reading" in what:
            should = "open and read every listed source before drafting, then cite them"
        elif "never revised" in what:
            should = "revise the outputs and resubmit after every change or correction"
        elif "missed" in what or "never submitted" in what:
            should = "plan work back from the due day and submit a complete draft by it"
        else:
            should = "follow the deliverable's brief"
        out.append(f"{did} — what happened: {what}. What should have happened: {should}.")
    for p in f.people:
        if p.outbound == 0 and p.unprompted:
            out.append(f"{p.name} — what happened: {p.unprompted} message(s) from them, none sent to them. "
                       "What should have happened: confirm requirements and share drafts with them.")
        if p.blank:
            out.append(f"{p.name} — what happened: {len(p.blank)} blank message(s). What should have happened: "
                       "every message carries its question or its content.")
    for c in f.clusters[:3]:
        out.append(f"Errors — what happened: {c.count}× {c.pattern}. What should have happened: check the "
                   "command or path once and change approach instead of repeating it.")
    for x in f.judgement.fabrications:
        out.append(f"{x.deliverable} — what happened: {x.label} reported as {x.found}. What should have happened: "
                   f"use the figure from the files or the stakeholder ({x.expected}).")
    return out or ["No corrective action needed: keep the same workflow (read sources, confirm figures with "
                   "stakeholders, share drafts, revise after changes)."]


def compose(f: RunFacts) -> Report:
    j = f.judgement
    exec_s = Section(TITLES[0]).p(executive_summary(f)).p(OFFLINE_NOTE)
    exec_s.img(plots.score_per_deliverable([(d.id, d.points, d.max) for d in j.deliverables]))
    if f.score_days:
        exec_s.img(plots.score_over_days(f.score_days))
        exec_s.table(["Day", "Points", "Judged max"], [[str(d), f"{p:g}", f"{m:g}"] for d, p, m in f.score_days])
    dom = Section(TITLES[4])
    found = insights(f)
    dom.p("Where the outputs show missing professional knowledge (from the judged rubric items):" if found else
          "The outputs carry every tracked figure, section and source the rubric asks for; no fabricated figures.")
    dom.ul(found)
    rec = Section(TITLES[5]).ul(recommendations(f))
    return Report(f"Trajectory analysis: {f.run}",
                  f"{f.user} · {f.occupation} · judged day {j.day} with {j.judge} · schema {j.schema_version}",
                  [exec_s, deliverables_section(f), comms_section(f), workflow_section(f), dom, rec])
