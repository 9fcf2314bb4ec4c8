"""Persona fidelity: does the offline generator build *this* persona's computer?

Usage: python benchmarks/persona_fidelity.py [--file tests/data/fidelity_personas.txt] [--size standard]
       [--seeds 5] [--limit N]

Per persona it prints:
- words: share of text-bearing files (not png/zip) that mention at least one persona content word
  (persona words minus stop, place and seniority words; matched on a loose stem), and the words found;
  target >= 30% of files for >= 90% of personas; in brackets the same share without the role noun
  ("teacher", "nurse"), i.e. files that carry the persona's specialty, domain or side-role words;
- stable: the same occupation, specialty and job title for seeds 0..N-1 (target 100%);
- money: every currency amount in the files uses the country's currency symbol (target 100%);
- phones: every phone number in the world and in the files uses the country's dial code (target 100%);
- check: contradictions `worldbuilder check` finds in the spec (target 0).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from worldbuilder.check import check_computer
from worldbuilder.generate import plan_computer
from worldbuilder.generate.fill import CURRENCY
from worldbuilder.generate.locale import locale_pack
from worldbuilder.generate.persona_parse import content_words, stem, tokens
from worldbuilder.spec import ComputerSpec

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILE = ROOT / "tests" / "data" / "fidelity_personas.txt"
_MONEY = re.compile(r"(?<![\w$])(NZ\$|A\$|C\$|S\$|MX\$|R\$|US\$|\$|€|£|₹|¥|CHF )\s?\d")
_PHONE = re.compile(r"\+\d{1,3}[\s-]\(?\d")


def load_personas(path: Path) -> list[str]:
    lines = [" ".join(line.split()) for line in path.read_text(encoding="utf-8").splitlines()]
    return [p for p in lines if p and not p.startswith("#")]


def file_texts(spec: ComputerSpec) -> list[str]:
    """The text of each text-bearing file: its path plus every string in its structured content."""
    out = []
    for f in spec.files:
        if f.type in ("png", "zip"):
            continue
        out.append(f.path + "\n" + "\n".join(_strings(f.content.model_dump(mode="json"))))
    return out


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def word_share(persona: str, texts: list[str], drop: set[str] | None = None) -> tuple[float, list[str]]:
    words = [w for w in content_words(persona) if w not in (drop or set())]
    stems = {stem(w): w for w in words if len(w) > 2}
    hit_files, found = 0, set()
    for text in texts:
        here = {stems[s] for s in {stem(t) for t in tokens(text)} if s in stems}
        found |= here
        hit_files += bool(here)
    return (hit_files / len(texts) if texts else 0.0), sorted(found)


def money_ok(spec: ComputerSpec, texts: list[str]) -> tuple[bool, str]:
    symbol = CURRENCY.get(spec.profile.currency, spec.profile.currency)
    for text in texts:
        if "/.git/" in text.partition("\n")[0]:
            continue  # git's shell hooks: "$1", "$0" are positional parameters, not money
        for m in _MONEY.finditer(text):
            if m.group(1).strip() != symbol.strip():
                return False, f"{m.group(0)!r} (want {symbol})"
    return True, ""


def phones_ok(spec: ComputerSpec, texts: list[str]) -> tuple[bool, str]:
    dial = locale_pack(spec.profile.country).dial_code
    phones = [p.phone for p in spec.world.people if p.phone]
    phones += [m.group(0) for t in texts for m in _PHONE.finditer(t)]
    bad = [p for p in phones if not p.startswith(dial)]
    return (not bad), (f"{bad[0]!r} (want {dial})" if bad else "")


def contradictions_of(spec: ComputerSpec) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        return len(check_computer(spec.save(Path(tmp) / "spec.json")).contradictions)


def identity(spec: ComputerSpec) -> tuple:
    pp = spec.persona_profile
    return (spec.profile.occupation, spec.profile.department, spec.profile.job_title,
            tuple(pp.specialty) if pp else ())


def run(personas: list[str], size: str, seeds: int) -> int:
    rows, times = [], []
    for persona in personas:
        t0 = time.perf_counter()
        spec = plan_computer(persona, seed=0, size=size)
        times.append(time.perf_counter() - t0)
        texts = file_texts(spec)
        share, found = word_share(persona, texts)
        role = set(tokens(spec.persona_profile.role_noun)) if spec.persona_profile else set()
        strict, _ = word_share(persona, texts, drop=role)
        ids = {identity(spec)} | {identity(plan_computer(persona, seed=s, size=size)) for s in range(1, seeds)}
        money, why_m = money_ok(spec, texts)
        phones, why_p = phones_ok(spec, texts)
        contradictions = contradictions_of(spec)
        rows.append((share, len(ids) == 1, money, phones, contradictions, strict))
        print(f"{share:5.0%} ({strict:4.0%}) {'stable' if len(ids) == 1 else 'UNSTABLE':8} {'money' if money else 'MONEY':5} "
              f"{'phone' if phones else 'PHONE':5} c={contradictions} {spec.profile.country} "
              f"{spec.profile.occupation:28.28} "
              f"{persona[:60]}")
        print(f"      words: {', '.join(found)} {why_m} {why_p}".rstrip())
    n = len(rows)
    words_ok = sum(r[0] >= 0.30 for r in rows)
    print(f"\npersonas: {n}  size={size}  seeds 0..{seeds - 1}")
    print(f"persona words in >= 30% of files: {words_ok}/{n} = {words_ok / n:.0%} (target >= 90%); "
          f"median share {statistics.median(r[0] for r in rows):.0%}")
    strict_ok = sum(r[5] >= 0.30 for r in rows)
    print(f"  without the role noun itself:   {strict_ok}/{n} = {strict_ok / n:.0%}; "
          f"median share {statistics.median(r[5] for r in rows):.0%}")
    print(f"stable identity over seeds:        {sum(r[1] for r in rows)}/{n} (target 100%)")
    print(f"money in the country's currency:   {sum(r[2] for r in rows)}/{n} (target 100%)")
    print(f"phones in the country's format:    {sum(r[3] for r in rows)}/{n} (target 100%)")
    print(f"check contradictions (spec text): {sum(r[4] for r in rows)} in {n} computers (target 0)")
    print(f"plan time per computer (seed 0):   median {statistics.median(times):.2f} s, max {max(times):.2f} s")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--file", type=Path, default=DEFAULT_FILE)
    ap.add_argument("--size", default="standard")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--limit", type=int, default=0)
    a = ap.parse_args()
    personas = load_personas(a.file)
    return run(personas[: a.limit] if a.limit else personas, a.size, a.seeds)


if __name__ == "__main__":
    sys.exit(main())
