"""Prompts of the LLM generator, one builder per stage.

Each user message starts with a stage marker (``[stage:profile]``, ``[stage:world]``, ``[stage:folders]``,
``[stage:files]``, ``[stage:content]``) so logs and scripted test servers can tell requests apart.
The JSON Schema of the expected answer is appended by :meth:`worldbuilder.llm.LLMClient.chat_json`.
"""

from __future__ import annotations

import json
from typing import Any

from worldbuilder.generate.base import FilePlan
from worldbuilder.spec import FILE_TYPES, Profile, World

SYSTEM = ("You generate realistic, internally consistent synthetic computers: the files one fictional "
          "person has accumulated at work and at home. Be specific and plausible (names, numbers, dates, "
          "jargon of the trade), never use real people's private data, and answer with JSON only.")

# people, projects, facts per computer size
WORLD_SIZES = {"small": (8, 3, 8), "standard": (15, 6, 15), "large": (25, 10, 25)}


def _messages(user: str) -> list[dict[str, Any]]:
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def _dump(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, default=str)


def persona_prompt(persona: str) -> list[dict[str, Any]]:
    return _messages(
        f"[stage:persona]\nPersona: {persona}\n\n"
        "Read this persona into a structured profile, using the persona's own words. 'role' is the role "
        "phrase as written (e.g. 'coral reef biologist'), 'role_noun' its head noun, 'occupation' its title "
        "case label; 'specialty' the words that narrow the role; 'domain_nouns' the persona's other content "
        "nouns and 'activities' what they do; 'employer_kind' one of school, university, hospital, lab, firm, "
        "government, nonprofit, self_employed, startup, company; 'country' the ISO 3166 alpha-2 code of the "
        "place; 'side_roles' and 'life_context' (parent, student, caregiver...) only when the persona says "
        "so; 'assumed' lists what the persona does not say and you assumed. Leave 'version' and 'source' out.")


def profile_prompt(persona: str, occupations: dict[str, str], who: dict[str, Any] | None = None,
                   locale: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    known = ", ".join(f"{k} ({v})" for k, v in sorted(occupations.items())) or "(none)"
    agreed = (f"Who they are (keep to this): {_dump(who)}\nLocale: {_dump(locale)}\n" if who else "")
    return _messages(
        f"[stage:profile]\nPersona: {persona}\n{agreed}\n"
        "Expand this persona into the profile of the computer's owner. 'occupation' is the closest of "
        f"these occupation ids, or a new snake_case id if none fits: {known}. 'career_start' fits the "
        "seniority; 'timezone' is the IANA name for the location; 'employer_domain' is the employer's "
        "e-mail domain; 'tools' are the software they use daily.")


def profile_brief(profile: Profile) -> dict[str, Any]:
    return profile.model_dump(mode="json", include={"full_name", "email", "job_title", "employer", "occupation_label",
                                                    "sector", "seniority", "department", "location", "work_style"})


def world_prompt(persona: str, profile: Profile, size: str) -> list[dict[str, Any]]:
    people, projects, facts = WORLD_SIZES.get(size, WORLD_SIZES["standard"])
    return _messages(
        f"[stage:world]\nPersona: {persona}\nOwner: {_dump(profile_brief(profile))}\n\n"
        "Create the owner's world. organisations: the employer (kind 'employer', its e-mail domain) and "
        f"3-6 clients, vendors or partners (ids o01, o02...). people: about {people} people other than the "
        "owner (ids p01...): manager, colleagues, reports, externals (relation 'external', kind such as "
        "client/vendor/patient) and one or two family or friends; each with an e-mail at their "
        f"organisation's domain. projects: {projects} projects (ids j01...; owner and members are person "
        f"ids, client an organisation id or null; dates and milestones). facts: {facts} tracked key "
        "figures (ids f01...; value, unit, and 'display', the exact text every document will use, e.g. "
        "'$1,245,300' or '12.5%'; project id or null). history_start/history_end: the period the files "
        "span (1-4 years, ISO datetimes, history_end is 'now'). vocabulary: 20-40 domain terms.")


def world_brief(world: World) -> str:
    people = [f"{p.id} {p.name} ({p.role}, {p.relation}, {p.email})" for p in world.people]
    projects = [f"{p.id} {p.code} {p.name} [{p.status}, {p.start}..{p.end}]" for p in world.projects]
    facts = [f'{f.id} {f.label} = "{f.display}"' for f in world.facts]
    orgs = [f"{o.id} {o.name} ({o.kind}, {o.domain})" for o in world.organisations]
    return ("Organisations:\n" + "\n".join(orgs) + "\nPeople:\n" + "\n".join(people) + "\nProjects:\n"
            + "\n".join(projects) + "\nFacts (quote a fact's display text exactly, character for character):\n"
            + "\n".join(facts) + f"\nHistory: {world.history_start.isoformat()} .. {world.history_end.isoformat()}")


def folders_prompt(profile: Profile, world: World, target: int) -> list[dict[str, Any]]:
    return _messages(
        f"[stage:folders]\nOwner: {_dump(profile_brief(profile))}\n{world_brief(world)}\n\n"
        f"Plan the folder tree of the owner's computer holding about {target} files in total: work folders "
        "organised the way this person would (by client, project, year or topic, 1-4 levels deep), "
        "Documents, Downloads, Desktop, a few personal folders, maybe a scripts folder or dotfolders. "
        "Each folder: 'path' relative to the home folder (POSIX, no leading slash), 'purpose', and 'files', "
        "the number of files directly in it. 'os': 'linux' or 'windows' (windows: paths are relative to "
        "the user's profile folder; a path starting with 'D:/' is on a data drive).")


def files_prompt(profile: Profile, world: World, folder: str, purpose: str, count: int) -> list[dict[str, Any]]:
    return _messages(
        f"[stage:files]\nOwner: {_dump(profile_brief(profile))}\n{world_brief(world)}\n\n"
        f"Folder: {folder or '(home)'} - {purpose}\nList {count} files in this folder. Each: 'name' (file "
        f"name with the extension of its type), 'type' (one of {', '.join(FILE_TYPES)}), 'kind' (snake_case "
        "document kind, e.g. client_review, invoice, meeting_notes), 'title', 'size_class' (tiny, small, "
        "medium, large), 'created' and 'modified' (ISO datetimes inside the history, created <= modified), "
        "'refs' (ids of the people, projects and facts it cites) and 'project' (id or null).")


def content_prompt(plan: FilePlan, profile: Profile, world: World, guidance: str) -> list[dict[str, Any]]:
    file_info = plan.model_dump(mode="json", include={"path", "type", "kind", "title", "size_class", "created",
                                                      "modified", "refs", "project"})
    length = {"tiny": "very short", "small": "short", "medium": "substantial", "large": "long and detailed"}
    return _messages(
        f"[stage:content]\nOwner: {_dump(profile_brief(profile))}\n{world_brief(world)}\n\n"
        f"File: {_dump(file_info)}\nFile type: {plan.type}\n\nWrite the content of this file "
        f"({length.get(plan.size_class, 'short')}), as its owner would have it on {plan.modified.date()}. "
        f"{guidance} Cite the referenced people, projects and facts; whenever you mention a fact use its "
        "display text exactly. 'refs' lists the ids you cited.")
