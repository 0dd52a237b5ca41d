"""Effect fusion: chains of effects drawn as single passes give the unfused graph's pixels, say how they were
fused, and keep every member's own parameters, swaps and export."""

from __future__ import annotations

import json
from itertools import permutations
from pathlib import Path

import numpy as np
import pytest

import streamlib
from streamlib import Effect, ImageSource, NumpySink, Runtime

from ..conftest import SHADERS, poll_until
from .references import make_test_image

PIXEL_EFFECTS = sorted(
    p for p in SHADERS.glob("*.hlsl") if streamlib.compile(p.read_text(), name=p.name).stage == "pixel"
)
TUTORIAL_EFFECTS = Path(__file__).resolve().parents[2] / "notebooks"
#: Effects whose pass reads only their own pixel (the rest sample around it, or move it).
POINTWISE = {"color_adjust", "grayscale", "invert", "red_tint", "sepia", "tint", "vignette"}
#: Pointwise effects whose result does not depend on where they are drawn: a reader of neighbours after one
#: may be drawn first, with the effect applied to its result (`fuse::reader_first`), when the check agrees.
POSITION_FREE = POINTWISE - {"vignette"}


def render(
    chain: list[str | streamlib.Shader],
    *,
    fuse: bool,
    frames: int = 2,
    values: dict[str, dict[str, float]] | None = None,
) -> tuple[np.ndarray, dict]:
    """`chain` (library names or shaders) on the test image, with `values` by node name; the last frame and
    the run's stats."""
    runtime = Runtime()
    runtime.fuse = fuse
    node = ImageSource(make_test_image())
    for i, shader in enumerate(chain):
        effect = Effect(
            SHADERS / f"{shader}.hlsl" if isinstance(shader, str) else shader,
            name=f"fx{i}",
            params=(values or {}).get(f"fx{i}"),
        )
        runtime.connect(node, effect)
        node = effect
    sink = NumpySink()
    runtime.connect(node, sink)
    stats = runtime.run(frames)
    return sink.latest(), stats


def test_the_library_knows_which_effects_are_pointwise() -> None:
    assert {p.stem for p in PIXEL_EFFECTS} >= POINTWISE


#: Pairs whose fused pass the runtime's own check refuses: a warp reading between texel centres sees a
#: nonlinear member (a clamping colour matrix, a position-dependent factor) evaluated there, not filtered.
REFUSED = {
    ("grayscale", "chromatic_aberration"),
    ("sepia", "chromatic_aberration"),
    ("sepia", "wave"),
    ("tint", "chromatic_aberration"),
    ("vignette", "chromatic_aberration"),
    ("vignette", "wave"),
}


@pytest.mark.parametrize(("first", "second"), list(permutations(sorted(p.stem for p in PIXEL_EFFECTS), 2)))
def test_every_ordered_pair_fuses_when_either_reads_pointwise_and_matches_the_unfused_pixels(
    first: str, second: str
) -> None:
    fused, stats = render([first, second], fuse=True)
    unfused, plain = render([first, second], fuse=False)
    assert plain["fusion"] == [] and plain["unfused"] == {}
    diff = np.abs(fused.astype(int) - unfused.astype(int))
    if (first, second) in REFUSED:
        [group] = stats["fusion"]
        assert group["state"].startswith("unfused: drawn as one pass it differs from its effects drawn one")
        assert diff.max() == 0
    elif first in POINTWISE or second in POINTWISE:
        [group] = stats["fusion"]
        reorderable = first in POSITION_FREE and second not in POINTWISE
        states = {"fused", "fused, reordered: fx1, fx0"} if reorderable else {"fused"}
        assert group["members"] == ["fx0", "fx1"] and group["state"] in states, (group, stats["unfused"])
        over = np.count_nonzero(diff > 1)
        assert diff.max() <= 1, f"{first}→{second}: max diff {diff.max()}, {over} channel values over 1"
    else:
        assert stats["fusion"] == []
        assert set(stats["unfused"]) == {"fx0", "fx1"}
        assert diff.max() == 0


def test_a_three_effect_chain_is_one_pass_with_the_unfused_pixels() -> None:
    chain = ["tint", "gaussian_blur", "vignette"]
    fused, stats = render(chain, fuse=True)
    unfused, _ = render(chain, fuse=False)
    # The blur samples the input itself and the tint is applied once to its result, not at each of its taps.
    assert stats["fusion"] == [{"members": ["fx0", "fx1", "fx2"], "state": "fused, reordered: fx1, fx0, fx2"}]
    assert np.abs(fused.astype(int) - unfused.astype(int)).max() <= 1


# A hard threshold does not commute with averaging: blurred then thresholded is not thresholded then blurred.
THRESHOLD = streamlib.compile(
    """float4 main(float2 uv : TEXCOORD) : SV_Target {
    float4 c = tex2D(input, uv);
    return float4(step(0.5, c.rgb), c.a);
}""",
    name="threshold",
)


def test_a_member_that_does_not_commute_with_the_reader_keeps_graph_order() -> None:
    chain: list[str | streamlib.Shader] = [THRESHOLD, "gaussian_blur"]
    fused, stats = render(chain, fuse=True)
    unfused, _ = render(chain, fuse=False)
    assert stats["fusion"] == [{"members": ["fx0", "fx1"], "state": "fused"}]
    assert np.abs(fused.astype(int) - unfused.astype(int)).max() <= 1


def test_two_neighbourhood_readers_never_share_a_pass() -> None:
    _, stats = render(["sharpen", "tint", "gaussian_blur"], fuse=True)
    assert stats["fusion"] == [{"members": ["fx0", "fx1"], "state": "fused"}]
    assert stats["unfused"] == {"fx2": "no neighbouring effect it can share a pass with"}


def test_an_effect_whose_output_is_also_watched_is_not_fused_away() -> None:
    runtime = Runtime()
    source, tint, vignette = (
        ImageSource(make_test_image()),
        Effect(SHADERS / "tint.hlsl"),
        Effect(SHADERS / "vignette.hlsl"),
    )
    watched, out = NumpySink(name="watched"), NumpySink(name="out")
    runtime.connect(source, tint)
    runtime.connect(tint, vignette)
    runtime.connect(tint, watched)
    runtime.connect(vignette, out)
    stats = runtime.run(2)
    assert stats["fusion"] == []
    assert watched.latest() is not None and out.latest() is not None


def test_what_does_not_fuse_says_why() -> None:
    defined = streamlib.compile(
        "#define K 0.5\nfloat4 main(float2 uv : TEXCOORD) : SV_Target { return tex2D(input, uv) * K; }",
        name="macro",
    )
    _, stats = render(["tint", defined, SHADERS.joinpath("invert_compute.hlsl").stem], fuse=True)
    assert stats["fusion"] == []
    assert stats["unfused"]["fx1"] == "uses the preprocessor"
    assert stats["unfused"]["fx2"] == "compute form: only pixel-form effects fuse"


def test_fusion_is_off_per_effect_and_the_setting_is_exported() -> None:
    runtime = Runtime()
    source = ImageSource(make_test_image())
    tint, vignette = Effect(SHADERS / "tint.hlsl", fuse=False), Effect(SHADERS / "vignette.hlsl")
    runtime.connect(source, tint)
    runtime.connect(tint, vignette)
    runtime.connect(vignette, NumpySink())
    stats = runtime.run(1)
    assert stats["fusion"] == []
    assert stats["unfused"]["tint"] == "fusion is off for this effect"
    config = json.loads(runtime.config_text())
    assert [n["params"].get("fuse") for n in config["nodes"] if n["type"] == "effect"] == [False, None]
    loaded = Runtime.from_config(runtime.config_text())
    assert loaded.run(1)["unfused"]["tint"] == "fusion is off for this effect"


def test_fusion_off_per_graph_is_exported_and_loaded() -> None:
    runtime = Runtime()
    runtime.fuse = False
    tint = Effect(SHADERS / "tint.hlsl")
    runtime.connect(ImageSource(make_test_image()), tint)
    runtime.connect(tint, NumpySink())
    assert json.loads(runtime.config_text())["runtime"]["fuse"] is False
    loaded = Runtime.from_config(runtime.config_text())
    assert loaded.fuse is False and loaded.run(1)["fusion"] == []


def tint_vignette_chain(image: np.ndarray) -> tuple[Runtime, Effect, Effect, NumpySink]:
    """`image` → tint → vignette → numpy sink: a chain drawn as one fused pass."""
    runtime = Runtime()
    source, tint, vignette, sink = (
        ImageSource(image),
        Effect(SHADERS / "tint.hlsl"),
        Effect(SHADERS / "vignette.hlsl"),
        NumpySink(),
    )
    runtime.connect(source, tint)
    runtime.connect(tint, vignette)
    runtime.connect(vignette, sink)
    return runtime, tint, vignette, sink


def test_members_keep_their_own_parameters_and_a_swap_refuses_nothing() -> None:
    runtime, tint, vignette, sink = tint_vignette_chain(make_test_image())
    tint.set(strength=1.0, tint=(0.0, 1.0, 0.0))
    vignette.set(strength=0.0)
    stats = runtime.run(1)
    assert stats["fusion"][0]["state"] == "fused"
    frame = sink.latest()
    assert frame[..., 0].max() == 0 and frame[..., 2].max() == 0  # green only: tint's own `strength`
    assert np.array_equal(frame[..., 1], make_test_image()[..., 1])  # vignette's own `strength` 0

    vignette.replace_shader(SHADERS / "invert.hlsl")
    stats = runtime.run(1)
    assert stats["fusion"] == [{"members": ["tint", "vignette"], "state": "fused"}]
    assert np.array_equal(sink.latest()[..., 1], 255 - make_test_image()[..., 1])


def test_a_swap_while_running_draws_the_new_shader_at_once_and_fuses_it_again() -> None:
    image = make_test_image()
    runtime, tint, vignette, sink = tint_vignette_chain(image)
    tint.set(strength=0.0)
    vignette.set(strength=0.0)
    runtime.start(fps=60)
    try:
        fused = [{"members": ["tint", "vignette"], "state": "fused"}]
        poll_until(lambda: runtime.stats()["fusion"] == fused, "the chain drawn fused")
        poll_until(lambda: (np.array_equal(sink.latest(), image),)[0], "the first frame, fused")
        vignette.replace_shader(SHADERS / "invert.hlsl")
        inverted = 255 - image[..., :3]
        # Drawn unfused while the new pass compiles, then fused again: the picture is right either way.
        poll_until(lambda: (np.array_equal(sink.latest()[..., :3], inverted),)[0], "the new shader on screen")
        poll_until(lambda: runtime.stats()["fusion"] == fused, "the new chain fused again")
        frames = runtime.stats()["frames"]
        poll_until(lambda: runtime.stats()["frames"] > frames + 3, "frames after the swap")
        assert np.array_equal(sink.latest()[..., :3], inverted)
        assert runtime.stats()["error"] is None
    finally:
        runtime.stop()


def test_swaps_racing_the_frames_never_stop_the_run() -> None:
    """A fused member swapped between a shader with parameters and one without, while frames run fast: each
    frame draws one consistent state (no fused pass fed the other shader's parameter bytes)."""
    swap_red_blue = "float4 main(float2 uv : TEXCOORD) : SV_Target { return tex2D(input, uv).bgra; }\n"
    image = make_test_image()
    runtime, tint, vignette, sink = tint_vignette_chain(image)
    tint.set(strength=0.0)
    runtime.start(fps=500)
    try:
        fused = [{"members": ["tint", "vignette"], "state": "fused"}]
        # Each swap lands on a chain drawn fused (one during the rebuild would find its members drawn alone).
        # An odd count: the last swap is to the red-blue swap, the picture expected below.
        for i in range(41):
            poll_until(
                lambda: runtime.stats()["fusion"] == fused or runtime.stats()["error"] is not None,
                "the chain fused",
            )
            assert runtime.stats()["error"] is None, f"swap {i}: {runtime.stats()['error']}"
            vignette.replace_shader(swap_red_blue if i % 2 == 0 else SHADERS / "vignette.hlsl")
        expected = image[..., [2, 1, 0, 3]]
        poll_until(lambda: (np.array_equal(sink.latest(), expected),)[0], "the last shader on screen")
        assert runtime.stats()["error"] is None and runtime.stats()["running"]
    finally:
        runtime.stop()


def test_a_swap_that_changes_what_an_effect_reads_plans_the_groups_again() -> None:
    runtime = Runtime()
    node: streamlib.Node = ImageSource(make_test_image())
    effects = [
        Effect(SHADERS / f"{n}.hlsl", name=f"fx{i}")
        for i, n in enumerate(["tint", "invert", "gaussian_blur"])
    ]
    sink = NumpySink()
    for effect in [*effects, sink]:
        runtime.connect(node, effect)
        node = effect

    def planned(groups: list[list[str]], alone: dict[str, str]) -> bool:
        stats = runtime.stats()
        fusion = stats["fusion"]
        drawn = all(g["state"].startswith("fused") for g in fusion)
        return [g["members"] for g in fusion] == groups and drawn and stats["unfused"] == alone

    def shows(chain: list[str]) -> bool:
        # A swap keeps the values of parameters the shaders share: sharpen's `amount` is invert's 1.
        reference, _ = render(chain, fuse=False, values={"fx1": {"amount": 1.0}})
        return bool(np.abs(sink.latest().astype(int) - reference.astype(int)).max() <= 1)

    runtime.start(fps=60)
    try:
        poll_until(lambda: planned([["fx0", "fx1", "fx2"]], {}), "one pass of the three")
        # Two readers of neighbours never share a pass: the swap splits the group.
        effects[1].replace_shader(SHADERS / "sharpen.hlsl")
        alone = {"fx2": "no neighbouring effect it can share a pass with"}
        poll_until(lambda: planned([["fx0", "fx1"]], alone), "the chain planned again after the swap")
        poll_until(lambda: shows(["tint", "sharpen", "gaussian_blur"]), "the new chain's pixels")
        # And swapped back, the three share one pass again.
        effects[1].replace_shader(SHADERS / "invert.hlsl")
        poll_until(lambda: planned([["fx0", "fx1", "fx2"]], {}), "one pass of the three again")
        poll_until(lambda: shows(["tint", "invert", "gaussian_blur"]), "the first chain's pixels again")
        assert runtime.stats()["error"] is None
    finally:
        runtime.stop()


def test_the_notebook_card_says_how_the_graph_was_drawn() -> None:
    runtime = Runtime()
    source, tint, blur, sharpen = (
        ImageSource(make_test_image()),
        Effect(SHADERS / "tint.hlsl"),
        Effect(SHADERS / "gaussian_blur.hlsl"),
        Effect(SHADERS / "sharpen.hlsl"),
    )
    runtime.connect(source, tint)
    runtime.connect(tint, blur)
    runtime.connect(blur, sharpen)
    runtime.connect(sharpen, NumpySink())
    assert "not started" in runtime._repr_markdown_()
    runtime.run(1)
    card = runtime._repr_markdown_()
    assert "stopped after 1 frames" in card
    assert "- one pass: tint + gaussian_blur (fused, reordered: gaussian_blur, tint)" in card
    assert "- `sharpen` drawn on its own: no neighbouring effect it can share a pass with" in card


def live_chain(first: str, second: str) -> tuple[Runtime, Effect, Effect, NumpySink]:
    """Library effects `first` → `second` on the test image, started at 60 fps."""
    runtime = Runtime()
    source, one, two, sink = (
        ImageSource(make_test_image()),
        Effect(SHADERS / f"{first}.hlsl"),
        Effect(SHADERS / f"{second}.hlsl"),
        NumpySink(),
    )
    for a, b in [(source, one), (one, two), (two, sink)]:
        runtime.connect(a, b)
    runtime.start(fps=60)
    return runtime, one, two, sink


def group_state(runtime: Runtime) -> str:
    state: str = runtime.stats()["fusion"][0]["state"]
    return state


def test_new_values_are_checked_before_they_are_drawn_fused() -> None:
    """A blur radius of 1.5 moves the taps between texel centres, where sepia's clamping colour matrix,
    evaluated there, is not what filtering its stored output gives: that chain is drawn unfused until the
    radius is whole again."""
    runtime, _, blur, sink = live_chain("sepia", "gaussian_blur")
    try:
        poll_until(lambda: group_state(runtime) == "fused", "the chain drawn fused")
        blur.set(radius=1.5)
        poll_until(
            lambda: group_state(runtime).endswith("at the current parameter values"), "the new radius refused"
        )
        assert group_state(runtime).startswith(
            "unfused: drawn as one pass it differs from its effects drawn one by one"
        )
        unfused, _ = render(["sepia", "gaussian_blur"], fuse=False, values={"fx1": {"radius": 1.5}})
        poll_until(lambda: (np.array_equal(sink.latest(), unfused),)[0], "the unfused picture on screen")
        blur.set(radius=1.0)
        poll_until(lambda: group_state(runtime) == "fused", "the whole radius fused again")
    finally:
        runtime.stop()


def test_values_a_reordered_pass_does_not_hold_for_are_fused_in_graph_order() -> None:
    """At its defaults colour_adjust is the identity and is applied after the blur; a contrast that clamps
    does not commute with blurring, so the group is built again in graph order (adjust at each tap)."""
    runtime, adjust, _, sink = live_chain("color_adjust", "gaussian_blur")
    try:
        reordered = "fused, reordered: gaussian_blur, color_adjust"
        poll_until(lambda: group_state(runtime) == reordered, "the reordered pass")
        adjust.set(contrast=2.0)
        poll_until(
            lambda: group_state(runtime) == "fused", "the group fused again in graph order", timeout=60
        )
        unfused, _ = render(["color_adjust", "gaussian_blur"], fuse=False, values={"fx0": {"contrast": 2.0}})
        poll_until(
            lambda: (np.abs(sink.latest().astype(int) - unfused.astype(int)).max() <= 1,)[0],
            "the graph-order pass's picture on screen",
        )
    finally:
        runtime.stop()
