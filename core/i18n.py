"""Names kept in Chinese and English: the one to show in the active language."""

from django.utils.translation import get_language


def is_english() -> bool:
    """Whether the active language is English (Chinese first: any other language reads the Chinese)."""
    return (get_language() or "").startswith("en")


def localised(name_zh: str, name_en: str, *, english: bool | None = None) -> str:
    """The English name on an English page when there is one; the Chinese name otherwise. ``english``: the
    language, decided once by a caller that names many rows (default: the active language)."""
    if (is_english() if english is None else english) and name_en:
        return name_en
    return name_zh
