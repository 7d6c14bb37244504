"""QR codes of passport URLs (segno: ISO/IEC 18004), as SVG for print and PNG for screens."""

from __future__ import annotations

import io

import segno


def qr_image(url: str, *, kind: str, scale: int = 8) -> bytes:
    """``kind`` is ``svg`` or ``png``; error correction M survives a scuffed label (about 15 % damage)."""
    code = segno.make(url, error="m", micro=False)
    out = io.BytesIO()
    if kind == "svg":
        code.save(out, kind="svg", scale=scale, border=4, xmldecl=False)
    else:
        code.save(out, kind="png", scale=scale, border=4)
    return out.getvalue()
