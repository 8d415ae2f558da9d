"""Comparison keys of names, emails and serial numbers: what makes two records "the same" for
duplicate detection (imports on the laptop and on the server, the store's duplicate scan).

Company names: full-width and half-width forms, case, spaces and punctuation, and legal
suffixes such as 有限公司 / 股份有限公司 / 有限责任公司 / 集团 / Co., Ltd. are ignored. Person
names: width, case, spaces and punctuation. Serial numbers and models: width, case, spaces and
punctuation (``SN-0012 3`` is ``sn00123``).
"""

from __future__ import annotations

import re
import unicodedata

#: Legal-form suffixes, longest first, written as they look after normalisation (no spaces or
#: punctuation, lower case). They are removed repeatedly: 某某集团股份有限公司 → 某某.
_SUFFIXES = tuple(
    sorted(
        {
            "股份有限公司",
            "有限责任公司",
            "集团有限公司",
            "集团股份有限公司",
            "有限公司",
            "集团公司",
            "集团",
            "公司",
            "股份公司",
            "总公司",
            "分公司",
            "companylimited",
            "colimited",
            "coltd",
            "limited",
            "ltd",
            "incorporated",
            "inc",
            "corporation",
            "corp",
            "company",
            "group",
            "holdings",
            "llc",
            "plc",
            "gmbh",
            "co",
        },
        key=len,
        reverse=True,
    )
)
_DROP = re.compile(r"[\s\W_]+", re.UNICODE)


def normalise_company_name(name: str | None) -> str:
    """The comparison key of a company name ("" for none).

    >>> normalise_company_name("华为技术有限公司") == normalise_company_name(" 华为技术 股份有限公司")
    True
    >>> normalise_company_name("ＡＢＣ Trading Co., Ltd.") == normalise_company_name("abc trading")
    True
    """
    if not name:
        return ""
    text = unicodedata.normalize("NFKC", name).casefold()
    text = _DROP.sub("", text)
    changed = True
    while changed:
        changed = False
        for suffix in _SUFFIXES:
            if text.endswith(suffix) and len(text) > len(suffix):
                text = text[: -len(suffix)]
                changed = True
                break
    return text


def normalise_person_name(name: str | None) -> str:
    if not name:
        return ""
    return _DROP.sub("", unicodedata.normalize("NFKC", name).casefold())


def normalise_email(email: str | None) -> str:
    return unicodedata.normalize("NFKC", email).strip().casefold() if email else ""


def normalise_code(text: object) -> str:
    """The comparison key of a serial number or a model ("" for none)."""
    if text is None:
        return ""
    return _DROP.sub("", unicodedata.normalize("NFKC", str(text)).casefold())
