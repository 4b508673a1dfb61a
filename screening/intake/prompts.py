"""The terminal: printed lines, and questionary prompts on which nothing is chosen until staff choose it.

questionary (and with it prompt_toolkit) is imported only when a prompt is shown.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar, TextIO

if TYPE_CHECKING:
    from prompt_toolkit.input import Input
    from prompt_toolkit.output import Output

WIDTH = 100
NOTHING_CHOSEN = "(nothing chosen yet)"


class Nav(Enum):
    """A choice that moves through the questions instead of answering one."""

    BACK = "back"
    SKIP = "skip"
    NONE = "none"  # where the pointer starts on a question not answered yet: Enter there asks again


@dataclass(frozen=True)
class Terminal:
    """Where prompts read keys and draw (the real terminal when None) and where messages go (stdout)."""

    input: Input | None = None
    output: Output | None = None
    stream: TextIO | None = None


class Screen:
    """Printed lines, wrapped, and in colour on a real terminal (unless NO_COLOR is set)."""

    STYLES: ClassVar = {"heading": "1;36", "bold": "1", "dim": "2", "alarm": "1;97;41", "warn": "1;33"}

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.colour = stream.isatty() and "NO_COLOR" not in os.environ

    def say(
        self, text: str = "", style: str = "", indent: str = "", hang: str | None = None, wrap: bool = True
    ) -> None:
        """A message, wrapped unless it holds a path or a command to copy."""
        lines = textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent if hang is None else hang)
        lines = lines if wrap else [indent + text]
        if style and self.colour:
            lines = [f"\x1b[{self.STYLES[style]}m{line}\x1b[0m" for line in lines]
        print("\n".join(lines), file=self.stream, flush=True)


Choices = list[tuple[str, Any, Any]]  # title, value, and the shortcut key (select) or whether ticked (checkbox)


class Prompts:
    """questionary prompts on one terminal. Each returns the answer or raises KeyboardInterrupt (Ctrl-C)."""

    def __init__(self, terminal: Terminal, screen: Screen) -> None:
        self.io: dict[str, Any] = {"input": terminal.input, "output": terminal.output}
        self.screen = screen

    def select(self, message: str, choices: Choices, current: Any = None, hint: str = "", search: bool = False) -> Any:
        """One of the choices. The pointer starts on the current answer if there is one, else on "nothing chosen
        yet", where Enter asks again: a stray Enter never answers a question."""
        from questionary import Choice, select

        options = [Choice(title, value, shortcut_key=key or False) for title, value, key in choices]
        if current not in [value for _, value, _ in choices]:
            current = Nav.NONE
            # a title given as styled text gets no shortcut label; the search filter needs plain text
            title: Any = NOTHING_CHOSEN if search else [("class:instruction", NOTHING_CHOSEN)]
            options.insert(0, Choice(title, Nav.NONE, shortcut_key=False))
        # no j/k movement: those keys are letter shortcuts, or typed to filter a long list
        keys: dict[str, Any] = {"use_search_filter": True} if search else {"use_shortcuts": True}
        while True:
            question = select(message, options, current, instruction=hint or None, use_jk_keys=False, **keys, **self.io)
            chosen = question.unsafe_ask()
            if chosen is not Nav.NONE:
                return chosen
            how = "type to find it, or use the arrow keys" if search else "press its key, or use the arrow keys"
            self.screen.say(f"Nothing was chosen: {how}, then Enter.", "warn", "  ")

    def checkbox(self, message: str, choices: Choices, validate: Callable[[list[Any]], bool | str], hint: str) -> Any:
        from questionary import Choice, checkbox

        options = [Choice(title, value, checked=ticked) for title, value, ticked in choices]
        return checkbox(
            message, options, validate=validate, instruction=hint, use_jk_keys=False, **self.io
        ).unsafe_ask()

    def text(self, message: str, validate: Callable[[str], bool | str], default: str, hint: str) -> str:
        from questionary import text

        question = text(message, default, validate, instruction=hint, validate_while_typing=False, **self.io)
        return str(question.unsafe_ask()).strip()
