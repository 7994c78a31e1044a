"""The two demo space configs shipped as package data in `genie_enhance/demo/spaces/`.

`space_bare.json` is a space as it looks on day one (the demo tables and nothing else); `space_tuned.json` is a
hand-tuned reference (descriptions, synonyms, joins, prompt matching, snippets, one text instruction, a few
parameterised examples — never the benchmark SQL). The committed JSON files are the source of truth.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable

from genie_enhance.space.io import parse_space
from genie_enhance.space.model import SerializedSpace

BARE_SPACE = "space_bare.json"
TUNED_SPACE = "space_tuned.json"
DEMO_SPACES = (BARE_SPACE, TUNED_SPACE)


def demo_space_resource(name: str) -> Traversable:
    """The packaged file `name` (one of `DEMO_SPACES`)."""
    if name not in DEMO_SPACES:
        raise ValueError(f"unknown demo space {name!r}; expected one of {', '.join(DEMO_SPACES)}")
    return resources.files("genie_enhance.demo").joinpath("spaces", name)


def demo_space_text(name: str) -> str:
    return demo_space_resource(name).read_text(encoding="utf-8")


def load_demo_space(name: str) -> SerializedSpace:
    """The packaged demo space `name`, parsed."""
    return parse_space(demo_space_text(name), source=f"genie_enhance/demo/spaces/{name}")
