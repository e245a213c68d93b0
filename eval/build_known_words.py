"""Write ``backdrop/agent/interpret/lexicon/known_words.txt``: every word of 4+ letters that the
dev split uses (``eval/corpus/instructions_dev.jsonl``, setups included), the
words of the interpreter's own source (its patterns), the named colours, and common English
function words. A word left over after a clause is read that
is not in this list is named back as not understood ("make it purple and zorbify the corners":
"I didn't understand “zorbify”"). The blind held-out sets are never read.

Run: ``.venv/bin/python eval/build_known_words.py``.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backdrop.render.colors import NAMED_COLORS  # noqa: E402

COMMON = """
about above after again against also although always another anything anyway around away back
because been before behind being below between both but cant could couldnt does doesnt doing
done dont down during each either else enough even ever every everything from further give
going gonna good great have having here hers herself himself into itself just keep kind kinda
know like little look looks made make many maybe mean might more most much must need never next
nice nothing okay once only other otherwise ours over please pretty quite rather really right
same seem should since some something somewhat soon still such sure than thank thanks that
thats their them then there these they thing things think this those though through thus till
together tone very want wanna were what whatever when where whether which while whole will with
within without would yeah your yours yourself able actually again alright basically cool
definitely honestly hopefully instead literally obviously perfect probably quick quickly simply
slowly sorry super totally
"""


OUT = ROOT / "backdrop" / "agent" / "interpret" / "lexicon" / "known_words.txt"


def known_words() -> list[str]:
    """The vocabulary, sorted (what :data:`OUT` must hold)."""
    words: set[str] = set(COMMON.split())
    for line in (ROOT / "eval" / "corpus" / "instructions_dev.jsonl").read_text().splitlines():
        case = json.loads(line)
        named = {m.lower() for m in case["mention"]}  # words a reply must name as not understood
        for said in [*case["setup"], case["text"]]:
            words.update(
                w for w in re.findall(r"[a-z]+", said.lower())
                if len(w) >= 4 and not any(w.startswith(n) for n in named)
            )  # fmt: skip
    for src in (ROOT / "backdrop" / "agent" / "interpret").rglob("*.py"):  # the grammar's words
        words.update(w for w in re.findall(r"[a-z]+", src.read_text().lower()) if len(w) >= 4)
    for name in NAMED_COLORS:
        words.update(w for w in re.findall(r"[a-z]+", name.lower()) if len(w) >= 4)
    return sorted(words)


def main() -> None:
    words = known_words()
    OUT.write_text("\n".join(words) + "\n")
    print(f"{len(words)} words -> {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
