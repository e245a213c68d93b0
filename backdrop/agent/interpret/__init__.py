"""The embedded, rule-based interpreter: English instructions → tool calls.

It is table driven. A background file named by description ("the beach photo") is first
replaced by the name of the one available file it matches (:mod:`.described`; several or none:
a question). The instruction then goes through four steps, each in its own module:

1. **Normalise** (:mod:`.normalise`, spoken-language clean-up in :mod:`.words`): file paths
   (quoted or not) and hex colours become placeholders (``@p0``, ``@h1e40af``) so that their
   dots, digits and spaces cannot confuse the later steps; the text is lower-cased, spoken
   numbers ("thirty seconds", "half a minute") become digits, output sizes are taken out
   (they become the export size, :data:`~backdrop.tools.ToolContext.output_size`).
2. **Split** into clauses (:mod:`.clauses`) at ``;``, ``.``, "then", and at ``,`` / "and" /
   "but" where the next piece starts a new instruction (a verb such as "make", "fade", "keep").
   Other pieces are glued back, so "blue and purple", "fade in and out" and "between 1:10 and
   1:30" stay whole.
3. **Read each clause** (:mod:`.read`) with the rule tables of :mod:`.lexicon` (one module per
   concept: times, colours, backgrounds, people, fades, edges, strength, relative references,
   history, files), each consuming the words it understood.
4. **Compose** the clauses into tool calls (:mod:`.composition`): background changes become
   segment drafts (remove + replace in one sentence is one segment), fades, strength and bare
   time ranges attach to the latest draft of the sentence, or to the focused segment of the plan
   when there is none.

:class:`~.rules.RuleInterpreter` runs the calls through the tool registry as one history step,
so one undo reverts the sentence; :class:`~.speech.SpeechInterpreter` adds phrases anchored to
what is said in the video ("keep the speaker", "while someone is talking"). All times are
seconds; negative times count back from the end of the video.
"""

from __future__ import annotations

from backdrop.agent.interpret.errors import CAPABILITIES, EXAMPLES, Unclear, Unsupported
from backdrop.agent.interpret.lexicon.people import person_selector
from backdrop.agent.interpret.rules import (
    Parsed,
    RuleInterpreter,
    nothing_done_reply,
    with_leftovers,
)
from backdrop.agent.interpret.speech import (
    NEEDS_ANALYSIS,
    SpeechAnchor,
    SpeechInterpreter,
    find_anchor,
)
from backdrop.agent.replies import Reply

__all__ = [
    "CAPABILITIES",
    "EXAMPLES",
    "NEEDS_ANALYSIS",
    "Parsed",
    "Reply",
    "RuleInterpreter",
    "SpeechAnchor",
    "SpeechInterpreter",
    "Unclear",
    "Unsupported",
    "find_anchor",
    "nothing_done_reply",
    "person_selector",
    "with_leftovers",
]
