"""Wire formats: what the browser editor's pages receive and the API answers, as JSON dicts.

Times are absolute seconds in the source video. :func:`message_payloads` turns one session
:class:`~backdrop.agent.session.Message` into the payloads the hub sends to the pages.
"""

from __future__ import annotations

import base64
from typing import Any

from backdrop.agent.proactive import Notice
from backdrop.agent.replies import Reply
from backdrop.agent.session import (
    DoneMessage,
    ErrorMessage,
    Message,
    NoticeMessage,
    PreviewMessage,
    ProgressMessage,
    RefinedMessage,
    ReplyMessage,
    Session,
)
from backdrop.perception.core.events import LightingChange, PeopleCount, SceneCut, SpeakerTurn
from backdrop.render.plan import EditPlan, describe_background
from backdrop.render.preview import encode_jpeg


def reply_dict(heard: str, reply: Reply) -> dict[str, Any]:
    """The API's answer to an instruction, a notice answer or a click."""
    return {"heard": heard, "text": reply.text, "changed": reply.changed,
            "clarify": reply.clarify}  # fmt: skip


def notice_dict(n: Notice) -> dict[str, Any]:
    out = {"type": "notice", "id": n.id, "kind": n.kind, "t": round(n.t, 3), "text": n.text}
    if n.choices:  # "everyone" and each person, with a thumbnail where there is one person
        out["choices"] = [
            {"label": label,
             "thumb": f"/api/notices/{n.id}/choices/{i}.jpg"
             if i < len(n.thumbs) and n.thumbs[i] is not None else None}
            for i, (label, _) in enumerate(n.choices)
        ]  # fmt: skip
    return out


def _events(session: Session) -> list[dict[str, Any]]:
    """Scene events for the timeline: cuts, lighting changes, people counts above one, and
    speaker turns (a speaker's turns less than a second apart merged)."""
    events: list[dict[str, Any]] = []
    last_turn: dict[str, Any] | None = None
    for e in session.state.events():
        if isinstance(e, SceneCut):
            events.append({"type": "cut", "t0": e.t1, "t1": e.t1, "label": "scene cut"})
        elif isinstance(e, LightingChange):
            word = "brighter" if e.delta_luma > 0 else "darker"
            events.append({"type": "lighting", "t0": e.t0, "t1": e.t1,
                           "label": f"lighting {word} ({e.delta_luma:+.2f})"})  # fmt: skip
        elif isinstance(e, PeopleCount) and e.n > 1:
            events.append({"type": "people", "t0": e.t0, "t1": e.t1, "label": f"{e.n} people"})
        elif isinstance(e, SpeakerTurn):
            if last_turn and last_turn["speaker"] == e.speaker and e.t0 - last_turn["t1"] < 1.0:
                last_turn["t1"] = max(last_turn["t1"], e.t1)
                continue
            last_turn = {"type": "speaker", "t0": e.t0, "t1": e.t1, "speaker": e.speaker,
                         "label": f"speaker {e.speaker}"}  # fmt: skip
            events.append(last_turn)
    return events


def timeline_dict(session: Session) -> dict[str, Any]:
    """What the page draws on its timeline, in absolute seconds: the plan's background segments
    (with fades) and keep rules, scene events (cuts, lighting, speaker turns, people counts), how
    far processing got, the stretches the quality tier refined for the current plan
    (``refined``: ``[[t0, t1], ...]``), and the notices still waiting for an answer."""
    duration = session.info.duration
    plan: EditPlan = session.plan
    backgrounds = []
    for seg in plan.backgrounds:
        t0, t1 = seg.range.resolve(duration)
        backgrounds.append(
            {
                "t0": t0,
                "t1": t1,
                "kind": seg.background.type,
                "colors": seg.background.swatch(),
                "label": describe_background(seg.background),
                "opacity": seg.opacity,
                "fade_in": seg.fade_in.duration if seg.fade_in else 0.0,
                "fade_out": seg.fade_out.duration if seg.fade_out else 0.0,
            }
        )
    keep = []
    for k in plan.keep:
        t0, t1 = k.range.resolve(duration)
        keep.append({"t0": t0, "t1": t1, "action": k.action, "subject": k.subject,
                     "label": k.describe()})  # fmt: skip
    return {
        "type": "timeline",
        "duration": duration,
        "processed_until": session.state.processed_until,
        "refined": [[round(a, 3), round(b, 3)] for a, b in session.refined_ranges()],
        "backgrounds": backgrounds,
        "keep": keep,
        "events": _events(session)[:2000],
        "plan": plan.describe(),
        "pending": [n.id for n in list(session.pending)],
    }


def message_payloads(msg: Message, session: Session) -> list[tuple[dict[str, Any], bool]]:
    """``msg`` as ``(payload, keep in the conversation history)`` pairs for the pages."""
    if isinstance(msg, PreviewMessage):
        jpeg = base64.b64encode(encode_jpeg(msg.rgb)).decode("ascii")
        return [({"type": "preview", "t": round(msg.t, 4), "jpeg": jpeg}, False)]
    if isinstance(msg, ProgressMessage):
        progress = {"type": "progress", "t": msg.t, "duration": msg.duration}
        return [(progress, False), (timeline_dict(session), False)]
    if isinstance(msg, ReplyMessage):
        reply = {"type": "reply", "heard": msg.heard, "text": msg.text, "changed": msg.changed,
                 "clarify": msg.clarify}  # fmt: skip
        return [(reply, True), (timeline_dict(session), False)]
    if isinstance(msg, NoticeMessage):
        return [(notice_dict(msg.notice), True), (timeline_dict(session), False)]
    if isinstance(msg, RefinedMessage):
        return [(timeline_dict(session), False)]
    if isinstance(msg, ErrorMessage):
        return [({"type": "error", "text": msg.text}, True)]
    if isinstance(msg, DoneMessage):
        return [({"type": "done"}, False), (timeline_dict(session), False)]
    return []
