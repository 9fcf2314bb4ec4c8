"""Command-line interface: thin click wrappers over :mod:`worldbuilder.api` and friends."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path

import click

from worldbuilder import __version__
from worldbuilder.errors import WorldbuilderError


@contextmanager
def progress_bar(enabled: bool = True):
    """Yield a ``progress(stage, done, total)`` callback drawing a rich progress bar on stderr."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as prog:
        tasks: dict[str, int] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = prog.add_task(stage, total=total)
            prog.update(tasks[stage], completed=done, total=total)

        yield update


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="worldbuilder")
def main() -> None:
    """Build synthetic computers and run long-horizon productivity simulations on them."""


def llm_options(f):
    f = click.option("--llm", "llm_model", metavar="MODEL",
                     help="Use an OpenAI-compatible LLM backend with this model (default: offline).")(f)
    f = click.option("--llm-base-url", envvar="WORLDBUILDER_LLM_BASE_URL",
                     help="Base URL of the OpenAI-compatible API (env WORLDBUILDER_LLM_BASE_URL).")(f)
    f = click.option("--llm-cache", type=click.Path(path_type=Path), envvar="WORLDBUILDER_LLM_CACHE",
                     help="Response cache directory (default ~/.cache/worldbuilder/llm).")(f)
    return f


def make_llm_config(model: str | None, base_url: str | None, cache: Path | None):
    if not model:
        return None
    from worldbuilder.llm import LLMConfig

    return LLMConfig.from_env(model=model, base_url=base_url, cache_dir=cache)


PERSONA_FILE_CAP = 64 * 1024  # bytes: a persona is a sentence or a paragraph


def read_persona_file(path: Path) -> str:
    """The text of a small regular UTF-8 file (devices, FIFOs, huge or binary files are refused)."""
    import stat

    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):
            raise WorldbuilderError(f"--persona-file {path} is not a regular file")
        if st.st_size > PERSONA_FILE_CAP:
            raise WorldbuilderError(f"--persona-file {path} is {st.st_size} bytes (at most {PERSONA_FILE_CAP})")
        with open(path, "rb") as fh:
            return fh.read(PERSONA_FILE_CAP + 1).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WorldbuilderError(f"--persona-file {path} is not UTF-8 text") from exc
    except OSError as exc:
        raise WorldbuilderError(f"cannot read --persona-file {path}: {exc.strerror}") from exc


@main.command()
@click.option("--persona", help="One-line persona, e.g. 'a senior financial advisor in Denver'.")
@click.option("--persona-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="File whose text is the persona.")
@click.option("--seed", type=click.IntRange(0, (1 << 63) - 1), default=0, show_default=True)
@click.option("--size", type=click.Choice(["small", "standard", "large"]), default="standard", show_default=True)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Computer directory to create.")
@click.option("--force", is_flag=True, help="Replace an existing computer directory (spec.json + manifest.json).")
@llm_options
def generate(persona, persona_file, seed, size, out, force, llm_model, llm_base_url, llm_cache):
    """Plan and render a synthetic computer into OUT (spec.json, tree/, manifest.json)."""
    from worldbuilder import api

    if (persona is None) == (persona_file is None):
        raise click.UsageError("give exactly one of --persona or --persona-file")
    text = persona if persona is not None else read_persona_file(persona_file)
    llm = make_llm_config(llm_model, llm_base_url, llm_cache)
    with progress_bar() as prog:
        api.generate(text, out, seed=seed, size=size, llm=llm, force=force, progress=prog)
    spec, tree = api.load_computer(out)
    click.echo(f"{out}: {len(spec.files)} files for {spec.profile.full_name} ({spec.profile.job_title}, "
               f"{spec.profile.employer})")


@main.command()
@click.argument("spec_path", metavar="SPEC", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), required=True)
@click.option("--force", is_flag=True, help="Replace an existing computer directory (spec.json + manifest.json).")
def render(spec_path, out, force):
    """Render a spec file (JSON or YAML) into a computer directory."""
    from worldbuilder import api
    from worldbuilder.spec import ComputerSpec

    spec = ComputerSpec.load(spec_path)
    with progress_bar() as prog:
        api.render(spec, out, force=force, progress=prog)
    click.echo(f"{out}: rendered {len(spec.files)} files")


@main.command()
@click.argument("computer", type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def stats(computer, as_json):
    """Files by type, depth and fan-out histograms, sizes, time span, cross-references."""
    from worldbuilder.stats import compute_stats, format_stats

    result = compute_stats(computer)
    click.echo(json.dumps(result, indent=1) if as_json else format_stats(result))


@main.command()
@click.argument("computer", metavar="DIR_OR_SPEC", type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def check(computer, as_json):
    """Count cross-file references; report contradicted facts and broken spreadsheet invariants."""
    from worldbuilder.check import check_computer

    report = check_computer(computer)
    click.echo(report.model_dump_json(indent=1) if as_json else report.format())
    if report.contradictions or report.violations:
        sys.exit(1)


@main.group()
def personas() -> None:
    """The built-in persona set, and how a persona is read."""


@personas.command("sample")
@click.argument("n", type=click.IntRange(1, 10000))
@click.option("--seed", type=click.IntRange(0, (1 << 63) - 1), default=0, show_default=True)
def personas_sample(n, seed):
    """Print N built-in personas, one per line."""
    from worldbuilder.personas import sample_personas

    for p in sample_personas(n, seed=seed):
        click.echo(p)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind (local only by default).")
@click.option("--cache-dir", type=click.Path(path_type=Path), help="Preview cache (default ~/.cache/worldbuilder/viewer).")
def serve(paths, port, host, cache_dir):
    """Read-only web viewer of computers, runs and fleets under PATHS (default: the current directory)."""
    from worldbuilder.viewer.server import check_cache_dir, check_port, check_roots
    from worldbuilder.viewer.server import serve as run_server

    roots = check_roots(list(paths))
    check_cache_dir(cache_dir)
    check_port(host, port)
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"warning: serving on {host}: anyone who can reach it can read these files (no login)", err=True)
    click.echo(f"worldbuilder viewer on http://{host}:{port}/ ({len(roots)} root(s)); Ctrl-C stops it", err=True)
    run_server(roots, host=host, port=port, cache_dir=cache_dir)


@personas.command("explain")
@click.argument("persona")
def personas_explain(persona):
    """Show how PERSONA is read: its profile, occupation match, assumptions and own words."""
    from worldbuilder.generate.explain import explain_persona

    click.echo(explain_persona(persona))


def _register_plugins() -> None:
    """Attach the command groups that live next to their own stage."""
    from agent_harness.bench.cli import register as register_bench
    from agent_harness.cli import register as register_harness
    from agent_harness.fleet.cli import register as register_fleet
    from worldbuilder.cli_registry import register as register_registry
    from worldbuilder.cli_runtime import register as register_runtime

    register_runtime(main)
    register_registry(main)
    register_harness(main)
    register_bench(main)
    register_fleet(main)


_register_plugins()


def run() -> None:
    """Console entry point: every expected failure is one line on stderr and a non-zero exit."""
    try:
        main.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("error: aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        click.echo(f"error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except WorldbuilderError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("error: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug, or an input nobody anticipated: still one line (traceback on request)
        import os

        if os.environ.get("WORLDBUILDER_DEBUG") == "1":
            raise
        first = (str(exc).strip().splitlines() or [""])[0][:300]
        click.echo(f"error: internal error: {type(exc).__name__}: {first} (WORLDBUILDER_DEBUG=1 shows the "
                   "traceback)", err=True)
        sys.exit(70)


if __name__ == "__main__":
    run()
