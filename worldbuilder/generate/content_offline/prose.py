"""Prose from the occupation vocabulary, the world's people, projects and tracked facts."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from worldbuilder.generate.base import FilePlan
from worldbuilder.generate.content_offline.grammar import Grammar
from worldbuilder.generate.occupation import Occupation
from worldbuilder.spec import Fact, Person, Profile, Project, World

WORK_SENTENCES = (
    "We reviewed the {term} for {project} with {person} and agreed to revisit the {term2} before {date}.",
    "{person} raised a question about {term}; the approach agreed with {client} stays in place for now.",
    "The {code} workstream is {status}, and the {milestone} milestone {mtense} {mdate}.",
    "Our priority this quarter is {term}, followed by a closer look at {term2}.",
    "I will follow up with {person} on the {term} and circulate an updated draft by {date}.",
    "Compared with the previous review, the main change is in {term}, which mostly affects {client}.",
    "Open risks include {term} and {term2}; both are tracked in the {code} log.",
    "{client} asked for more detail on {term}, so this version adds a short appendix.",
    "{person} will own the {term} piece, with support from {person2}.",
    "The team agreed that {term} should be settled before any work on {term2} starts.",
    "Feedback from {person} on the {term} was positive, with two small corrections.",
    "For {project}, the {term} assumptions were checked against last quarter's numbers.",
    "We still need sign-off from {person2} on the {term} before sharing it with {client}.",
    "The {term} section was rewritten to make the recommendation easier to follow.",
    "On timing, {milestone} {mtense} {mdate}, and {term} is on the critical path.",
    "A short call with {person} clarified how {term} interacts with {term2}.",
)
STATUS_PHRASE = {"active": "on track", "on_hold": "on hold pending a decision", "completed": "complete",
                 "planned": "still in planning", "cancelled": "cancelled"}


def fact_clause(f: Fact) -> str:
    """The one canonical way a fact appears in prose: ``<label>: <display>``."""
    return f"{f.label}: {f.display}"


def long_date(d: date | datetime) -> str:
    return f"{d:%B} {d.day}, {d.year}"


class Writer:
    """Writes text for one file, remembering which world ids it cited."""

    def __init__(self, rng: random.Random, profile: Profile, world: World, occ: Occupation, plan: FilePlan) -> None:
        self.rng, self.profile, self.world, self.occ, self.plan = rng, profile, world, occ, plan
        ids = set(world_ids(world))
        self.refs: list[str] = [r for r in plan.refs if r in ids]
        self.project: Project | None = world.project(plan.project) if plan.project in ids else None
        self.people: list[Person] = [world.person(r) for r in self.refs if r.startswith("p")]
        self.facts: list[Fact] = [world.fact(r) for r in self.refs if r.startswith("f")]
        self.when = plan.created
        self._said: set[str] = set()  # sentences already used in this file (membership only)
        self._topic: str | None = None
        self._grammar: Grammar | None = None

    # ------------------------------------------------------------------ picks
    def cite(self, wid: str) -> None:
        if wid not in self.refs:
            self.refs.append(wid)

    def term(self) -> str:
        return self.rng.choice(self.world.vocabulary or self.occ.vocabulary or ["the plan"])

    def two_terms(self) -> tuple[str, str]:
        a = self.term()
        for _ in range(5):
            b = self.term()
            if b != a:
                return a, b
        return a, b

    def person(self, relation: tuple[str, ...] = ()) -> Person:
        pool = [p for p in self.people if not relation or p.relation in relation]
        if not pool:
            pool = [p for p in self.world.people if p.relation in (relation or ("colleague", "manager", "report"))]
        p = self.rng.choice(pool or self.world.people)
        self.cite(p.id)
        return p

    def proj(self) -> Project:
        if self.project is None:
            self.project = self.rng.choice(self.world.projects)
        self.cite(self.project.id)
        return self.project

    def client_name(self) -> str:
        p = self.proj()
        if p.client:
            self.cite(p.client)
            return self.world.organisation(p.client).name
        return self.profile.employer

    def some_facts(self, n: int) -> list[Fact]:
        facts = list(self.facts)
        if len(facts) < n:
            extra = [f for f in self.world.facts if f not in facts and (f.project in (None, self.plan.project))]
            facts += self.rng.sample(extra, k=min(n - len(facts), len(extra)))
        for f in facts[:n]:
            self.cite(f.id)
        return facts[:n]

    def date_after(self, days: int = 30) -> str:
        return long_date(self.when + timedelta(days=self.rng.randint(3, days)))

    # ------------------------------------------------------------------ text
    def fresh(self, text: str) -> bool:
        """True the first time ``text`` is said in this file (so no sentence repeats within a document)."""
        if text in self._said:
            return False
        self._said.add(text)
        return True

    def status_phrase(self, p: Project) -> str:
        return STATUS_PHRASE[p.status]

    @property
    def topic(self) -> str:
        """What the file is about: a topic or term its title names, else its project's subject."""
        if self._topic is None:
            from worldbuilder.generate.occupation import topics_for

            title = self.plan.title.lower()
            pool = topics_for(self.occ, self.profile.department) + list(self.occ.topics) + list(self.world.vocabulary)
            named = [t for t in pool if t and t.lower() in title]
            if not named and self.project is not None:
                named = [t for t in pool if t and t.lower() in self.project.name.lower()]
            self._topic = max(named, key=len) if named else self.rng.choice(pool or [self.plan.title])
        return self._topic

    @property
    def grammar(self) -> Grammar:
        if self._grammar is None:
            people = [p.name for p in self.people] or [p.name for p in self.world.people
                                                       if p.relation in ("colleague", "manager", "report")][:6]
            terms = list(self.world.vocabulary or self.occ.vocabulary)
            self._grammar = Grammar(self.rng, self.profile.sector, self.topic, terms, people,
                                    [p.name for p in self.world.projects], self.when)
        return self._grammar

    def sentence(self) -> str:
        for _ in range(6):
            text = self.grammar.sentence()
            if self.fresh(text):
                return text
        return text

    def _sentence(self) -> str:
        p = self.proj()
        ms = self.rng.choice(p.milestones) if p.milestones else None
        done = ms is not None and ms.due <= self.when.date()
        t1, t2 = self.two_terms()
        p1 = self.person()
        p2 = self.person()
        if p2.id == p1.id:
            p2 = self.person(("colleague", "manager", "report"))
        return self.rng.choice(WORK_SENTENCES).format(
            term=t1, term2=t2, project=p.name, code=p.code, person=p1.name, person2=p2.name, client=self.client_name(), date=self.date_after(),
            status=STATUS_PHRASE[p.status], milestone=ms.name if ms else "next review",
            mtense="was reached on" if done else "is due on",
            mdate=long_date(ms.due) if ms else self.date_after(60))

    def paragraph(self, n: int | None = None) -> str:
        text = " ".join(self.sentence() for _ in range(n or self.rng.randint(2, 4)))
        return text[0].upper() + text[1:]

    def facts_sentence(self, facts: list[Fact]) -> str:
        if not facts:
            return self.paragraph(1)
        body = "; ".join(fact_clause(f) for f in facts)
        return f"Key figures as of {long_date(self.when)}. {body}."


def world_ids(world: World) -> list[str]:
    return ([p.id for p in world.people] + [p.id for p in world.projects] + [f.id for f in world.facts]
            + [o.id for o in world.organisations])
