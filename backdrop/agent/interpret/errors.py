"""The interpreter's refusals and questions: :class:`Unclear` (ask), :class:`Unsupported` (say
what cannot be done), and the examples every clarifying question ends with."""

from __future__ import annotations

EXAMPLES = (
    "“remove the background”",
    "“make the background a blue to purple gradient”",
    "“blur the background for the first 10 seconds”",
)
CAPABILITIES = (
    "I can remove, blur or replace the background (a colour, a gradient, an image or a video "
    "file) behind the person, limit it to a time range, fade it in or out, and adjust the edges"
)


class Unclear(Exception):
    """A clause could not be understood; the message is the question to ask. ``options``
    (an :class:`~backdrop.agent.interpret.answers.Options`): the choices the question offers,
    so an answer ("the first one", "the gradient") can be read against it."""

    def __init__(self, *args: object, options: object = None) -> None:
        super().__init__(*args)
        self.options = options


class Unsupported(Exception):
    """A clause names something the embedded interpreter cannot do; the message says so."""


# -- replies -----------------------------------------------------------------------------------
def clarify(lead: str, *, gradient: bool = False) -> str:
    if gradient:
        return (
            f"{lead} For example: “a blue to purple gradient” or "
            "“a radial gradient from white to navy”."
        )
    return f"{lead} You could say, for example, {EXAMPLES[0]}, {EXAMPLES[1]} or {EXAMPLES[2]}."
