"""``worldbuilder image push|pull --registry HOST:PORT`` (thin over materialize.registry)."""

from __future__ import annotations

import click


@click.command("push")
@click.argument("refs", metavar="IMAGE_OR_COMPUTER_ID...", nargs=-1, required=True)
@click.option("--registry", required=True, metavar="HOST:PORT", help="e.g. 127.0.0.1:5055")
def push(refs: tuple[str, ...], registry: str) -> None:
    """Push computer and snapshot images (a computer id: all its tags) to a registry."""
    from worldbuilder.materialize.registry import push as push_images

    for ref in refs:
        for m in push_images(ref, registry):
            click.echo(f"{m.local} -> {m.remote} {m.digest}".rstrip())


@click.command("pull")
@click.argument("refs", metavar="IMAGE_OR_COMPUTER_ID...", nargs=-1, required=True)
@click.option("--registry", required=True, metavar="HOST:PORT")
def pull(refs: tuple[str, ...], registry: str) -> None:
    """Pull computer and snapshot images (a computer id: all its tags) from a registry."""
    from worldbuilder.materialize.registry import pull as pull_images

    for ref in refs:
        for m in pull_images(ref, registry):
            click.echo(f"{m.remote} -> {m.local} {m.digest}".rstrip())


def register(main: click.Group) -> None:
    group = main.commands["image"]
    assert isinstance(group, click.Group)
    group.add_command(push)
    group.add_command(pull)
