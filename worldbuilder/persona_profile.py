"""PersonaProfile: who the persona is, parsed once and shared by every generator backend.

The offline backend fills it with a deterministic parser (:mod:`worldbuilder.generate.persona_parse`);
the LLM backend asks for the same schema as JSON. It is stored in ``spec.json`` and never depends on
the seed: the seed varies details, never identity.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

PERSONA_PROFILE_VERSION = "1"
MAX_PERSONA_CHARS = 2000

Seniority = Literal["junior", "mid", "senior", "lead", "executive"]


class PersonaProfile(BaseModel):
    """The structured reading of a persona text (all words lower-case unless they are names)."""

    model_config = ConfigDict(extra="forbid")

    version: str = PERSONA_PROFILE_VERSION
    source: str = "offline"  # "offline" or "llm:<model>"
    role: str = ""  # the role phrase as written, e.g. "coral reef biologist"
    role_noun: str = ""  # its head, e.g. "biologist"
    occupation: str = ""  # display label, e.g. "Coral Reef Biologist"
    sector: str = ""  # science, health, education, ... (from the role noun)
    specialty: list[str] = Field(default_factory=list)  # the words that narrow the role: ["coral reef"]
    domain_nouns: list[str] = Field(default_factory=list)  # the persona's other content nouns
    activities: list[str] = Field(default_factory=list)  # what the persona does: ["surveying", "mentoring"]
    seniority: Seniority = "mid"
    employer_kind: str = "company"  # school, hospital, university, firm, agency, government, ...
    employer_name: str = ""  # when the persona names one
    city: str = ""
    region: str = ""
    country: str = ""  # ISO 3166-1 alpha-2
    side_roles: list[str] = Field(default_factory=list)  # "volunteer firefighter", "school governor"
    life_context: list[str] = Field(default_factory=list)  # parent, student, caregiver, ...
    assumed: list[str] = Field(default_factory=list)  # what the persona did not say and was assumed

    def own_words(self) -> list[str]:
        """The persona's own specialty and domain words, most defining first (no duplicates)."""
        return list(dict.fromkeys([*self.specialty, *self.domain_nouns, *self.activities]))
