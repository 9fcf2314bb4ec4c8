"""The offline, deterministic generator backend: occupation templates + a seeded Faker."""

from __future__ import annotations

from worldbuilder.generate.base import FilePlan, GeneratorBackend, PlanContext, TreePlan
from worldbuilder.generate.content_offline import ContentMaker
from worldbuilder.generate.profile_offline import make_profile
from worldbuilder.generate.tree_offline import make_tree
from worldbuilder.generate.world_offline import make_world
from worldbuilder.spec import ContentSpec, Layout, Profile, World


class TemplateGenerator(GeneratorBackend):
    """Offline backend. All randomness comes from ``ctx.child_rng`` keyed by stage and file path."""

    name = "offline"

    def __init__(self) -> None:
        self._tree: TreePlan | None = None
        self._maker: ContentMaker | None = None

    def profile(self, ctx: PlanContext) -> Profile:
        return make_profile(ctx)

    def world(self, profile: Profile, ctx: PlanContext) -> World:
        return make_world(profile, ctx)

    def tree(self, profile: Profile, world: World, ctx: PlanContext) -> TreePlan:
        self._tree = make_tree(profile, world, ctx)
        self._maker = None
        return self._tree

    def _content_maker(self, plan: FilePlan, profile: Profile, world: World, ctx: PlanContext) -> ContentMaker:
        if self._maker is None:
            files = self._tree.files if self._tree is not None else [plan]
            layout = self._tree.layout if self._tree is not None else Layout(home=f"/home/{profile.username}")
            self._maker = ContentMaker(profile, world, ctx, files, layout)
        return self._maker

    def content(self, plan: FilePlan, profile: Profile, world: World, ctx: PlanContext) -> ContentSpec:
        return self._content_maker(plan, profile, world, ctx).make(plan)
