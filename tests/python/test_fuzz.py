"""Bounded mutation fuzz of the library shaders through `streamlib.compile` (fixed seed, seconds)."""

from __future__ import annotations

import os
import random

import streamlib
from streamlib import ShaderCompileError

from ..conftest import library_shaders, stage_of
from .mutate import mutate

MUTANTS = 400
SEED = 20261125


def test_mutants_never_crash_the_caller() -> None:
    rng = random.Random(SEED)
    shaders = [(path.name, path.read_text(), stage_of(path)) for path in library_shaders()]
    outcomes = {"compiled": 0, "rejected": 0, "front_end_crash": 0}
    for _ in range(MUTANTS):
        name, source, stage = rng.choice(shaders)
        mutant = mutate(source, rng)
        try:
            shader = streamlib.compile(mutant, stage=stage, name=name)
        except ShaderCompileError as err:
            assert err.diagnostics, f"no diagnostics for a failed mutant of {name}"
            assert all(d.message for d in err.diagnostics)
            assert all(d.line is None or d.line >= 1 for d in err.diagnostics)
            crashed = any("crashed" in d.message for d in err.diagnostics)
            outcomes["front_end_crash" if crashed else "rejected"] += 1
        else:
            assert shader.spirv
            outcomes["compiled"] += 1
    print(f"fuzz outcomes over {MUTANTS} mutants (seed {SEED}): {outcomes}, pid {os.getpid()} alive")
    assert sum(outcomes.values()) == MUTANTS
    assert outcomes["rejected"] > MUTANTS // 2  # the mutator really does break shaders
