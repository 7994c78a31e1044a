"""Text instruction fixes. Genie allows at most ONE text instruction entry, so both fixes edit that single entry
(creating it when absent) and fold any extra entries of a malformed space into it."""

from __future__ import annotations

from typing import Literal

from genie_enhance.space.fixes.base import FixBase, NonEmpty, fold, instruction_ids, short, sorted_by_id
from genie_enhance.space.ids import stable_id, unique_id
from genie_enhance.space.lines import join_lines, split_lines
from genie_enhance.space.model import SerializedSpace, TextInstruction


def current_text(space: SerializedSpace) -> str:
    """The text instruction as one text (several entries joined by a blank line)."""
    parts = [join_lines(t.content).strip("\n") for t in sorted_by_id(space.instructions.text_instructions)]
    return "\n\n".join(p for p in parts if p.strip())


def write_text(space: SerializedSpace, text: str) -> None:
    """Make `text` the content of the single text instruction, keeping the first entry's id."""
    ins = space.instructions
    entries = sorted_by_id(ins.text_instructions)
    if entries:
        entry = entries[0]
        entry.content = split_lines(text)
    else:
        entry = TextInstruction(id=unique_id(instruction_ids(space), "text_instruction"), content=split_lines(text))
    ins.text_instructions = [entry]


class SetTextInstruction(FixBase):
    """Replace the whole text instruction (general guidance, definitions, summary rules)."""

    type: Literal["set_text_instruction"] = "set_text_instruction"
    text: NonEmpty

    def _apply(self, space: SerializedSpace) -> None:
        entries = space.instructions.text_instructions
        if len(entries) == 1 and join_lines(entries[0].content) == self.text:
            return
        write_text(space, self.text)

    @property
    def key(self) -> str:
        return f"{self.type}|{stable_id(self.text)}"

    def describe(self) -> str:
        return f'set text instruction: "{short(self.text)}"'


class AppendTextInstruction(FixBase):
    """Add a paragraph to the text instruction unless its text (ignoring case and whitespace) is already there."""

    type: Literal["append_text_instruction"] = "append_text_instruction"
    text: NonEmpty

    def _apply(self, space: SerializedSpace) -> None:
        existing = current_text(space)
        if fold(self.text) in fold(existing):
            return
        write_text(space, f"{existing.rstrip()}\n\n{self.text}" if existing.strip() else self.text)

    @property
    def key(self) -> str:
        return f"{self.type}|{stable_id(fold(self.text))}"

    def describe(self) -> str:
        return f'append to text instruction: "{short(self.text)}"'

