"""The reader's language: gettext catalogues by catalogue key, and the Babel locale numbers and dates use.

English templates live in `retention_lib.report.catalogue` (the msgids are their keys). Every other
language is a gettext catalogue, `locale/<ll_CC>/LC_MESSAGES/messages.po`, managed with Babel and
compiled to `.mo` when the project is installed (`make install`, or the wheel build). A key missing
from the active language's catalogue is an error, never an English fallback: the tests keep the
catalogues complete.
"""
from __future__ import annotations

import contextlib
import gettext
from functools import lru_cache
from pathlib import Path

from babel import Locale

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
# The tags repeat core.config's LANGUAGES and DEFAULT_LANGUAGE on purpose: setup.py loads this file
# alone (Babel and the standard library only) to compile the catalogues in a build; a test keeps
# the two in step.
DEFAULT = "en"
# Language tag (config, CLI) -> gettext folder / Babel locale identifier.
LANGUAGES: dict[str, str] = {"en": "en", "zh-CN": "zh_CN"}

_active = DEFAULT


class MissingTranslation(KeyError):
    """A catalogue key the active language's catalogue has no entry for."""


def check(language: str) -> str:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, got {language!r}")
    return language


def use(language: str) -> None:
    """Make `language` the reader's language for every message and formatted number from now on."""
    global _active
    check(language)
    if language != DEFAULT:
        _translations(language)   # fails now, not halfway through a report, when it is not compiled
    _active = language


def active() -> str:
    return _active


@contextlib.contextmanager
def speaking(tag: str):
    """Within: `tag` is the active language (a file written or read in the report's language); after,
    the one before."""
    before = active()
    use(tag)
    try:
        yield
    finally:
        use(before)


def locale() -> Locale:
    return _locale(_active)


@lru_cache(maxsize=None)
def _locale(language: str) -> Locale:
    return Locale.parse(LANGUAGES[language])


@lru_cache(maxsize=None)
def _translations(language: str) -> gettext.GNUTranslations:
    folder = LANGUAGES[language]
    try:
        return gettext.translation(DOMAIN, localedir=str(LOCALE_DIR), languages=[folder])
    except FileNotFoundError:
        raise FileNotFoundError(
            f"the {language} catalogue is not compiled ({LOCALE_DIR / folder / 'LC_MESSAGES' / DOMAIN}.mo is "
            "missing): run `make install` to compile it") from None


def template(key: str, english: str) -> str:
    """The template of `key` in the active language (`english` is the catalogue's own)."""
    if _active == DEFAULT:
        return english
    found = _translations(_active).gettext(key)   # the key itself when it has no entry
    if found == key:
        raise MissingTranslation(f"{key!r} has no {_active} translation in "
                                 f"{LOCALE_DIR / LANGUAGES[_active] / 'LC_MESSAGES' / DOMAIN}.po")
    return found


def catalogue_path(language: str) -> Path:
    return LOCALE_DIR / LANGUAGES[check(language)] / "LC_MESSAGES" / f"{DOMAIN}.po"


def compile_catalogues(folder: Path = LOCALE_DIR) -> list[Path]:
    """Compile every `.po` under `folder` to its `.mo` with Babel (run at install and build time)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(folder.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        with po.open("rb") as f:
            catalogue = read_po(f, locale=po.parents[1].name)
        mo = po.with_suffix(".mo")
        with mo.open("wb") as f:
            write_mo(f, catalogue)
        written.append(mo)
    return written
