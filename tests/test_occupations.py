"""The occupation library and the built-in persona set: schema, richness, placeholders, coverage."""

from __future__ import annotations

import re
import string
from importlib import resources
from typing import get_args

import pytest
import yaml

from worldbuilder.generate.match import match_persona
from worldbuilder.generate.occupation import OCCUPATION_PACKAGE, Occupation, load_occupations
from worldbuilder.spec import FileType

ALLOWED_PLACEHOLDERS = {
    "last", "first", "city", "client", "project", "topic", "year", "quarter", "month", "person", "org",
    "last2",  # a second surname, filled for organisation names ("{last} & {last2} LLP")
}
# What the offline generator actually fills for each kind of pattern; anything else would render as a
# capitalised placeholder name ("First"), so a pattern may use only these.
ORG_FIELDS = {"last", "last2", "city"}
PROJECT_FIELDS = {"client", "topic", "year", "city"}
DOCUMENT_FIELDS = {"project", "client", "year", "quarter", "month", "person", "topic", "city"}
SENIORITIES = {"junior", "mid", "senior", "lead", "executive"}
TABULAR = {"xlsx", "csv"}
OCCUPATIONS = load_occupations()
OCC_IDS = sorted(OCCUPATIONS)
# The two engine examples are written to their own brief; the richness floor covers the library proper.
ENGINE_EXAMPLES = {"financial_advisor", "software_engineer"}
LIBRARY_IDS = [i for i in OCC_IDS if i not in ENGINE_EXAMPLES]


def _yaml_files() -> dict[str, str]:
    root = resources.files(OCCUPATION_PACKAGE)
    return {p.name: p.read_text(encoding="utf-8") for p in root.iterdir() if p.name.endswith(".yaml")}


def _personas() -> list[str]:
    text = resources.files("worldbuilder").joinpath("data/personas.txt").read_text(encoding="utf-8")
    return text.splitlines()


def _placeholders(pattern: str) -> set[str]:
    """Field names used by a pattern; fails on format specs, conversions or attribute access."""
    names: set[str] = set()
    for _literal, field, spec, conv in string.Formatter().parse(pattern):
        if field is None:
            continue
        assert not spec and conv is None, f"format spec/conversion in {pattern!r}"
        names.add(field)
    return names


def _patterns(occ: Occupation) -> list[str]:
    out = [*occ.employer_patterns, *occ.external_org_patterns, *occ.project_patterns]
    for doc in occ.documents:
        out += [doc.title, doc.folder]
    return out


def test_library_size_and_sectors() -> None:
    assert len(OCCUPATIONS) >= 25
    assert len({o.sector for o in OCCUPATIONS.values()}) >= 10


def test_ids_unique_and_equal_file_names() -> None:
    files = _yaml_files()
    ids = [yaml.safe_load(text)["id"] for text in files.values()]
    assert len(ids) == len(set(ids))
    for name, text in files.items():
        assert yaml.safe_load(text)["id"] + ".yaml" == name
    assert set(OCCUPATIONS) == {n.removesuffix(".yaml") for n in files}


def test_schema_rejects_unknown_keys() -> None:
    data = yaml.safe_load(_yaml_files()["accountant.yaml"])
    Occupation.model_validate(data)
    with pytest.raises(ValueError):
        Occupation.model_validate({**data, "salary": 1})


@pytest.mark.parametrize("occ_id", LIBRARY_IDS)
def test_occupation_is_rich(occ_id: str) -> None:
    occ = OCCUPATIONS[occ_id]
    assert re.fullmatch(r"[a-z][a-z0-9_]*", occ.id)
    assert len(occ.keywords) >= 6
    assert set(occ.titles) == SENIORITIES and all(occ.titles[s] for s in SENIORITIES)
    assert len(occ.departments) >= 4
    assert len(occ.employer_patterns) >= 3
    assert occ.colleague_roles and occ.manager_roles
    assert occ.external_kind and occ.external_roles and occ.external_org_patterns
    assert len(occ.project_patterns) >= 4
    assert len(occ.topics) >= 8
    assert len(occ.work_folders) >= 5
    assert len(occ.documents) >= 10
    assert len(occ.metrics) >= 8
    assert len(occ.tools) >= 8
    assert len(occ.vocabulary) >= 25
    assert len(occ.work_styles) >= 4
    assert 0.0 <= occ.windows_share <= 1.0
    assert 0.1 <= occ.code_share <= 2.0


@pytest.mark.parametrize("occ_id", OCC_IDS)
def test_documents_are_well_formed(occ_id: str) -> None:
    occ = OCCUPATIONS[occ_id]
    valid = set(get_args(FileType))
    kinds = [d.kind for d in occ.documents]
    assert len(kinds) == len(set(kinds)), "duplicate document kinds"
    for doc in occ.documents:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", doc.kind), doc.kind
        assert doc.types and set(doc.types) <= valid, (doc.kind, doc.types)
        assert len(doc.types) == len(set(doc.types)), doc.kind
        assert doc.weight > 0
        assert doc.sections or doc.columns, f"{doc.kind} has neither sections nor columns"
        if doc.types[0] in TABULAR:
            assert len(doc.columns) >= 3, f"tabular {doc.kind} needs columns"
        if doc.sections:
            assert 3 <= len(doc.sections) <= 8, doc.kind
        root = doc.folder.split("/")[0]
        assert root in occ.work_folders, f"{doc.kind}: folder {doc.folder!r} not under work_folders"
        assert not doc.folder.startswith("/") and ".." not in doc.folder.split("/")


@pytest.mark.parametrize("occ_id", OCC_IDS)
def test_metrics_have_sane_ranges(occ_id: str) -> None:
    occ = OCCUPATIONS[occ_id]
    labels = [m.label for m in occ.metrics]
    assert len(labels) == len(set(labels))
    for m in occ.metrics:
        assert m.low < m.high, m.label
        assert 0 <= m.decimals <= 4
        if m.unit == "%":
            assert -100 <= m.low and m.high <= 1000, m.label


@pytest.mark.parametrize("occ_id", OCC_IDS)
def test_patterns_use_only_allowed_placeholders(occ_id: str) -> None:
    occ = OCCUPATIONS[occ_id]
    for pattern in _patterns(occ):
        used = _placeholders(pattern)
        assert used <= ALLOWED_PLACEHOLDERS, f"{pattern!r} uses {used - ALLOWED_PLACEHOLDERS}"
    fields = [(p, ORG_FIELDS) for p in occ.employer_patterns + occ.external_org_patterns]
    fields += [(p, PROJECT_FIELDS) for p in occ.project_patterns]
    fields += [(p, DOCUMENT_FIELDS) for d in occ.documents for p in (d.title, d.folder)]
    for pattern, allowed in fields:
        assert _placeholders(pattern) <= allowed, f"{pattern!r} uses {_placeholders(pattern) - allowed}"
    for text in occ.topics + occ.vocabulary + occ.keywords + occ.tools:
        assert "{" not in text and "}" not in text, text


def test_personas_are_many_unique_and_clean() -> None:
    personas = _personas()
    assert len(personas) >= 200
    assert all(p.strip() == p and len(p.split()) >= 5 for p in personas), "blank or padded line"
    assert len({p.lower() for p in personas}) == len(personas), "duplicate persona"


def _keyword_hits(persona: str, occ: Occupation) -> bool:
    text = persona.lower()
    return any(re.search(rf"\b{re.escape(k.lower())}", text) for k in occ.keywords)


@pytest.mark.parametrize("occ_id", OCC_IDS)
def test_every_occupation_has_a_persona(occ_id: str) -> None:
    occ = OCCUPATIONS[occ_id]
    assert any(_keyword_hits(p, occ) for p in _personas()), f"no persona mentions {occ.id}"


def test_matcher_spreads_personas_over_occupations() -> None:
    targets = {match_persona(p).occupation.id for p in _personas()}
    assert len(targets) >= 25, sorted(targets)


@pytest.mark.parametrize(("persona", "occ_id"), [
    ("A litigation paralegal at a personal injury firm in Atlanta", "paralegal"),
    ("A corporate attorney at a large law firm in New York", "lawyer"),
    ("A high school principal in Atlanta leading a turnaround plan", "school_administrator"),
    ("A charge nurse in the emergency department of a hospital in Toronto", "nurse"),
    ("A city planner in Austin writing staff reports for the planning commission", "urban_planner"),
    ("A site reliability engineer at a payments company in Dublin", "devops_engineer"),
    ("A structural engineer in Christchurch assessing seismic retrofits", "civil_engineer"),
    ("A cafe owner in Melbourne who roasts her own coffee", "restaurant_owner"),
])
def test_library_keywords_win_over_generic_ones(persona: str, occ_id: str) -> None:
    assert match_persona(persona).occupation.id == occ_id
