"""The fleet driver: walks every job through its stages on an engine, recording each step.

State lives only in the manifest: on start the latest record per (job, stage) says what is done, what
is quarantined and how many attempts failed; a stage recorded ``running`` by a driver that died is
simply run again (it was in flight). A stage is recorded ``done`` only after its output exists, so
a finished stage is never repeated. Transient failures are retried with exponential backoff (or by
Ray itself); a job whose stage fails for good is ``quarantined`` and the others go on.
"""

from __future__ import annotations

import shutil
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from agent_harness.fleet import manifest
from agent_harness.fleet.engines import make_engine
from agent_harness.fleet.faults import backoff
from agent_harness.fleet.models import STAGES, FleetConfig, Job, Record, now_iso
from agent_harness.fleet.stages import stage_funcs
from agent_harness.runs import AGENTS, check_backend
from worldbuilder.personas import sample_personas

OnRecord = Callable[[Record], None]


@dataclass
class FleetResult:
    done: int = 0
    failed: int = 0
    quarantined: list[str] = field(default_factory=list)
    seconds: float = 0.0


def create_fleet(fleet_dir: Path, personas: list[str], source: str, stages: list[str], seed: int = 0,
                 **options) -> FleetConfig:
    """Write ``fleet.json`` for a new fleet (one job per persona, seed = ``seed`` + index)."""
    jobs = [Job(job=f"j{i + 1:04d}", persona=p, seed=seed + i) for i, p in enumerate(personas)]
    return create_jobs_fleet(fleet_dir, jobs, source, stages, **options)


def create_jobs_fleet(fleet_dir: Path, jobs: list[Job], source: str, stages: list[str],
                      pipeline: str = "computer", **options) -> FleetConfig:
    """Write ``fleet.json`` for a new fleet of the given jobs and every (job, stage) ``pending``."""
    order = list(stage_funcs(pipeline)) if pipeline != "computer" else list(STAGES)
    bad = [s for s in stages if s not in order]
    if bad or not stages:
        raise manifest.FleetError(f"unknown stage(s) {', '.join(bad) or '(none)'} (choose from {', '.join(order)})")
    if [s for s in order if s in stages] != stages:
        raise manifest.FleetError(f"stages must keep the pipeline order: {','.join(order)}")
    if not jobs:
        raise manifest.FleetError("no personas given")
    check_backend("agent", options.get("agent", "offline"), AGENTS)
    check_backend("collaborators", options.get("collaborators", "offline"), ("offline",))
    if fleet_dir.exists() and (not fleet_dir.is_dir() or any(fleet_dir.iterdir())):
        raise manifest.FleetError(f"{fleet_dir} exists and is not an empty directory or a fleet")
    cfg = FleetConfig(fleet_id=f"{fleet_dir.resolve().name}-{int(time.time())}", pipeline=pipeline, stages=stages,
                      persona_source=source, jobs=jobs, **options)
    created = None if fleet_dir.exists() else fleet_dir  # the first folder this call creates
    while created is not None and created.parent != created and not created.parent.exists():
        created = created.parent
    try:
        fleet_dir.mkdir(parents=True, exist_ok=True)
        manifest.write_config(fleet_dir, cfg)
        manifest.append_many(fleet_dir, [Record(job=j.job, persona=j.persona, stage=s, state="pending")
                                         for j in jobs for s in stages])
    except OSError as exc:
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)
        raise manifest.FleetError(f"cannot create fleet {fleet_dir}: {exc.strerror or exc}") from exc
    return cfg


def add_jobs(fleet_dir: Path, jobs: list[Job]) -> list[Job]:
    """Grow an existing fleet by the jobs it does not hold yet (by job id); returns those added."""
    cfg = manifest.load_config(fleet_dir)
    have = {j.job for j in cfg.jobs}
    new = [j for j in jobs if j.job not in have]
    if new:
        manifest.write_config(fleet_dir, cfg.model_copy(update={"jobs": [*cfg.jobs, *new]}))
        manifest.append_many(fleet_dir, [Record(job=j.job, persona=j.persona, stage=s, state="pending")
                                         for j in new for s in cfg.stages])
    return new


def requeue_quarantined(fleet_dir: Path) -> list[str]:
    """Make every quarantined job-stage ``pending`` again (one more attempt each); returns the jobs."""
    recs = [r.model_copy(update={"state": "pending", "error": None, "started": None, "ended": None,
                                 "seconds": None, "output": None, "node": None})
            for r in manifest.latest(fleet_dir).values() if r.state == "quarantined"]
    if recs:
        manifest.append_many(fleet_dir, recs)
    return sorted({r.job for r in recs})


PERSONAS_FILE_CAP = 16 << 20  # bytes: a million short personas
PERSONA_CAP = 64 * 1024  # characters: a persona is a sentence or a paragraph


def read_personas(path: Path) -> list[str]:
    """A personas file: one persona per line; blank lines and ``#`` comments skipped."""
    try:
        st = Path(path).stat()
        if not stat.S_ISREG(st.st_mode):
            raise manifest.FleetError(f"personas file {path} is not a regular file")
        if st.st_size > PERSONAS_FILE_CAP:
            raise manifest.FleetError(f"personas file {path} is {st.st_size} bytes (at most {PERSONAS_FILE_CAP})")
        with open(path, "rb") as fh:
            lines = fh.read(PERSONAS_FILE_CAP + 1).decode("utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise manifest.FleetError(f"personas file {path} is not UTF-8 text") from exc
    except OSError as exc:
        raise manifest.FleetError(f"cannot read personas file {path}: {exc.strerror or exc}") from exc
    personas = [" ".join(ln.split()) for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    for i, p in enumerate(personas):
        if len(p) > PERSONA_CAP:
            raise manifest.FleetError(f"personas file {path}: persona {i + 1} is {len(p)} characters "
                                      f"(at most {PERSONA_CAP})")
    return personas


def sampled(n: int, seed: int) -> list[str]:
    return sample_personas(n, seed=seed)


def _next_stage(cfg: FleetConfig, job: Job, latest: dict[tuple[str, str], Record]) -> str | None:
    for stage in cfg.stages:
        rec = latest.get((job.job, stage))
        if rec is not None and rec.state == "done":
            continue
        if rec is not None and rec.state == "quarantined":
            return None
        return stage
    return None


class Driver:
    """One ``fleet run``: holds the driver lock, keeps at most ``engine.capacity`` job-stages in flight."""

    def __init__(self, fleet_dir: Path, engine: str | None = None, workers: int | None = None,
                 address: str | None = None, on_record: OnRecord | None = None) -> None:
        self.dir = Path(fleet_dir)
        self.cfg = manifest.load_config(self.dir)
        self.engine_name = engine or self.cfg.engine
        self.workers, self.address = workers, address
        self.on_record = on_record or (lambda r: None)
        self.result = FleetResult()

    def _record(self, rec: Record) -> None:
        manifest.append(self.dir, rec)
        self.on_record(rec)

    def run(self) -> FleetResult:
        t0 = time.monotonic()
        with manifest.driver_lock(self.dir):
            latest = manifest.latest(self.dir)
            self.fails = manifest.failures(self.dir)
            self.jobs = {j.job: j for j in self.cfg.jobs}
            ready: list[tuple[float, str, str]] = []
            for job in self.cfg.jobs:
                stage = _next_stage(self.cfg, job, latest)
                if stage:
                    ready.append((0.0, job.job, stage))
            engine = make_engine(self.engine_name, self.workers, self.address, self.cfg.max_attempts)
            try:
                self._loop(engine, ready)
            finally:
                engine.shutdown()
        self.result.seconds = time.monotonic() - t0
        return self.result

    def _loop(self, engine, ready: list[tuple[float, str, str]]) -> None:
        inflight: dict = {}
        config = self.cfg.model_dump(mode="json")
        while ready or inflight:
            now = time.monotonic()
            ready.sort()
            while ready and len(inflight) < engine.capacity and ready[0][0] <= now:
                _, job_id, stage = ready.pop(0)
                job = self.jobs[job_id]
                attempt = self.fails.get((job_id, stage), 0) + 1
                self._record(Record(job=job_id, persona=job.persona, stage=stage, state="running",
                                    attempt=attempt, started=now_iso()))
                handle = engine.submit(str(self.dir.resolve()), job.model_dump(), stage, config)
                inflight[handle] = (job_id, stage, attempt)
            if not inflight:
                time.sleep(max(0.0, min(1.0, ready[0][0] - time.monotonic())))
                continue
            wait = 1.0 if not ready else max(0.05, min(1.0, ready[0][0] - time.monotonic()))
            for handle, res in engine.wait(list(inflight), timeout=wait):
                job_id, stage, attempt = inflight.pop(handle)
                nxt = self._finish(job_id, stage, attempt, res, engine.retries_inside)
                if nxt is not None:
                    ready.append(nxt)

    def _finish(self, job_id: str, stage: str, attempt: int, res: dict,
                engine_retried: bool) -> tuple[float, str, str] | None:
        """Record a finished job-stage; return what to schedule next for the job (or None)."""
        job = self.jobs[job_id]
        base = dict(job=job_id, persona=job.persona, stage=stage, attempt=attempt, started=res.get("started"),
                    ended=res.get("ended"), seconds=res.get("seconds"), node=res.get("node"))
        if res.get("ok"):
            self._record(Record(state="done", output=res.get("output"), **base))
            self.result.done += 1
            later = self.cfg.stages[self.cfg.stages.index(stage) + 1:]
            return (0.0, job_id, later[0]) if later else None
        retry = res.get("transient") and not engine_retried and attempt < self.cfg.max_attempts
        state = "failed" if retry else "quarantined"
        self._record(Record(state=state, error=res.get("error"), **base))  # type: ignore[arg-type]
        if not retry:
            self.result.quarantined.append(job_id)
            return None
        self.result.failed += 1
        self.fails[(job_id, stage)] = attempt
        return (time.monotonic() + backoff(self.cfg.backoff, attempt), job_id, stage)


def run_fleet(fleet_dir: Path, engine: str | None = None, workers: int | None = None, address: str | None = None,
              on_record: OnRecord | None = None) -> FleetResult:
    return Driver(fleet_dir, engine, workers, address, on_record).run()
