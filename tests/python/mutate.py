"""Deterministic source mutations for fuzzing the compile pipeline."""

from __future__ import annotations

import random

_INSERTS = list("(){}[];,.:+-*/<>=!?&|^~#\"'\\@$") + [
    "float",
    "float[2",
    "Texture2D",
    "register(",
    "SV_Target",
    "cbuffer",
    "struct",
    "#define",
    "#if",
    "return",
    "[numthreads(",
    "[[",
    "]]",
    "template",
    "0x",
    "1e999",
    "::",
    "\n",
]


def mutate(source: str, rng: random.Random, edits: int = 3) -> str:
    text = source
    for _ in range(edits):
        if not text:
            break
        at = rng.randrange(len(text))
        op = rng.randrange(6)
        if op == 0:  # delete a span
            text = text[:at] + text[at + rng.randint(1, 8) :]
        elif op == 1:  # insert a token
            text = text[:at] + rng.choice(_INSERTS) + text[at:]
        elif op == 2:  # duplicate a span
            span = text[at : at + rng.randint(1, 40)]
            text = text[:at] + span + text[at:]
        elif op == 3:  # swap two characters
            other = rng.randrange(len(text))
            chars = list(text)
            chars[at], chars[other] = chars[other], chars[at]
            text = "".join(chars)
        elif op == 4:  # drop a line
            lines = text.splitlines(keepends=True)
            if len(lines) > 1:
                del lines[rng.randrange(len(lines))]
                text = "".join(lines)
        else:  # replace a character with a random printable byte
            text = text[:at] + chr(rng.randint(32, 126)) + text[at + 1 :]
    return text
