"""Keep the zh-CN gettext catalogue in step with the English message catalogue.

    PYTHONPATH=. python tools/sync_zh_catalogue.py            # report only
    PYTHONPATH=. python tools/sync_zh_catalogue.py --write    # rewrite the .po (sorted, current English)
    PYTHONPATH=. python tools/sync_zh_catalogue.py --apply new.json --write   # merge translations first
    PYTHONPATH=. python tools/sync_zh_catalogue.py --check    # exit 1 unless complete and exact
    PYTHONPATH=. python tools/sync_zh_catalogue.py --todo todo.json   # what to translate, with its English

The English templates are `MESSAGES` of retention_lib.report.catalogue (msgid = key); each .po entry
carries the English it translates as its `#. English:` comment. The report lists
- missing: keys of MESSAGES without a translation;
- obsolete: entries whose key is no longer in MESSAGES;
- changed: entries whose `English:` comment differs from the current English, or marked fuzzy
  (a rewrite marks a changed entry fuzzy and records the new English, so the entry stays flagged,
  and left out of the compiled .mo, until its translation is revised: `--apply` clears the flag);
- mismatched: translations whose `{name:spec}` fields, `{{`/`}}`, HTML tags and entities, or markdown
  marks (`**`, backticks) differ from the English;
- latin: Latin words in the Chinese text outside the allow-list (placeholders, markup and one-letter
  parameters such as "p = " excluded);
- names: file, folder, field and option names in the Chinese text (rejects.csv, `actions/`, --force),
  kept as written: listed for review, not a failure.
`--write` rewrites the .po sorted by key with the current English as each comment, drops obsolete
entries and keeps every translation; the same inputs give the same bytes (no dates in the header).
`--apply FILE` merges a JSON object {key: translation} (a translation for an unknown key is an error).
`--todo FILE` writes the missing and changed keys with their English and current translation.
"""
from __future__ import annotations

import argparse
import io
import json
import re
import string
import sys
from collections import Counter
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "retention_lib" / "report" / "locale" / "zh_CN" / "LC_MESSAGES" / "messages.po"
PREFIX = "English: "
UNWRAPPED = 1 << 30   # no line is wrapped: an English comment stays one line, compared as written
# Latin words a zh-CN reader may see: the abbreviations the report defines in its glossary.
ALLOWED = frozenset({"NPS", "CSAT", "CLV", "RFM", "VIP"})
HEADER = """\
# Simplified Chinese (zh-CN) catalogue of retention-report (msgid = the English catalogue key).
# The "English:" comment is the English template the msgstr translates.
# Kept in step with the English by tools/sync_zh_catalogue.py.
msgid ""
msgstr ""
"Project-Id-Version: retention-report\\n"
"Language-Team: zh_CN\\n"
"Language: zh_CN\\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=UTF-8\\n"
"Content-Transfer-Encoding: 8bit\\n"
"Plural-Forms: nplurals=1; plural=0;\\n"

"""
_FORMATTER = string.Formatter()
_TAG = re.compile(r"<[^>]+>|&#?\w+;")
_CODE = re.compile(r"`[^`]*`")
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
_FILE = re.compile(r"(?:[\w.-]+/)*[\w.-]*\w\.\w+|\w+_\w+|--\w[\w-]*")   # rejects.csv, actions/retain.csv, run_dir, --force
_SYMBOL = re.compile(r"(?<![A-Za-z])[A-Za-z](?=\s*[=<>≤≥])")   # a model parameter: p = 0.8


def english_messages() -> dict[str, str]:
    sys.path.insert(0, str(ROOT))
    from retention_lib.report.catalogue import MESSAGES
    return dict(MESSAGES)


def comment_of(english: str) -> str:
    """The English as one comment line (a newline written as \\n)."""
    return PREFIX + english.replace("\n", "\\n")


def _same_text(a: str, b: str) -> bool:
    return a.split() == b.split()


def fields(template: str) -> Counter:
    """The template's replacement fields as (name, spec, conversion), and its literal braces."""
    found = Counter((name, spec, conv) for _, name, spec, conv in _FORMATTER.parse(template) if name is not None)
    found[("{{", "", None)] = template.count("{{")
    found[("}}", "", None)] = template.count("}}")
    return +found


def markup(template: str) -> Counter:
    return Counter(_TAG.findall(template)) + Counter({"**": template.count("**"), "`": template.count("`")})


def latin_words(translation: str) -> tuple[list[str], list[str]]:
    """Latin words of a translation outside the allow-list, and the names it keeps as written (code
    spans, file, field and option names: rejects.csv, `actions/`, --force)."""
    literal = _TAG.sub(" ", "".join(text for text, *_ in _FORMATTER.parse(translation)))
    literal = _SYMBOL.sub(" ", literal)
    names = _CODE.findall(literal)
    literal = _CODE.sub(" ", literal)
    names += _FILE.findall(literal)
    words = [w for w in _WORD.findall(_FILE.sub(" ", literal)) if w not in ALLOWED]
    return words, [n.strip("`") for n in names if n.strip("` ")]


def problems(english: str, translation: str) -> list[str]:
    """How a translation breaks its English template's placeholders or markup ([] when it keeps them)."""
    out = []
    try:
        got = fields(translation)
    except ValueError as e:
        return [f"does not parse: {e}"]
    want = fields(english)
    if got != want:
        out.append(f"fields: English has {dict(want - got) or '-'} more, translation {dict(got - want) or '-'} more")
    if markup(translation) != markup(english):
        out.append(f"markup: English {dict(+markup(english))}, translation {dict(+markup(translation))}")
    return out


def load(path: Path = PO) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale="zh_CN")


def report(catalogue: Catalog, english: dict[str, str]) -> dict[str, list]:
    entries = {m.id: m for m in catalogue if m.id}
    out: dict[str, list] = {"missing": [], "obsolete": [], "changed": [], "mismatched": [], "latin": [], "names": []}
    for key in sorted(english):
        m = entries.get(key)
        if m is None or not m.string:
            out["missing"].append(key)
            continue
        recorded = " ".join(m.auto_comments)
        if m.fuzzy or not recorded.startswith(PREFIX.strip()) or not _same_text(recorded, comment_of(english[key])):
            out["changed"].append(key)
        for p in problems(english[key], m.string):
            out["mismatched"].append(f"{key}: {p}")
        words, names = latin_words(m.string)
        out["latin"] += [f"{key}: {w}" for w in words]
        out["names"] += [f"{key}: {n}" for n in names]
    out["obsolete"] = sorted(set(entries) - set(english))
    return out


def apply(catalogue: Catalog, english: dict[str, str], translations: dict[str, str]) -> None:
    unknown = sorted(set(translations) - set(english))
    if unknown:
        raise SystemExit(f"translations for keys not in the catalogue: {unknown}")
    for key, text in translations.items():
        m = catalogue.get(key)
        if m is None:
            catalogue.add(key, text, auto_comments=[comment_of(english[key])])
        else:
            m.string = text
            m.flags.discard("fuzzy")
            m.auto_comments = [comment_of(english[key])]   # revised against the current English


def rewrite(catalogue: Catalog, english: dict[str, str]) -> bytes:
    """The .po text: every English key sorted, its current English as the comment, translations kept,
    a translation whose English changed marked fuzzy, obsolete entries dropped."""
    out = Catalog(locale="zh_CN", fuzzy=False)
    changed = set(report(catalogue, english)["changed"])
    for key in sorted(english):
        m = catalogue.get(key)
        text = m.string if m is not None else ""
        flags = ("fuzzy",) if key in changed and text else ()
        out.add(key, text, auto_comments=[comment_of(english[key])], flags=flags)
    buf = io.BytesIO()
    write_po(buf, out, width=UNWRAPPED, omit_header=True, no_location=True)
    return HEADER.encode("utf-8") + buf.getvalue().rstrip(b"\n") + b"\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--po", type=Path, default=PO)
    parser.add_argument("--apply", type=Path, action="append", default=[], help="JSON {key: translation}")
    parser.add_argument("--write", action="store_true", help="rewrite the .po")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when a key is missing, changed, mismatched or has Latin words")
    parser.add_argument("--todo", type=Path, help="write the missing and changed keys as JSON for --apply: "
                        "{key: {english, translation}}; fill in each translation, keep only the strings")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every key (default: the first 20)")
    args = parser.parse_args(argv)

    english = english_messages()
    catalogue = load(args.po)
    for path in args.apply:
        apply(catalogue, english, json.loads(path.read_text(encoding="utf-8")))
    if args.write:
        args.po.write_bytes(rewrite(catalogue, english))
        catalogue = load(args.po)
    found = report(catalogue, english)
    if args.todo:
        todo = {k: {"english": english[k], "translation": catalogue.get(k).string if catalogue.get(k) else ""}
                for k in sorted({*found["missing"], *found["changed"]})}
        args.todo.write_text(json.dumps(todo, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(found, ensure_ascii=False, indent=1))
    else:
        print(f"{args.po}: {sum(1 for m in catalogue if m.id)} entries, {len(english)} English keys")
        for kind, items in found.items():
            print(f"{kind}: {len(items)}")
            for item in items if args.verbose else items[:20]:
                print(f"  {item}")
            if not args.verbose and len(items) > 20:
                print(f"  … {len(items) - 20} more (-v)")
    bad = found["missing"] or found["changed"] or found["mismatched"] or found["latin"] \
        or (found["obsolete"] and not args.write)
    return 1 if args.check and bad else 0


if __name__ == "__main__":
    sys.exit(main())
