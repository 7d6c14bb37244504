"""Names kept in Chinese and English: the one to show in the active language."""

from django.utils.translation import get_language


def is_english() -> bool:
    """Whether the active language is English (Chinese first: any other language reads the Chinese)."""
    return (get_language() or "").startswith("en")


def localised(name_zh: str, name_en: str) -> str:
    """The English name on an English page when there is one; the Chinese name otherwise."""
    if is_english() and name_en:
        return name_en
    return name_zh
