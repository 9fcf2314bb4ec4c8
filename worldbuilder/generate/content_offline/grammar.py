"""A small generative grammar for work prose: sentence structures filled from the domain lexicon,
the occupation's vocabulary and topics, the document's topic, and the world's people, projects and dates.

Each sentence combines a structure (about twenty) with independently drawn phrases, so a computer's
documents rarely repeat a sentence and different domains rarely share a frame.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from worldbuilder.generate.content_offline.lexicon import GENERIC, LEXICON, SECTOR_DOMAIN


def domain_of(sector: str) -> str:
    return SECTOR_DOMAIN.get(sector, "business")


class Grammar:
    """Sentences about ``topic`` for one file; ``people`` and ``terms`` come from the world."""

    def __init__(self, rng: random.Random, sector: str, topic: str, terms: list[str], people: list[str],
                 projects: list[str], when: datetime) -> None:
        self.rng, self.topic, self.when = rng, topic, when
        self.lex = LEXICON[domain_of(sector)]
        self.terms = [t for t in terms if t] or [topic]
        self.people = people or ["a colleague"]
        self.projects = projects or [topic]
        self._said: set[str] = set()
        self.structures = (
            self._svo_place, self._svo_reason, self._passive, self._numbers, self._after, self._contrast,
            self._need, self._question, self._observation, self._connector, self._plan, self._comparison,
            self._quote, self._because_topic, self._result, self._hedged, self._when_clause, self._list_three,
        )

    # ------------------------------------------------------------------ phrases
    def pick(self, key: str) -> str:
        return self.rng.choice(self.lex[key])  # type: ignore[return-value]

    def verb(self) -> tuple[str, str]:
        return self.rng.choice(self.lex["verbs"])  # type: ignore[return-value]

    def actor(self) -> str:
        return self.rng.choice(self.people) if self.rng.random() < 0.45 else self.pick("actors")

    def thing(self) -> str:
        r = self.rng.random()
        if r < 0.35:
            return f"the {self.topic} {self.pick('nouns')}"
        if r < 0.65:
            return f"the {self.pick('nouns')} for {self.rng.choice(self.terms)}"
        if r < 0.8:
            return f"the {self.rng.choice(self.terms)} {self.pick('nouns')}"
        return f"the {self.pick('nouns')} on {self.rng.choice(self.projects)}"

    def date(self) -> str:
        d = self.when + timedelta(days=self.rng.randint(-40, 40))
        r = self.rng.random()
        if r < 0.4:
            return f"on {d:%B} {d.day}"
        if r < 0.7:
            return f"last {self.rng.choice(GENERIC['weekdays'])}" if d < self.when else \
                f"next {self.rng.choice(GENERIC['weekdays'])}"
        return f"in the week of {d:%B} {d.day}"

    def num(self) -> tuple[int, int]:
        a = self.rng.randint(2, 60)
        return a, a + self.rng.randint(1, 40)

    # ------------------------------------------------------------------ structures
    def _svo_place(self) -> str:
        return f"{self.actor()} {self.verb()[0]} {self.thing()} {self.pick('places')} {self.date()}"

    def _svo_reason(self) -> str:
        return f"{self.actor()} {self.verb()[0]} {self.thing()} because {self.pick('reasons')}"

    def _passive(self) -> str:
        return f"{self.thing()} was {self.verb()[0]} by {self.actor()} and now looks {self.pick('qualities')}"

    def _numbers(self) -> str:
        a, b = self.num()
        unit = self.pick("units")
        return f"{a} of {b} {unit} in the {self.topic} sample were {self.pick('qualities')}, against {b - a} {self.date()}"

    def _after(self) -> str:
        past, _ = self.verb()
        return f"after {self.actor()} {past} {self.thing()}, {self.rng.choice(self.terms)} came up again {self.pick('places')}"

    def _contrast(self) -> str:
        return (f"{self.thing()} is {self.pick('qualities')}, while {self.thing()} is still "
                f"{self.pick('qualities')} {self.rng.choice(GENERIC['hedges'])}")

    def _need(self) -> str:
        return f"we still need {self.actor()} to {self.verb()[1]} {self.thing()} {self.date()}"

    def _question(self) -> str:
        return f"can {self.actor()} {self.verb()[1]} {self.thing()} before {self.rng.choice(self.projects)} moves on?"

    def _observation(self) -> str:
        a, _ = self.num()
        return f"{self.rng.choice(self.people)} noted {a} {self.pick('units')} where {self.rng.choice(self.terms)} was {self.pick('qualities')}"

    def _connector(self) -> str:
        return f"{self.rng.choice(GENERIC['connectors'])}, {self.actor()} {self.verb()[0]} {self.thing()}"

    def _plan(self) -> str:
        return (f"the plan is to {self.verb()[1]} {self.thing()} first and {self.verb()[1]} {self.thing()} "
                f"{self.date()}")

    def _comparison(self) -> str:
        a, b = self.num()
        return (f"compared with {self.rng.choice(self.projects)}, {self.topic} has {a} {self.pick('units')} "
                f"instead of {b}, mostly because {self.pick('reasons')}")

    def _quote(self) -> str:
        return (f"\"{self.rng.choice(self.terms).capitalize()} is the part I worry about,\" {self.rng.choice(self.people)} said "
                f"{self.pick('places')}")

    def _because_topic(self) -> str:
        return (f"because {self.pick('reasons')}, {self.actor()} moved the {self.topic} work towards "
                f"{self.rng.choice(self.terms)} {self.date()}")

    def _result(self) -> str:
        return (f"{self.actor()} {self.verb()[0]} {self.thing()}, so {self.thing()} should be "
                f"{self.pick('qualities')} by {self.date().replace('on ', '').replace('in the week of ', '')}")

    def _hedged(self) -> str:
        return (f"{self.rng.choice(self.terms)} looks {self.pick('qualities')} {self.rng.choice(GENERIC['hedges'])}, "
                f"which matters for {self.thing()}")

    def _when_clause(self) -> str:
        return f"when {self.pick('reasons')}, {self.actor()} {self.verb()[0]} {self.thing()} {self.pick('places')}"

    def _list_three(self) -> str:
        t = self.rng.sample(self.terms, k=min(3, len(self.terms)))
        return f"for {self.topic}, the open points are {', '.join(t[:-1])} and {t[-1]}" if len(t) > 1 else \
            f"for {self.topic}, the open point is {t[0]}"

    # ------------------------------------------------------------------ output
    def sentence(self) -> str:
        """A sentence this file has not said yet (a few redraws; a small lexicon may still repeat)."""
        for _ in range(8):
            text = self.rng.choice(self.structures)()
            text = text[0].upper() + text[1:]
            text = text if text.endswith("?") else text + "."
            if text not in self._said:
                break
        self._said.add(text)
        return text

    def paragraph(self, n: int) -> str:
        return " ".join(self.sentence() for _ in range(n))
