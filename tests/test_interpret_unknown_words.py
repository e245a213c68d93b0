"""A word the interpreter does not know, left over in a clause it otherwise understood, is named
back ("make it green and wibble the shoulders": green, and "I didn't understand “wibble”");
before, it was dropped without a word while the reply said "Understood". Known words (the dev
phrasings', the grammar's, plurals of either) are never named."""

from __future__ import annotations

import pytest

from backdrop.agent.interpret.read import unknown_words
from tests.test_interpret_blind_kinds import _said, folder  # noqa: F401 - a fixture


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("make it green and wibble the shoulders", "wibble"),
        ("blue background with glitter", "glitter"),
        ("soften the edges and also trombone", "trombone"),
        ("make it orange and snorgle it please", "snorgle"),
    ],
)
def test_an_unknown_word_is_named_and_the_rest_applied(text: str, word: str) -> None:
    ctx, reply, clarify = _said(text)
    assert not clarify and f"didn't understand “{word}”" in reply, reply
    assert ctx.plan.backgrounds or ctx.plan.edges.feather != 1.5, reply


def test_known_words_and_their_forms_are_not_named() -> None:
    assert unknown_words("please make the backgrounds blurrier colours @hfacade @p0") == []
    assert unknown_words("zorbify") == ["zorbify"]


def test_the_vocabulary_file_is_up_to_date() -> None:
    """known_words.txt is what eval/build_known_words.py makes from today's dev split and
    interpreter source: rerun it after adding dev phrasings or patterns."""
    import importlib.util

    from tests.conftest import ROOT

    spec = importlib.util.spec_from_file_location("bkw", ROOT / "eval" / "build_known_words.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.OUT.read_text().split() == mod.known_words(), "run eval/build_known_words.py"
