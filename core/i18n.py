"""Names kept in Chinese and English: the one to show in the active language."""

from django.utils.translation import get_language


def localised(name_zh: str, name_en: str) -> str:
    """The English name on an English page when there is one; the Chinese name otherwise."""
    if (get_language() or "").startswith("en") and name_en:
        return name_en
    return name_zh
