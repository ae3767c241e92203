"""Who buys more and who leaves sooner (analytics/member_effects), in the reader's words."""
from __future__ import annotations

from retention_lib.analytics.member_effects import clear_effects
from retention_lib.core.messages import Message
from retention_lib.report.text import say, say_html


def _who(e: dict) -> Message:
    """The members an effect is about, and those they are compared with."""
    key = e["attribute"]
    if e["missing"]:
        return Message(f"effects.missing.{key}" if key == "detractor" else "effects.missing",
                       attribute=Message(f"effects.attribute.{key}"))
    if e["level"] is None:   # a yes/no attribute
        return Message(f"effects.flag.{key}")
    return Message("effects.level", attribute=Message(f"effects.attribute.{key}"), level=e["level"])


def _reference(e: dict) -> Message:
    key = e["attribute"]
    if e["missing"] or e["level"] is None:
        return Message(f"effects.flag_reference.{key}" if not e["missing"] else "effects.known_reference",
                       attribute=Message(f"effects.attribute.{key}"))
    return Message("effects.level", attribute=Message(f"effects.attribute.{key}"), level=e["reference"])


def sentences(effects: dict, html: bool = True, kinds=("purchase", "leaving")) -> list[str]:
    """One paragraph's sentences: the clear effects of `kinds`, or that none is clear, or why there are none.
    The report says buying's only: on grocery data leaving is read per purchase (BG/NBD's dropout), and a
    member who buys less has fewer purchases to leave after, so its odds can run against the silence the
    satisfaction section counts; notebook 03 shows both, with that caveat."""
    speak = say_html if html else say
    if "reason" in effects:
        return [speak("effects.reason", reason=effects["reason"])]
    clear = clear_effects(effects, kinds)
    note = [speak(effects["dropout_note"])] if effects.get("dropout_note") and "leaving" in kinds else []
    if not clear:
        return [speak("effects.none", members=effects["members"])] + note
    return [speak("effects.intro", members=effects["members"])] + [
        speak(f"effects.{e['kind']}", who=_who(e), reference=_reference(e), ratio=e["ratio"], low=e["low"],
              high=e["high"]) for e in clear] + note
