"""Persona understanding, locale packs and the place table (issue 8)."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest

from worldbuilder.errors import GenerationError
from worldbuilder.generate import plan_computer
from worldbuilder.generate.explain import explain_persona
from worldbuilder.generate.locale import locale_pack, pack_codes
from worldbuilder.generate.match import choose_occupation
from worldbuilder.generate.persona_parse import content_words, parse_persona
from worldbuilder.generate.places import city_table
from worldbuilder.spec import ComputerSpec

COUNTRIES = "US GB IE CA AU NZ IN DE FR ES PT IT NL JP BR MX ZA SG".split()


def test_parse_reads_role_specialty_place_and_side_role() -> None:
    pp = parse_persona("a senior coral-reef biologist at James Cook University in Townsville, Queensland "
                       "who volunteers as a dive instructor")
    assert (pp.role_noun, pp.specialty, pp.seniority) == ("biologist", ["coral reef"], "senior")
    assert (pp.city, pp.region, pp.country) == ("Townsville", "Queensland", "AU")
    assert pp.employer_name == "James Cook University" and pp.employer_kind == "university"
    assert any("dive instructor" in s for s in pp.side_roles)


def test_parse_life_context_and_assumptions() -> None:
    pp = parse_persona("a chemistry teacher in Leeds, mother of two, studying for a master's degree")
    assert pp.specialty == ["chemistry"] and pp.country == "GB"
    assert {"parent", "student"} <= set(pp.life_context)
    assert any(a.startswith("seniority") for a in pp.assumed)


def test_unmatched_role_is_composed_from_its_own_words() -> None:
    pp = parse_persona("a coral reef biologist in Cairns")
    choice = choose_occupation(pp, "a coral reef biologist in Cairns")
    assert choice.mode == "composed" and choice.occupation.label == "Coral Reef Biologist"
    assert any("bleaching" in t for t in choice.topics) and any("reef" in t for t in choice.occupation.topics)
    genres = {d.genre for d in choice.occupation.documents}
    assert {"grant_proposal", "dataset_export"} <= genres


def test_matching_role_keeps_its_template() -> None:
    choice = choose_occupation(parse_persona("a chemistry teacher in Ohio"), "a chemistry teacher in Ohio")
    assert choice.mode == "template" and choice.template_id == "high_school_teacher"
    assert choice.occupation.topics[0] == "chemistry"


@pytest.mark.parametrize("persona, noun", [("a glassblower running a studio and gallery in Murano, Italy",
                                             "glassblower"),
                                            ("a luthier building violins in Cremona", "luthier"),
                                            ("a cheesemonger in Bath who judges at county shows", "cheesemonger"),
                                            ("a stonemason restoring cathedral facades in York", "stonemason")])
def test_a_trade_the_lexicon_lacks_is_still_the_persona_s_occupation(persona: str, noun: str) -> None:
    pp = parse_persona(persona)
    assert pp.role_noun == noun and any("not in the role lexicon" in a for a in pp.assumed)
    spec = plan_computer(persona, seed=0, size="small")
    assert noun in spec.profile.occupation.lower()
    assert sum(noun in f.content.model_dump_json().lower() for f in spec.files) >= 10


@pytest.mark.parametrize("persona", ["a mother of three who loves gardening", "a person who likes trains",
                                     "a keen walker and amateur painter"])
def test_family_and_hobby_nouns_are_not_read_as_trades(persona: str) -> None:
    assert parse_persona(persona).role_noun in ("", "painter")  # 'painter' is in the lexicon, as a side interest


def test_no_occupation_falls_back_and_says_so() -> None:
    text = explain_persona("a person who likes trains")
    assert "fallback template" in text and "occupation: none named" in text and "train" in text


@pytest.mark.parametrize("bad", ["", "   ", "a" * 102_400])
def test_bad_persona_is_one_clear_error(bad: str) -> None:
    with pytest.raises(GenerationError):
        parse_persona(bad)
    out = subprocess.run([sys.executable, "-m", "worldbuilder.cli", "personas", "explain", bad],
                         capture_output=True, text=True)
    assert out.returncode != 0 and out.stderr.count("\n") == 1 and out.stderr.startswith("error: persona is ")


def test_content_words_drop_place_and_stop_words() -> None:
    assert content_words("a water engineer in Porto, Portugal who likes cycling") == ["water", "engineer", "cycling"]


def test_every_country_has_a_pack_with_its_own_phone_format() -> None:
    assert set(COUNTRIES) <= set(pack_codes())
    rng = random.Random(1)
    for code in COUNTRIES:
        pack = locale_pack(code)
        assert pack.country == code and pack.currency and pack.paper_size in ("a4", "letter")
        assert pack.phone(rng).startswith(pack.dial_code)
    assert locale_pack("GB").terms["secondary_exam"].startswith("GCSE") and locale_pack("US").paper_size == "letter"
    assert locale_pack("KE").currency == "KES"  # a country without a pack still gets its own money


def test_place_table_covers_the_countries() -> None:
    rows = city_table()
    assert len(rows) >= 300 and set(COUNTRIES) <= {r.country for r in rows}


@pytest.mark.slow
def test_identity_is_stable_over_seeds() -> None:
    persona = "a secondary school chemistry teacher in Leeds"
    ids = {(s.profile.occupation, s.profile.department, s.profile.job_title, tuple(s.persona_profile.specialty))
           for s in (plan_computer(persona, seed=seed, size="small") for seed in range(5))}
    assert len(ids) == 1 and next(iter(ids))[1] == "Chemistry"


@pytest.mark.slow
def test_locale_reaches_the_computer(tmp_path) -> None:
    leeds = plan_computer("a chemistry teacher in Leeds", seed=0, size="small")
    assert (leeds.profile.country, leeds.profile.currency, leeds.profile.paper_size) == ("GB", "GBP", "a4")
    assert all(p.phone.startswith("+44") for p in leeds.world.people)
    assert "Unified School District" not in leeds.to_json() and "AP exam" not in leeds.to_json()
    toronto = plan_computer("a registered nurse in Toronto", seed=0, size="small")
    assert toronto.profile.currency == "CAD" and "State Board of Nursing" not in toronto.to_json()
    leeds.save(tmp_path / "spec.json")
    assert ComputerSpec.load(tmp_path / "spec.json").persona_profile == leeds.persona_profile


def test_gdpval_occupations_are_all_covered() -> None:
    from worldbuilder.generate.occupation import load_occupations
    from worldbuilder.generate.persona_parse import lexicon

    index = lexicon("gdpval.yaml")
    names = {name: oid for sector in index.values() for name, oid in sector.items()}
    assert len(index) == 9 and len(names) == 44
    assert set(names.values()) <= set(load_occupations())
    assert len(load_occupations()) >= 38 + 30


@pytest.mark.parametrize(("persona", "occ_id"), [
    ("a hotel concierge in Lisbon", "concierge"),
    ("a compliance officer at an insurer in Zurich", "compliance_officer"),
    ("a video editor at a post-production house in Madrid", "film_video_editor"),
    ("a family nurse practitioner in rural Ontario", "nurse_practitioner"),
])
def test_gdpval_roles_choose_their_template(persona: str, occ_id: str) -> None:
    choice = choose_occupation(parse_persona(persona), persona)
    assert choice.mode == "template" and choice.template_id == occ_id


@pytest.mark.parametrize(("persona", "city", "country", "tz"), [
    ("a baker in Ennis, Ireland", "Ennis", "IE", "Europe/Dublin"),  # not in the table: resolved by country
    ("a vet in Kumamoto, Japan", "Kumamoto", "JP", "Asia/Tokyo"),
    ("a farmer in Tralee, County Kerry", "Tralee", "IE", "Europe/Dublin"),
    ("a teacher in Victoria, British Columbia", "Victoria", "CA", "America/Vancouver"),
    ("a planner in Birmingham", "Birmingham", "GB", "Europe/London"),
    ("a nurse in Townsville", "Townsville", "AU", "Australia/Brisbane"),
])
def test_places_resolve_through_region_and_country(persona, city, country, tz) -> None:
    from worldbuilder.generate.places import place_of

    place = place_of(persona)
    assert place is not None and (place.city, place.country, place.timezone) == (city, country, tz)


def test_localized_template_uses_local_institutions() -> None:
    from worldbuilder.generate.compose import localize_occupation
    from worldbuilder.generate.occupation import load_occupations

    teacher = load_occupations()["high_school_teacher"]
    gb = localize_occupation(teacher, locale_pack("GB")).model_dump_json()
    ca = localize_occupation(teacher, locale_pack("CA")).model_dump_json()
    assert "Unified School District" not in gb and "AP exam" not in gb and "GCSE" in gb
    assert "District School Board" in ca
    nurse_ca = localize_occupation(load_occupations()["nurse"], locale_pack("CA")).model_dump_json()
    assert "State Board of Nursing" not in nurse_ca
    jp = localize_occupation(load_occupations()["financial_advisor"], locale_pack("JP"))
    assert all(m.unit != "USD" for m in jp.metrics) and any(m.unit == "JPY" for m in jp.metrics)


def test_every_sector_composes_a_valid_occupation() -> None:
    from worldbuilder.generate.compose import compose_occupation, persona_topics
    from worldbuilder.generate.persona_parse import lexicon

    lex = lexicon("roles.yaml")
    for sector in sorted({*lex["roles"].values(), *lex["multiword"].values()}):
        pp = parse_persona("a senior glass-harp restorer in Utrecht").model_copy(update={"sector": sector})
        occ = compose_occupation(pp, persona_topics(pp))
        assert occ.sector == sector and len(occ.documents) >= 8 and occ.topics
        assert all("{Role}" not in d.title and "{Specialty}" not in d.folder for d in occ.documents)
        assert occ.work_folders[0] and occ.employer_patterns


@pytest.mark.slow
def test_a_persona_without_an_occupation_gets_a_coherent_computer(tmp_path) -> None:
    from worldbuilder.check import check_computer

    spec = plan_computer("a person who likes trains", seed=0, size="small")
    assert spec.profile.occupation == "office_administrator" and spec.persona_profile.assumed
    assert "train" in " ".join(spec.world.vocabulary)
    assert not check_computer(spec.save(tmp_path / "spec.json")).contradictions
