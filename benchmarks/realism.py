"""Content and file-system realism figures (issue 9) over built-in and held-out personas.

Usage: python benchmarks/realism.py [--builtin 20] [--heldout] [--size standard] [--seed 0] [--no-render]
       [--per-type]

Prints, per computer and pooled:
- prose: distinct-sentence ratio of docx/txt/md sentences (duplicates of files excluded); share of
  sentences whose frame (sentence with names, numbers, dates and domain terms masked) is shared by
  >= 10 occupations;
- topics: share of files whose name names a topic that mention it in the body;
- invariants: violations reported by ``worldbuilder check``;
- sizes: KS statistic against lognormal(mu=9.48, sigma=2.457) of ln bytes, files > 1 MB;
- directories: mean files per non-empty directory, empty leaf directories;
- type mix: TVD to the paper's mix pooled over the built-in personas, nurse vs software engineer;
- e-mail: messages per computer, replies whose quoted original is on the computer.
"""

from __future__ import annotations

import argparse
import math
import re
import shutil
import statistics
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

from worldbuilder import api
from worldbuilder.check import check_spec, spec_text
from worldbuilder.generate.occupation import load_occupations, topics_for
from worldbuilder.personas import sample_personas
from worldbuilder.spec import ComputerSpec, FileSpec
from worldbuilder.stats import tv_distance

MU, SIGMA = 9.48, 2.457
PROSE_TYPES = ("docx", "txt", "md")
# Held-out personas written for this benchmark (not used to tune the generator's lexicons).
HELDOUT = (
    "Wedding photographer in Portland who edits in Lightroom and runs her own small studio",
    "ICU charge nurse at a county hospital who precepts new graduates",
    "Backend software engineer maintaining payment APIs at a fintech startup",
    "Pastry chef who owns a bakery and caters events on weekends",
    "Middle school science teacher coaching the robotics club",
    "Bookkeeper for several small construction firms",
    "Podcast producer and audio editor working freelance",
    "Hospital pharmacist responsible for antimicrobial stewardship",
    # docx-heavy homes (few small files of their own): the size model's small end must still be met
    "Paralegal at a personal-injury firm who drafts demand letters and organises discovery",
    "Grant writer for a community health nonprofit juggling federal and foundation deadlines",
    "HR manager at a regional manufacturer handling hiring, handbooks and benefits enrolment",
    "Investigative journalist at a city newspaper covering housing and local government",
)
SENT_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+")
WORD = re.compile(r"[A-Za-z][A-Za-z'&-]*|\d[\d,.:/%-]*|\S")


def sentences(text: str) -> list[str]:
    out = []
    for s in SENT_SPLIT.split(text):
        if "\t" in s:  # a table row, not prose
            continue
        s = " ".join(s.split())
        if len(s.split()) >= 5 and not s.startswith(("|", "-", "#")):
            out.append(s)
    return out


def slot_words(spec: ComputerSpec) -> set[str]:
    """Words a frame masks: names, projects, organisations, vocabulary and topic words of this computer."""
    occ = load_occupations().get(spec.profile.occupation)
    words: set[str] = set()
    items = [p.name for p in spec.world.people] + [p.name for p in spec.world.projects]
    items += [p.code for p in spec.world.projects] + [o.name for o in spec.world.organisations]
    items += list(spec.world.vocabulary) + [spec.profile.full_name, spec.profile.employer, spec.profile.location]
    items += [m.name for p in spec.world.projects for m in p.milestones]
    if occ is not None:
        items += topics_for(occ, spec.profile.department) + list(occ.vocabulary) + list(occ.topics)
    for it in items:
        words.update(w.lower() for w in WORD.findall(it))
    return words


def frame(sentence: str, slots: set[str]) -> str:
    toks = []
    for i, t in enumerate(WORD.findall(sentence)):
        low = t.lower()
        if low in slots or t[0].isdigit() or (i > 0 and t[0].isupper()) or low in MONTHS:
            t = "X"
        else:
            t = low
        if not (t == "X" and toks and toks[-1] == "X"):
            toks.append(t)
    return " ".join(toks)


MONTHS = {m.lower() for m in ("January February March April May June July August September October November "
                              "December Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec").split()}


def shown_text(f: FileSpec) -> str:
    """The prose the rendered file shows: a txt/md file with ``text`` shows that text verbatim (its
    ``blocks``, when also set, are the same words and are not rendered), anything else ``spec_text``."""
    if f.type in ("txt", "md") and f.content.text is not None:
        return f.content.text
    return spec_text(f)


def prose_of(spec: ComputerSpec) -> list[str]:
    out: list[str] = []
    for f in spec.files:
        if f.type in PROSE_TYPES and not f.duplicate_of and not f.hidden:
            out += sentences(shown_text(f))
    return out


def topic_hits(spec: ComputerSpec) -> tuple[int, int]:
    """(files whose name names a topic, of which the body mentions it)."""
    occ = load_occupations().get(spec.profile.occupation)
    topics = set(topics_for(occ, spec.profile.department) if occ else []) | set(spec.world.vocabulary)
    topics = {t for t in topics if len(t) >= 4}
    named = hit = 0
    for f in spec.files:
        if f.hidden or f.type in ("png", "jpg", "heic", "mp3", "mp4", "zip", "py"):
            continue
        name = f.path.rsplit("/", 1)[-1].rsplit(".", 1)[0].lower().replace("_", " ").replace("-", " ")
        found = [t for t in topics if t.lower().replace("-", " ") in name]
        if not found:
            continue
        named += 1
        body = spec_text(f).lower()
        body = body.replace(f.content.title.lower(), " ", 1) if f.content.title else body
        if any(t.lower() in body for t in found):
            hit += 1
    return named, hit


def ks_lognormal(sizes: list[int]) -> float:
    xs = sorted(math.log(max(1, s)) for s in sizes)
    n = len(xs)
    d = 0.0
    for i, x in enumerate(xs):
        cdf = 0.5 * (1 + math.erf((x - MU) / (SIGMA * math.sqrt(2))))
        d = max(d, abs(cdf - i / n), abs(cdf - (i + 1) / n))
    return d


def dir_shape(spec: ComputerSpec) -> tuple[float, int]:
    counts: Counter[str] = Counter(f.path.rsplit("/", 1)[0] if "/" in f.path else "" for f in spec.files)
    parents = {d.path.rsplit("/", 1)[0] for d in spec.dirs if "/" in d.path}
    empty_leaves = sum(1 for d in spec.dirs if counts[d.path] == 0 and d.path not in parents)
    return (sum(counts.values()) / max(1, len(counts))), empty_leaves


def mail_shape(spec: ComputerSpec) -> tuple[int, int, int]:
    """(messages, replies, replies whose original message is on the computer)."""
    mails = [f.content.email for f in spec.files if f.content.email is not None]
    ids = {m.message_id for m in mails}
    replies = [m for m in mails if m.in_reply_to]
    return len(mails), len(replies), sum(1 for m in replies if m.in_reply_to in ids)


TARGETS: dict[str, int] = {}  # path -> planned target bytes of the computer being planned (diagnostics)
PLANS: list = []  # the file plans of the computer being planned
FORCE_TARGET: list[int] = []  # when set, every file's target is this (measures the renderers' size floors)


def _record_targets() -> None:
    """Wrap the planner's size assignment so the per-type diagnostics can compare target and actual bytes."""
    from worldbuilder.generate import tree_shape

    real = tree_shape.assign_targets

    def wrapped(files, rng):  # noqa: ANN001, ANN202
        real(files, rng)
        for f in files if FORCE_TARGET else ():  # an mp4 encoder needs a few frames: its floor is not measured
            f.target_bytes = FORCE_TARGET[0] if f.type != "mp4" else max(FORCE_TARGET[0], 400_000)
        TARGETS.clear()
        TARGETS.update({f.path: f.target_bytes for f in files})
        PLANS[:] = files

    if not getattr(real, "_recording", False):
        wrapped._recording = True  # type: ignore[attr-defined]
        tree_shape.assign_targets = wrapped


def one(persona: str, seed: int, size: str, root: Path | None) -> dict:
    _record_targets()
    spec = api.plan(persona, seed=seed, size=size)
    targets = dict(TARGETS)
    sizes: list[int] = []
    if root is not None:
        out = root / f"c{abs(hash((persona, seed))) % 10**8}"
        api.render(spec, out)
        tree = out / "tree"
        sizes = [(tree / f.path).stat().st_size for f in spec.files]
        shutil.rmtree(out)
    sents = prose_of(spec)
    named, hit = topic_hits(spec)
    fpd, empty = dir_shape(spec)
    mails, replies, quoted = mail_shape(spec)
    report = check_spec(spec)
    inv = len(getattr(report, "violations", []))
    return dict(persona=persona, occupation=spec.profile.occupation, spec=spec, sents=sents,
                distinct=len(set(sents)) / max(1, len(sents)), named=named, hit=hit, sizes=sizes,
                ks=ks_lognormal(sizes) if sizes else float("nan"), big=sum(s > 1_000_000 for s in sizes),
                fpd=fpd, empty=empty, mails=mails, replies=replies, quoted=quoted, invariants=inv,
                contradictions=len(report.contradictions), targets=targets, plans=list(PLANS),
                types=Counter(f.type for f in spec.files if not f.hidden))


def shared_frame_share(rows: list[dict], min_occ: int = 10) -> tuple[float, int]:
    occs: dict[str, set[str]] = defaultdict(set)
    framed: list[str] = []
    for r in rows:
        slots = slot_words(r["spec"])
        for s in r["sents"]:
            fr = frame(s, slots)
            occs[fr].add(r["occupation"])
            framed.append(fr)
    shared = {f for f, o in occs.items() if len(o) >= min_occ}
    return sum(f in shared for f in framed) / max(1, len(framed)), len(shared)


def per_type(rows: list[dict]) -> None:
    """Target vs actual ln bytes per type (kind for hidden files): where drawn sizes are missed, and which
    side of the model the worst KS gap falls on."""
    groups: dict[str, list[tuple[float, float]]] = defaultdict(list)
    gaps: list[tuple[float, float, str]] = []
    for r in rows:
        if not r["sizes"]:
            return
        for f, s in zip(r["spec"].files, r["sizes"], strict=True):
            t = r["targets"].get(f.path, 0)
            if t:
                groups["." + f.type if not f.hidden else f"{f.type}:hidden"].append((math.log(t), math.log(max(1, s))))
        xs = sorted(math.log(max(1, s)) for s in r["sizes"])
        n = len(xs)
        best = (0.0, 0.0, "")
        for i, x in enumerate(xs):
            cdf = 0.5 * (1 + math.erf((x - MU) / (SIGMA * math.sqrt(2))))
            for d in (cdf - i / n, cdf - (i + 1) / n):
                if abs(d) > abs(best[0]):
                    best = (d, x, r["occupation"])
        gaps.append(best)
    print(f"{'type':14} {'n':>5} {'tgt ln':>6} {'act ln':>6} {'min act':>7} {'>2x tgt':>7} {'<tgt/2':>6}")
    for k, v in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        over = sum(a > t + math.log(2) for t, a in v) / len(v)
        under = sum(a < t - math.log(2) for t, a in v) / len(v)
        print(f"{k:14} {len(v):5} {statistics.median(t for t, _ in v):6.2f} {statistics.median(a for _, a in v):6.2f} "
              f"{min(a for _, a in v):7.2f} {over:7.2f} {under:6.2f}")
    worst = sorted(gaps, key=lambda g: -abs(g[0]))[:5]
    print("worst KS gaps (model cdf - computer cdf at ln bytes; > 0 = too few files this small): "
          + "; ".join(f"{o[:18]} {d:+.3f} @ {x:.1f}" for d, x, o in worst))


FLOOR_PERSONAS = ("Litigation attorney at a mid-size firm", "Backend software engineer at a logistics company",
                  "Wedding photographer who also shoots video", "Podcast producer and audio editor",
                  "Bookkeeper for small businesses", "High school teacher")


def floors(size: str, root: Path, target: int) -> None:
    """Bytes each type (kind, for hidden files and PNGs) renders to when every target is ``target``: at the
    model's minimum, the ln-bytes floors the planner (``tree_shape.FLOOR_LN``) keeps small drawn sizes away
    from; at a large target, the ceilings (``REACH_LN``, ``KIND_REACH_LN``) of files that cannot grow."""
    FORCE_TARGET[:] = [target]
    got: dict[str, list[float]] = defaultdict(list)
    try:
        for i, p in enumerate(FLOOR_PERSONAS):
            r = one(p, i, size, root)
            kinds = {p.path: p.kind for p in r["plans"]}
            for f, b in zip(r["spec"].files, r["sizes"], strict=True):
                if not f.exact_copy:
                    key = f"{f.type}:{kinds[f.path]}" if f.hidden or f.type == "png" else f.type
                    got[key].append(math.log(max(1, b)))
    finally:
        FORCE_TARGET.clear()
    print(f"{'type':22} {'n':>4} {'min ln':>6} {'p10':>6} {'median':>6} {'max ln':>6}  (every target = {target} B)")
    for t, v in sorted(got.items()):
        v.sort()
        print(f"{t:22} {len(v):4} {v[0]:6.2f} {v[len(v) // 10]:6.2f} {statistics.median(v):6.2f} {v[-1]:6.2f}")


def mix_tvd(a: Counter, b: Counter) -> float:
    ta, tb = sum(a.values()) or 1, sum(b.values()) or 1
    return 0.5 * sum(abs(a[k] / ta - b[k] / tb) for k in set(a) | set(b))


def pick(rows: list[dict], word: str) -> dict | None:
    return next((r for r in rows if word in r["occupation"]), None)


def report(rows: list[dict], label: str) -> None:
    print(f"\n== {label}: {len(rows)} computers")
    print(f"{'occupation':28} {'files':>5} {'dist':>5} {'topic':>7} {'KS':>5} {'>1MB':>4} {'f/dir':>5} "
          f"{'empty':>5} {'mail':>4} {'re/q':>7} {'inv':>3} {'contr':>5}")
    for r in rows:
        topic = f"{r['hit']}/{r['named']}"
        print(f"{r['occupation'][:28]:28} {len(r['spec'].files):5} {r['distinct']:5.2f} {topic:>7} {r['ks']:5.2f} "
              f"{r['big']:4} {r['fpd']:5.1f} {r['empty']:5} {r['mails']:4} {r['quoted']:>3}/{r['replies']:<3} "
              f"{r['invariants']:3} {r['contradictions']:5}")
    share, nshared = shared_frame_share(rows)
    named = sum(r["named"] for r in rows)
    hit = sum(r["hit"] for r in rows)
    pooled: Counter = Counter()
    for r in rows:
        pooled.update(r["types"])
    print(f"prose: distinct-sentence ratio min {min(r['distinct'] for r in rows):.3f} "
          f"median {statistics.median(r['distinct'] for r in rows):.3f} (target >= 0.9 every computer)")
    print(f"prose: sentences from frames shared by >= 10 occupations {share:.3f} ({nshared} frames; target <= 0.10)")
    print(f"topics: {hit}/{named} = {hit / max(1, named):.3f} of topic-named files mention it (target >= 0.90)")
    print(f"invariants: {sum(r['invariants'] for r in rows)} violations; "
          f"fact contradictions {sum(r['contradictions'] for r in rows)}")
    ks = [r["ks"] for r in rows if r["sizes"]]
    if ks:
        print(f"sizes: KS max {max(ks):.3f} median {statistics.median(ks):.3f}, <= 0.15 in {sum(k <= 0.15 for k in ks)}"
              f"/{len(ks)}, <= 0.13 in {sum(k <= 0.13 for k in ks)}/{len(ks)} (target <= 0.15); "
              f"computers with a file > 1 MB {sum(r['big'] > 0 for r in rows)}/{len(rows)}; "
              f"largest {max(max(r['sizes']) for r in rows):,} B")
    fpd = [r["fpd"] for r in rows]
    print(f"directories: files per non-empty dir min {min(fpd):.1f} median {statistics.median(fpd):.1f} "
          f"max {max(fpd):.1f} (target 6-14); empty leaf dirs median {statistics.median(r['empty'] for r in rows)}")
    print(f"type mix: pooled TVD to paper {tv_distance(dict(pooled)):.3f} (target <= 0.10); "
          f"distinct types {len(pooled)}; mean pairwise TVD "
          f"{statistics.mean(mix_tvd(a['types'], b['types']) for i, a in enumerate(rows) for b in rows[i + 1:]):.3f}")
    nurse, swe = pick(rows, "nurse"), pick(rows, "software")
    if nurse and swe:
        print(f"type mix: nurse vs software engineer TVD {mix_tvd(nurse['types'], swe['types']):.3f} (target >= 0.25)"
              f"; nurse .py files {nurse['types']['py']}")
    print(f"e-mail: messages per computer median {statistics.median(r['mails'] for r in rows)}; replies with "
          f"original on computer {sum(r['quoted'] for r in rows)}/{sum(r['replies'] for r in rows)}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--builtin", type=int, default=20)
    ap.add_argument("--heldout", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--size", default="standard")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-render", action="store_true", help="skip rendering (no size figures)")
    ap.add_argument("--per-type", action="store_true", help="print target vs actual bytes per type")
    ap.add_argument("--floors", action="store_true", help="measure each type's smallest rendered size and stop")
    ap.add_argument("--ceilings", action="store_true", help="measure the sizes reached at a large target and stop")
    a = ap.parse_args()
    if a.floors or a.ceilings:
        from worldbuilder.generate.tree_shape import MIN_TARGET

        with tempfile.TemporaryDirectory() as tmp:
            floors(a.size, Path(tmp), MIN_TARGET if a.floors else 400_000)
        return
    builtin = sample_personas(a.builtin, seed=2026)
    with tempfile.TemporaryDirectory() as tmp:
        root = None if a.no_render else Path(tmp)
        rows = []
        for i, p in enumerate(builtin):
            rows.append(one(p, a.seed + i, a.size, root))
            print(f"  built-in {i + 1}/{len(builtin)} {rows[-1]['occupation']}", file=sys.stderr)
        if rows:
            report(rows, "built-in personas")
            if a.per_type:
                per_type(rows)
        if a.heldout:
            held = [one(p, a.seed + 100 + i, a.size, root) for i, p in enumerate(HELDOUT)]
            report(held, "held-out personas")
            if a.per_type:
                per_type(held)


if __name__ == "__main__":
    main()
