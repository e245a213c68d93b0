"""People, speakers, edges and export sizes as a new user says them (issue 11), each through the
real interpreter on phrasings written for the dev split: a choice of people over a time before
any background change removes the background there and says so (it used to refuse, or retime
the blur already in the plan); a halo "of the old background" moves the edge in (it used to be
read as going back to an earlier background, and "a white outline around me" as a white
background); "export 1080" / "export at 720" is the export size, never a time; "the second
person" on a one-person video says plainly there is only one person (it used to be an
object-detector message), and "the one on the left" there is that person; spoken fillers and
"… and lose everyone else" around a keep keep the person (it used to refuse as removing
everyone)."""

from __future__ import annotations

import pytest

from backdrop.agent.interpret import SpeechInterpreter
from backdrop.perception.core.events import PeopleCount, PersonTrack, Timeline
from backdrop.tools import ToolContext


def _said(*texts: str, people: int | None = None) -> tuple[ToolContext, str, bool]:
    """Run ``texts`` in turn on a 60 s video (with ``people`` tracked people when given)."""
    ctx = ToolContext(duration=60.0, timeline=None if people is None else _people(people))
    return (ctx, *_last_reply(ctx, texts))


def _last_reply(ctx: ToolContext, texts: tuple[str, ...]) -> tuple[str, bool]:
    """The reply to the last of ``texts``, said in turn to one interpreter: text, clarify."""
    si = SpeechInterpreter()
    replies = [si.interpret(t, ctx) for t in texts]
    return replies[-1].text, replies[-1].clarify


def _people(n: int) -> Timeline:
    """A 60 s timeline where the people analysis tracked ``n`` people the whole time: P1 on the
    left in white (centre when alone), P2 on the right in black; display pixels 1280x720."""
    tl = Timeline(duration=60.0)
    events: list = [PeopleCount(t0=0.0, t1=59.5, source="people", n=n)]
    places = [("centre", 490.0)] if n == 1 else [("left", 100.0), ("right", 880.0)]
    for i, (pos, x0) in enumerate(places):
        for k in range(60):
            events.append(
                PersonTrack(t0=float(k), t1=k + 1.0, source="people", person=f"P{i + 1}",
                            box=(x0, 100.0, x0 + 300.0, 700.0), position=pos,
                            colour=("white", "black")[i], weight=0.5 - 0.1 * i)
            )  # fmt: skip
    tl.add(events)
    return tl


def _keeps(ctx: ToolContext) -> list[tuple[str, str | None, float, float]]:
    out = []
    for k in ctx.plan.keep:
        t0, t1 = k.range.resolve(60.0)
        out.append((k.subject, k.selector, round(t0, 2), round(t1, 2)))
    return sorted(out, key=lambda r: (r[2], r[0]))


# -- 1. a choice of people over a time, before any background change ----------------------------
@pytest.mark.parametrize(
    ("text", "end"),
    [
        ("only keep the speaker for the first 30 seconds", 30.0),
        ("keep whoever's talking until 0:20", 20.0),
        ("for the first half only keep the person speaking", 30.0),
        ("just keep the one who's talking for the first 15 seconds", 15.0),
        ("until the 10 second mark keep only whoever is speaking", 10.0),
    ],
)
def test_keeping_the_speaker_for_a_time_removes_the_background_there(text: str, end: float) -> None:
    ctx, reply, clarify = _said(text)
    assert not clarify and "couldn't" not in reply, reply
    segs = [(s.background.type, *s.range.resolve(60.0)) for s in ctx.plan.backgrounds]
    assert segs == [("transparent", 0.0, end)], reply
    assert ("speaker", None, 0.0, end) in _keeps(ctx), reply
    assert "removed the background" in reply and "speak" in reply, reply
    # only the speaker over that time: no whole-video person rule keeps someone else there
    assert not [k for k in _keeps(ctx) if k[0] == "person" and k[2] < end], reply


def test_the_time_of_a_speaker_keep_does_not_retime_the_blur() -> None:
    ctx, reply, _ = _said("blur the background", "only keep the speaker for the first 30 seconds")
    assert [(s.background.type, s.range.start, s.range.end) for s in ctx.plan.backgrounds] == [
        ("blur", 0.0, None)
    ], reply
    assert _keeps(ctx) == [("speaker", None, 0.0, 30.0), ("person", None, 30.0, 60.0)], reply


def test_the_person_on_the_left_for_a_time_before_any_background() -> None:
    ctx, reply, _ = _said("keep the person on the left for the last 10 seconds")
    assert [(s.background.type, s.range.start) for s in ctx.plan.backgrounds] == [
        ("transparent", -10.0)
    ], reply
    assert ("person", "left", 50.0, 60.0) in _keeps(ctx), reply


# -- 2. a halo of the old background: the edge moves in -----------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "there's a halo around my hair, pull the mask in",
        "there's a halo of the old background around my hair, pull the mask in",
        "I can see bits of the old background around my hair",
        "the old background shows around my hair, shrink the edge a bit",
        "there is a glow around my head, tighten the mask",
        "there's a white outline around me",
        "get rid of the white line around my hair",
        "the mask is too big",
        "There's a halo around my hair. Pull the mask in.",
    ],
)
def test_a_halo_moves_the_edge_in_once(text: str) -> None:
    ctx, reply, clarify = _said("make the background blue", text)
    assert not clarify, reply
    assert ctx.plan.edges.shift == pytest.approx(-1.5), reply  # one step in, not two
    assert ctx.plan.edges.refine == "guided", reply
    assert [getattr(s.background, "color", None) for s in ctx.plan.backgrounds] == [
        _said("make the background blue")[0].plan.backgrounds[0].background.color
    ], reply  # never a white background, never "back to the old one"
    assert "pulled the cut-out's edge in" in reply, reply


def test_going_back_to_the_old_background_is_still_going_back() -> None:
    ctx, reply, _ = _said("make it blue", "make it red", "go back to the old background")
    assert ctx.plan.edges.shift == 0.0, reply
    assert (
        ctx.plan.backgrounds[0].background.color
        == _said("make it blue")[0].plan.backgrounds[0].background.color
    ), reply


@pytest.mark.parametrize(
    ("more", "shift"), [("more", -3.0), ("a bit more", -3.0), ("a bit less", 0.0)]
)
def test_more_or_less_after_an_edge_change_moves_the_edge(more: str, shift: float) -> None:
    ctx, reply, _ = _said("make it blue", "pull the mask in", more)
    assert ctx.plan.edges.shift == pytest.approx(shift), reply
    assert "already" not in reply, reply


@pytest.mark.parametrize("text", ["too much, undo", "that's too much, undo it"])
def test_too_much_then_undo_takes_back_the_last_step(text: str) -> None:
    ctx, reply, _ = _said("make it blue", "pull the mask in", text)
    assert ctx.plan.edges.shift == 0.0 and len(ctx.plan.backgrounds) == 1, reply
    assert "Undid" in reply and "took that back" not in reply, reply


# -- 3. export sizes said as bare line counts ---------------------------------------------------
@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("export 1080", "1080p"),
        ("export at 720", "720p"),
        ("render it in 4k please", "4k"),
        ("make the output full hd", "1080p"),
        ("save it at 720 resolution", "720p"),
        ("can you do 1080 for the export", "1080p"),
        ("output 480", "480p"),
        ("render at 1440", "1440p"),
    ],
)
def test_a_line_count_with_an_export_word_is_the_export_size(text: str, size: str) -> None:
    ctx, reply, clarify = _said("blur the background", text)
    assert not clarify and ctx.output_size == size, reply
    assert [(s.range.start, s.range.end) for s in ctx.plan.backgrounds] == [(0.0, None)], reply
    assert "I didn't understand" not in reply, reply


def test_a_size_said_after_an_edit_is_set_too() -> None:
    ctx, reply, _ = _said("blur the background and export in 1080")
    assert ctx.output_size == "1080p" and ctx.plan.backgrounds[0].background.type == "blur", reply
    assert "1080" in reply, reply


# -- 4. people on a one-person video ------------------------------------------------------------
@pytest.mark.parametrize(
    "text", ["keep the second person", "keep the other person", "only keep the third guy"]
)
def test_an_nth_person_on_a_one_person_video_says_there_is_one(text: str) -> None:
    ctx, reply, _ = _said("remove the background", text, people=1)
    before = _said("remove the background", people=1)[0].plan
    assert ctx.plan == before, reply
    assert "only one person" in reply and "object" not in reply, reply
    assert "Understood" not in reply, reply


@pytest.mark.parametrize(
    "text", ["keep the guy on the left", "keep the woman on the right", "keep the one in red"]
)
def test_a_choice_of_people_on_a_one_person_video_is_that_person(text: str) -> None:
    ctx, reply, _ = _said("remove the background", text, people=1)
    assert [k.selector for k in ctx.plan.keep] == [None], reply  # never nobody
    assert "only one person" in reply, reply


def test_on_a_two_person_video_a_side_works_as_before() -> None:
    ctx, reply, _ = _said("remove the background", "keep the guy on the left", people=2)
    assert [k.selector for k in ctx.plan.keep] == ["left"], reply
    assert "P1" in reply and "only one" not in reply, reply
    ctx, reply, _ = _said("remove the background", "keep the woman on the right", people=2)
    assert [k.selector for k in ctx.plan.keep] == ["right"], reply  # "right" is not a filler


def test_the_second_person_of_two_is_asked_about() -> None:
    ctx, reply, _ = _said("remove the background", "keep the second person", people=2)
    assert [k.selector for k in ctx.plan.keep] == [None], reply  # unchanged
    assert "P1" in reply and "P2" in reply and "left" in reply and "Understood" not in reply


def test_the_second_person_without_people_analysis_asks_which() -> None:
    ctx, reply, _ = _said("remove the background", "keep the second person")
    assert "object" not in reply and "Understood" not in reply, reply
    assert "left" in reply, reply


# -- 5. spoken fillers around people and speakers -----------------------------------------------
@pytest.mark.parametrize(
    ("text", "subject"),
    [
        ("um keep, like, just me", "person"),
        ("keep just me", "person"),
        ("just me please", "person"),
        ("keep only the one who's talking, thanks", "speaker"),
        ("can you keep the person talking and lose everyone else", "speaker"),
        ("lose everyone else and keep the speaker", "speaker"),
        ("remove everyone except me", "person"),
        ("remove everybody but the speaker", "speaker"),
        ("uh, could you, um, keep just the guy who's speaking?", "speaker"),
        ("keep me and get rid of the others", "person"),
        ("just the speaker thanks", "speaker"),
    ],
)
def test_fillers_around_a_keep_keep_that_person(text: str, subject: str) -> None:
    ctx, reply, clarify = _said(text)
    assert not clarify and "won't remove every person" not in reply, reply
    assert [k.subject for k in ctx.plan.keep] == [subject], reply
    if subject == "speaker":
        assert "once the speakers are known" in reply, reply


def test_losing_everyone_is_still_refused() -> None:
    ctx, reply, _ = _said("lose everyone")
    assert "won't remove every person" in reply and ctx.plan.keep == [], reply


# -- more phrasings a new user tried (the second batch) -----------------------------------------
@pytest.mark.parametrize(
    "question", ["what did you do?", "what's the plan?", "so what's the plan now", "recap"]
)
def test_a_question_about_the_plan_is_answered_and_changes_nothing(question: str) -> None:
    ctx, reply, clarify = _said("blur the background", "export 720", question)
    before = _said("blur the background", "export 720")[0]
    assert ctx.plan == before.plan and ctx.output_size == "720p", reply
    assert not clarify and "blur" in reply and "720p" in reply, reply
    assert "Understood" not in reply, reply


def test_a_question_about_an_empty_plan_says_nothing_yet() -> None:
    ctx, reply, _ = _said("what have you changed so far")
    assert ctx.plan.is_empty() and "Nothing yet" in reply, reply


@pytest.mark.parametrize("again", ["bring it back", "actually put it back", "undo the undo"])
def test_bringing_an_undone_change_back_is_a_redo(again: str) -> None:
    ctx, reply, _ = _said("make it blue", "undo", again)
    assert len(ctx.plan.backgrounds) == 1 and "Redid" in reply, reply


def test_undo_everything_starts_over() -> None:
    ctx, reply, _ = _said("make it blue", "make it red", "undo everything")
    assert ctx.plan.is_empty() and "started over" in reply, reply


def test_resetting_default_edges_says_nothing_changed_only() -> None:
    _, reply, _ = _said("make it blue", "reset the edges")
    assert "already" in reply and "put the edge settings back" not in reply, reply


@pytest.mark.parametrize("text", ["feather the edges more", "soften the edges a bit more"])
def test_more_about_the_edges_is_not_more_blur(text: str) -> None:
    ctx, reply, _ = _said("blur the background", text)
    assert ctx.plan.backgrounds[0].background.strength == pytest.approx(0.6), reply
    assert ctx.plan.edges.feather > 1.5, reply


@pytest.mark.parametrize(
    ("text", "kind", "subject", "selector"),
    [
        ("keep the two of us and blur the rest", "blur", "person", "all"),
        ("blur everyone except the speaker", "blur", "speaker", None),
        ("remove the background behind whoever is talking", "transparent", "speaker", None),
        ("cut out the speaker", "transparent", "speaker", None),
        ("remove the background and keep the tallest person", "transparent", "person", "largest"),
    ],
)
def test_people_said_in_other_words(
    text: str, kind: str, subject: str, selector: str | None
) -> None:
    ctx, reply, clarify = _said(text)
    assert not clarify and [s.background.type for s in ctx.plan.backgrounds] == [kind], reply
    assert (subject, selector) in [(k.subject, k.selector) for k in ctx.plan.keep], reply


@pytest.mark.parametrize("text", ["I only want the presenter", "give me just the speaker"])
def test_only_wanting_someone_keeps_them(text: str) -> None:
    ctx, reply, clarify = _said(text)
    assert not clarify and len(ctx.plan.keep) == 1, reply


@pytest.mark.parametrize("text", ["export at 60fps", "set the frame rate to 25"])
def test_a_frame_rate_is_never_a_time(text: str) -> None:
    ctx, reply, _ = _said("blur the background", text)
    assert ctx.plan == _said("blur the background")[0].plan, reply
    assert "frame rate" in reply and "past the end" not in reply, reply


def test_a_frame_rate_beside_a_size_sets_the_size_and_says_the_rate() -> None:
    ctx, reply, _ = _said("blur the background", "export in 1080 at 30 fps")
    assert ctx.output_size == "1080p" and "frame rate" in reply, reply
    ctx, reply, _ = _said("blur the background", "lower the resolution to 720")
    assert ctx.output_size == "720p", reply


# -- the same, once the speakers are known ------------------------------------------------------
def _talks() -> Timeline:
    """A 60 s timeline: S1 talks 1-20 s (face on the left), S2 25-50 s (face on the right)."""
    from backdrop.perception.core.events import ActiveSpeaker, SpeakerTurn, Speech

    tl = Timeline(duration=60.0)
    tl.add([
        Speech(t0=1.0, t1=20.0, source="vad"), Speech(t0=25.0, t1=50.0, source="vad"),
        SpeakerTurn(t0=1.0, t1=20.0, source="spk", speaker="S1"),
        SpeakerTurn(t0=25.0, t1=50.0, source="spk", speaker="S2"),
        ActiveSpeaker(t0=1.0, t1=20.0, source="asd", speaker="S1", box=(100, 100, 300, 300)),
        ActiveSpeaker(t0=25.0, t1=50.0, source="asd", speaker="S2", box=(900, 100, 1100, 300)),
    ])  # fmt: skip
    return tl


def _said_known(*texts: str) -> tuple[ToolContext, str]:
    ctx = ToolContext(duration=60.0, timeline=_talks())
    return ctx, _last_reply(ctx, texts)[0]


@pytest.mark.parametrize(
    ("text", "speaker", "start", "end"),
    [
        ("only keep the speaker for the first 30 seconds", None, 0.0, 30.0),
        ("keep the second speaker for the last 20 seconds", "S2", 40.0, 60.0),
    ],
)
def test_a_speaker_keep_for_a_time_once_the_speakers_are_known(
    text: str, speaker: str | None, start: float, end: float
) -> None:
    ctx, reply = _said_known(text)
    assert "couldn't" not in reply, reply
    got = [(s.background.type, *s.range.resolve(60.0)) for s in ctx.plan.backgrounds]
    assert got == [("transparent", start, end)], reply
    keeps = [(k.subject, k.speaker, *k.range.resolve(60.0)) for k in ctx.plan.keep]
    assert ("speaker", speaker, start, end) in keeps, reply


def test_a_speaker_keep_for_a_time_leaves_the_blur_whole_once_known() -> None:
    ctx, reply = _said_known("blur it", "only keep the speaker for the first 30 seconds")
    assert [(s.range.start, s.range.end) for s in ctx.plan.backgrounds] == [(0.0, None)], reply


def test_lose_everyone_else_once_the_speakers_are_known() -> None:
    ctx, reply = _said_known("can you keep the person talking and lose everyone else")
    assert [k.subject for k in ctx.plan.keep] == ["speaker"], reply


# -- the third batch: praise, edges said as complaints, starting over ---------------------------
@pytest.mark.parametrize(
    "text", ["looks good", "perfect, thanks", "the edges are fine, leave them", "that's great"]
)
def test_praise_changes_nothing_and_says_so(text: str) -> None:
    ctx, reply, clarify = _said("make it blue", text)
    assert ctx.plan == _said("make it blue")[0].plan and not clarify, reply
    assert "nothing changed" in reply and "Understood" not in reply, reply


@pytest.mark.parametrize(
    ("text", "shift"),
    [
        ("the cutout is eating my hair", 1.5),
        ("my ear keeps getting cut off", 1.5),
        ("there's some fringing", -1.5),
        ("you can still see the old wall around my arm", -1.5),
    ],
)
def test_edge_complaints_move_the_edge(text: str, shift: float) -> None:
    ctx, reply, _ = _said("make it blue", text)
    assert ctx.plan.edges.shift == pytest.approx(shift) and "couldn't" not in reply, reply


@pytest.mark.parametrize("text", ["throw it all away", "go back to the original"])
def test_starting_over_said_loosely(text: str) -> None:
    ctx, reply, _ = _said("make it blue", text)
    assert ctx.plan.is_empty() and "started over" in reply, reply


def test_the_original_colour_is_still_the_earlier_colour() -> None:
    ctx, reply, _ = _said("make it blue", "make it red", "go back to the original colour")
    assert len(ctx.plan.backgrounds) == 1 and "red" not in reply, reply


# -- the fourth batch: "don't keep", questions, "render it" -------------------------------------
@pytest.mark.parametrize("text", ["don't keep the speaker", "stop keeping the speaker"])
def test_not_keeping_the_speaker_goes_back_to_the_main_person(text: str) -> None:
    ctx, reply, _ = _said("blur it", "keep the speaker", text)
    assert [(k.subject, k.selector) for k in ctx.plan.keep] == [("person", "main")], reply
    assert "keep the speaker" not in reply.replace("keep the speaker (", ""), reply


@pytest.mark.parametrize("text", ["what's happening at 0:30?", "is it done?"])
def test_a_question_is_never_an_edit(text: str) -> None:
    ctx, reply, _ = _said("blur it", text)
    assert ctx.plan == _said("blur it")[0].plan and "Understood" not in reply, reply


def test_how_long_is_the_video_is_answered() -> None:
    ctx, reply, _ = _said("blur it", "how long is the video")
    assert "1:00" in reply and "Understood" not in reply, reply


@pytest.mark.parametrize("text", ["is it possible to make it blue", "how about blue"])
def test_a_request_said_as_a_question_is_still_done(text: str) -> None:
    ctx, reply, _ = _said(text)
    assert len(ctx.plan.backgrounds) == 1, reply


@pytest.mark.parametrize("text", ["can you render it", "export it"])
def test_render_it_says_how_and_changes_nothing(text: str) -> None:
    ctx, reply, clarify = _said("blur it", text)
    assert ctx.plan == _said("blur it")[0].plan and "/render" in reply, reply


def test_undoing_more_than_was_done_undoes_what_there_is_and_says_so() -> None:
    ctx, reply, _ = _said("blur it", "undo twice")
    assert ctx.plan.is_empty() and "Undid" in reply and "only 1 change" in reply, reply
    assert "couldn't" not in reply, reply


def test_undo_the_edges_does_not_refine_them() -> None:
    ctx, reply, _ = _said("blur it", "soften the edges", "undo the edges")
    assert ctx.plan.edges == _said("blur it")[0].plan.edges and "refined" not in reply, reply


def test_a_refused_speaker_keep_does_not_say_the_background_was_removed() -> None:
    from backdrop.perception.core.events import Speech

    tl = Timeline(duration=60.0)
    tl.add([Speech(t0=1.0, t1=20.0, source="vad")])  # speech, but no face seen talking
    ctx = ToolContext(duration=60.0, timeline=tl)
    reply, _ = _last_reply(ctx, ("only keep the speaker for the first 3 seconds",))
    assert ctx.plan.is_empty() and "couldn't" in reply, reply
    assert "removed the background" not in reply, reply
