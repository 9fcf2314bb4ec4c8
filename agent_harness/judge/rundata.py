"""Reading a run directory (defensively) into a :class:`JudgeInput` for one day."""

from __future__ import annotations

import io
import tarfile
from functools import lru_cache
from pathlib import Path, PurePosixPath

from agent_harness.judge.inputs import DeliverableInput, JudgeInput, OutputFile
from agent_harness.models import RunConfig, SnapshotRecord
from agent_harness.runlog import RunDir, RunDirError
from worldbuilder.extract import extract_text


def completed_day(run: RunDir, cfg: RunConfig) -> int:
    """The last day whose snapshot is recorded (a day is complete exactly then)."""
    last = run.snapshots().last()
    if last is None:
        raise RunDirError(f"{run.root} has no completed day (no snapshot recorded)")
    return last.day


def open_run(run_dir: Path) -> tuple[RunDir, RunConfig]:
    root = Path(run_dir)
    if not root.is_dir():
        raise RunDirError(f"run directory {root} does not exist")
    if not (root / "run.json").is_file():
        raise RunDirError(f"{root} is not a run directory (no run.json)")
    run = RunDir(root)
    return run, run.config()


def is_finished(run: RunDir, cfg: RunConfig, last: int) -> bool:
    s = run.summary()
    return s is not None and s.status in ("completed", "degraded", "stopped") and (last >= cfg.days or s.status == "stopped")


class SnapshotFiles:
    """Files of one day's snapshot: a directory (local runtime) or a Docker image (read with docker cp)."""

    def __init__(self, snap: SnapshotRecord | None, runtime: str, home: str | None) -> None:
        self.snap, self.runtime, self.home = snap, runtime, home
        self._cid: str | None = None
        self.error = ""

    @property
    def local(self) -> bool:
        return self.snap is not None and Path(self.snap.ref).is_dir()

    def absolute(self, path: str) -> str | None:
        if path.startswith("/"):
            return path
        return f"{self.home.rstrip('/')}/{path}" if self.home else None

    def read(self, path: str) -> bytes | None:
        if self.snap is None:
            return None
        ab = self.absolute(path)
        if ab is None:
            return None
        if self.local:
            p = Path(self.snap.ref) / ab.lstrip("/")
            return p.read_bytes() if p.is_file() else None
        return self._docker_read(ab)

    def _docker_read(self, ab: str) -> bytes | None:
        """One file of the snapshot image, read from a network-less container of it (Docker SDK, get_archive)."""
        from worldbuilder.errors import WorldbuilderError
        from worldbuilder.materialize import docker_sdk

        if self.error:
            return None
        try:
            a = docker_sdk.api()
            if self._cid is None:
                with docker_sdk.translated("create", subject=self.snap.ref):  # type: ignore[union-attr]
                    self._cid = a.create_container(self.snap.ref, command=["true"],  # type: ignore[union-attr]
                                                   host_config=a.create_host_config(network_mode="none"))["Id"]
            try:
                with docker_sdk.translated("cp", subject=ab):
                    stream, _ = a.get_archive(self._cid, ab, chunk_size=1 << 20)
                    raw = b"".join(stream)
            except WorldbuilderError as exc:
                if getattr(exc, "status", None) == 404:  # no such file in the snapshot
                    return None
                raise
            with tarfile.open(fileobj=io.BytesIO(raw)) as tf:
                member = next((m for m in tf.getmembers() if m.isfile()), None)
                fh = tf.extractfile(member) if member else None
                return fh.read() if fh else None
        except (WorldbuilderError, tarfile.TarError) as exc:
            self.error = f"cannot read snapshot {self.snap.ref}: {exc}"  # type: ignore[union-attr]
            return None

    def close(self) -> None:
        if self._cid:
            from worldbuilder.errors import WorldbuilderError
            from worldbuilder.materialize import docker_sdk

            try:
                docker_sdk.remove_container(self._cid)
            except WorldbuilderError:
                pass
            self._cid = None


@lru_cache(maxsize=8)
def computer_view(computer: str, wanted: tuple[str, ...]):  # noqa: ANN201
    """(home, facts, people, source texts, notes) of a computer directory, cached per process."""
    from worldbuilder.api import load_computer

    try:
        spec, tree = load_computer(Path(computer))
    except Exception:  # the computer directory may have moved; judge with what the run holds
        return None, {}, {}, {}, (f"computer {computer} not found: no tracked facts, sources or people names",)
    from agent_harness.paths import home_of, home_rel

    sources = {}
    for f in spec.files:
        rel = home_rel(spec, f.path)
        if rel in wanted and tree is not None and (tree / f.path).is_file():
            sources[rel] = extract_text(f.path, (tree / f.path).read_bytes())
    return (home_of(spec), {f.id: f for f in spec.world.facts},
            {p.id: (p.name, p.email) for p in spec.world.people}, sources, ())


def _submissions(run: RunDir, day: int) -> dict[str, list[str]]:
    for d in range(day, -1, -1):
        p = run.state_path(d)
        if p.is_file():
            return run.state(d).submissions
    s = run.summary()
    return dict(s.deliverables) if s else {}


def _submit_days(turns, did: str, day: int) -> list[int]:  # noqa: ANN001
    out = []
    for t in turns:
        if t.tool == "submit" and t.actor == "agent" and not t.error and t.day <= day:
            if str(t.args.get("deliverable_id", "")) == did:
                out.append(t.day)
    return sorted(set(out))


class RunView:
    """A run directory read once (config, objectives, logs, the computer's facts and sources); ``input(day)``
    gives the judge's view of one day."""

    def __init__(self, run_dir: Path) -> None:
        self.run, self.cfg = open_run(run_dir)
        self.objectives = self.run.objectives()
        self.turns = self.run.turns(rolled_back=False)
        self.messages = self.run.messages(rolled_back=False)
        self.snapshots = self.run.snapshots()
        self.last = completed_day(self.run, self.cfg)
        self.computer = computer_view(self.cfg.computer, tuple(sorted(
            {s for d in self.objectives.deliverables for s in d.sources})))

    def default_day(self) -> int:
        if not is_finished(self.run, self.cfg, self.last):
            raise RunDirError(f"run {self.run.root} is unfinished ({self.last}/{self.cfg.days} days complete); "
                              f"use --day {self.last} or --all-days to judge the completed days")
        return self.last

    def input(self, day: int | None = None) -> JudgeInput:
        day = self.default_day() if day is None else day
        snap_rec = self.snapshots.get(day)
        if snap_rec is None:
            raise RunDirError(f"{self.run.root} has no snapshot for day {day} (completed days: 0..{self.last})")
        home, facts, people, sources, notes = self.computer
        notes = list(notes)
        snap = SnapshotFiles(snap_rec, self.cfg.runtime, home or _guess_home(self.run, day))
        subs = _submissions(self.run, day)
        try:
            dels = {}
            for d in self.objectives.deliverables:
                paths = list(dict.fromkeys([o.path for o in d.outputs] + subs.get(d.id, [])))
                files = {p: _output(self.run, snap, d.id, p, day == self.last) for p in paths}
                dels[d.id] = DeliverableInput(d, files, _submit_days(self.turns, d.id, day))
        finally:
            snap.close()
        if snap.error:
            notes.append(snap.error)
        return JudgeInput(run=self.cfg.run_id, day=day, objectives=self.objectives, facts=facts, people=people,
                          messages=[m for m in self.messages if m.day <= day],
                          turns=[t for t in self.turns if t.day <= day], deliverables=dels, sources=sources,
                          notes=notes)


def load_run_input(run_dir: Path, day: int | None = None) -> tuple[JudgeInput, int]:
    """The judge's view of ``run_dir`` on ``day`` (default: the last completed day) and that day."""
    inp = RunView(run_dir).input(day)
    return inp, inp.day


def _output(run: RunDir, snap: SnapshotFiles, did: str, path: str, last_day: bool) -> OutputFile:
    """A local snapshot is read directly (it is the truth); otherwise the last day's outputs come from the
    run's ``deliverables/`` copy (made at the boundary just before the snapshot) and other days from the
    snapshot image."""
    if not snap.local and last_day:
        copy = run.deliverables_dir / did / PurePosixPath(path).name
        if copy.is_file():
            return OutputFile(path, copy.read_bytes(), "deliverables")
    data = snap.read(path)
    return OutputFile(path, data, "snapshot" if data is not None else "")


def _guess_home(run: RunDir, day: int) -> str | None:
    snap = run.snapshots().get(day)
    if snap is None or not Path(snap.ref).is_dir():
        return None
    homes = [p for p in (Path(snap.ref) / "home").glob("*") if p.is_dir()]
    return f"/home/{homes[0].name}" if len(homes) == 1 else None

