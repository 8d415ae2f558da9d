"""Validators for user input. Each raises :class:`ValidationError` naming the field.

Messages are translated when raised (the current language of the process), so the CLI, the GUI
and import reports show them as they are.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from enum import StrEnum
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES

from ..errors import ValidationError
from ..i18n import N_, _

# GB 32100-2015: 18 characters from this 31-character set (no I, O, S, V, Z), the last a check.
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_FULLWIDTH = str.maketrans({chr(0xFF01 + i): chr(0x21 + i) for i in range(94)} | {"\u3000": " "})


def to_halfwidth(text: str) -> str:
    """Full-width ASCII forms (Ａ１２) to ordinary ones, as Chinese input methods often produce."""
    return text.translate(_FULLWIDTH)


#: Characters no text may hold: NUL and other C0 controls (tab and line breaks are allowed in
#: multi-line text), unpaired surrogates, the non-characters U+FFFE and U+FFFF. The sync server
#: refuses them too (a value it accepts must be storable by every laptop).
_BAD_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: The dates a record may carry (the server refuses others).
MIN_DATE = dt.date(1800, 1, 1)
MAX_DATE = dt.date(2999, 12, 31)


def check_text(field: str, value: str, *, multiline: bool = True) -> str:
    """Refuse text with characters that cannot be stored or shown (see ``_BAD_TEXT``). Tabs and
    line breaks pass in every field (cells of imported sheets hold them; the server takes them),
    ``multiline`` is kept for callers that may want to be stricter."""
    if _BAD_TEXT.search(value):
        raise ValidationError(
            field, _("This text contains a control character or an invalid character; remove it.")
        )
    return value


def check_date_range(field: str, day: dt.date) -> None:
    if not MIN_DATE <= day <= MAX_DATE:
        raise ValidationError(
            field,
            _("Enter a date between {first} and {last}.").format(
                first=MIN_DATE.isoformat(), last=MAX_DATE.isoformat()
            ),
        )


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_CHARSET.index(ch) * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def validate_uscc(field: str, value: str) -> str:
    code = to_halfwidth(value).strip().upper().replace(" ", "")
    if len(code) != 18:
        raise ValidationError(
            field,
            _("The unified social credit code must have 18 characters (it has {n}).").format(n=len(code)),
        )
    bad = [ch for ch in code if ch not in USCC_CHARSET]
    if bad:
        raise ValidationError(
            field,
            _("The unified social credit code contains characters that are not allowed: {chars}").format(
                chars="".join(dict.fromkeys(bad))
            ),
        )
    if uscc_check_char(code[:17]) != code[17]:
        raise ValidationError(
            field, _("The unified social credit code is not valid: its check character does not match.")
        )
    return code


def validate_phone(field: str, value: str, *, mobile: bool = False, region: str = "CN") -> str:
    """Chinese mobiles and landlines (with area code) and international numbers (with +).
    Returns E.164 (``+8613800138000``), with ``;ext=`` for an extension."""
    text = to_halfwidth(value).strip()
    try:
        number = parse_phone(text, region)
    except phonenumbers.NumberParseException:
        raise ValidationError(field, _("This is not a phone number.")) from None
    # A number is valid exactly when its type is known (is_valid_number() matches the same
    # patterns of the same region's metadata as number_type()): one look-up instead of two.
    kind = phonenumbers.number_type(number)
    if kind == phonenumbers.PhoneNumberType.UNKNOWN:
        raise ValidationError(
            field,
            _(
                "This phone number is not valid (a mobile has 11 digits; a landline needs its area code, "
                "e.g. 010-12345678; international numbers start with +)."
            ),
        )
    if mobile and kind not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise ValidationError(field, _("This is not a mobile number."))
    formatted = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if number.extension:
        formatted += f";ext={number.extension}"
    return formatted


#: What is typed most: a Chinese mobile, eleven ASCII digits from 1 (r"\d" would take other digits).
_CN_ELEVEN = re.compile(r"1[0-9]{10}")


@functools.cache
def _cn_prefixes() -> re.Pattern[str]:
    """The prefixes phonenumbers strips from the start of a Chinese number: the international
    dialling prefix (00, or an IP-dialling code before it) and the national prefix for parsing
    (0, or such a code), both as the library's metadata for CN has them."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region("CN")
    assert meta is not None  # the library ships CN
    return re.compile(
        "|".join(f"(?:{p})" for p in (meta.international_prefix, meta.national_prefix_for_parsing) if p)
    )


def parse_phone(text: str, region: str = "CN") -> phonenumbers.PhoneNumber:
    """``phonenumbers.parse(text, region)``, the same number; eleven ASCII digits from 1 in
    region CN without a prefix the library would strip are taken as they are (no plus sign, no
    dialling prefix, no national prefix, no extension: the library's parse makes exactly this of
    them, a third of the cost of checking a mobile number)."""
    if region == "CN" and _CN_ELEVEN.fullmatch(text) and not _cn_prefixes().match(text):
        return phonenumbers.PhoneNumber(country_code=86, national_number=int(text))
    return phonenumbers.parse(text, region)


def format_phone(value: str | None) -> str:
    """A stored E.164 number as people write it (``138 0013 8000``; ``010 1234 5678``)."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, "CN")
    except phonenumbers.NumberParseException:
        return value
    fmt = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 86
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, fmt)


#: An address of plain ASCII: a dot-atom of letters, digits and ``_+-`` before the @-sign, a
#: dotted host name after it. For these email_validator's verdict is its verdict on the domain,
#: which does not depend on the part before the @-sign (see validate_email_address).
_PLAIN_EMAIL = re.compile(r"([A-Za-z0-9_+\-]+(?:\.[A-Za-z0-9_+\-]+)*)@([A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+)")
_PLAIN_EMAIL_MAX = 64  # no length limit of the library (64 before the @-sign, 254 in all) is reached


@functools.lru_cache(maxsize=4096)
def _email_domain(domain: str) -> tuple[str | None, str | None]:
    """(normalised domain, None) or (None, the library's reason) for ``domain``, as
    email_validator judges it behind a valid part before the @-sign."""
    try:
        return validate_email("a@" + domain, check_deliverability=False).domain, None
    except EmailNotValidError as exc:
        return None, str(exc)


#: The email-validator library's reasons, in words we translate (it speaks English only). A
#: reason not listed here is left out rather than shown in English in the Chinese UI.
_EMAIL_REASONS = (
    ("must have an @-sign", N_("it has no @-sign")),
    ("There must be something before the @-sign", N_("nothing comes before the @-sign")),
    ("There must be something after the @-sign", N_("nothing comes after the @-sign")),
    ("It should have a period", N_("the part after the @-sign needs a dot, e.g. example.com")),
    ("invalid characters", N_("it contains characters an address cannot have")),
    ("too long", N_("it is too long")),
    ("period", N_("a dot is in the wrong place")),
    ("not valid", N_("the part after the @-sign is not a valid domain")),
)


def _email_error(field: str, reason: Any) -> ValidationError:
    text = str(reason)
    for needle, words in _EMAIL_REASONS:
        if needle in text:
            return ValidationError(
                field, _("This is not a valid email address ({reason}).").format(reason=_(words))
            )
    return ValidationError(field, _("This is not a valid email address."))


def validate_email_address(field: str, value: str) -> str:
    text = to_halfwidth(value).strip()
    m = _PLAIN_EMAIL.fullmatch(text) if len(text) <= _PLAIN_EMAIL_MAX else None
    if m is not None and m[1].lower() not in CASE_INSENSITIVE_MAILBOX_NAMES:
        # The library checks the part before the @-sign (valid: a dot-atom of ASCII letters),
        # then the domain on its own, then lengths (far from their limits here): so an import's
        # thousands of addresses at a few domains check each domain once.
        domain, reason = _email_domain(m[2])
        if reason is not None:
            raise _email_error(field, reason)
        assert domain is not None
        return m[1] + "@" + domain
    try:
        info = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise _email_error(field, exc) from None
    return info.normalized


_DATE_RE = re.compile(r"^\s*(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?\s*$")


def parse_date(field: str, value: str | dt.date) -> dt.date:
    day = _parse_date(field, value)
    check_date_range(field, day)
    return day


def _parse_date(field: str, value: str | dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    m = _DATE_RE.match(to_halfwidth(str(value)))
    if m:
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            pass
    raise ValidationError(field, _("This is not a valid date; write it as YYYY-MM-DD, e.g. 2026-03-31."))


def parse_datetime(field: str, value: str | dt.datetime | dt.date) -> dt.datetime:
    """Aware datetime. Text without a zone is local time of this computer."""
    moment = _parse_datetime(field, value)
    try:
        day = moment.astimezone(dt.UTC).date()
    except (OverflowError, ValueError):
        day = dt.date.min
    check_date_range(field, day)
    return moment


def _local(naive: dt.datetime) -> dt.datetime:
    """A naive datetime taken as this computer's local time (UTC where that overflows: years
    outside what the checks accept anyway)."""
    try:
        return naive.astimezone()
    except (OverflowError, ValueError):
        return naive.replace(tzinfo=dt.UTC)


def _parse_datetime(field: str, value: str | dt.datetime | dt.date) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else _local(value)
    if isinstance(value, dt.date):
        return _local(dt.datetime.combine(value, dt.time(9, 0)))
    text = to_halfwidth(str(value)).strip().replace("/", "-")
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        m = _DATE_RE.match(text)
        if not m:
            raise ValidationError(
                field,
                _("This is not a valid date and time; write it as YYYY-MM-DD HH:MM, e.g. 2026-03-31 14:30."),
            ) from None
        return _parse_datetime(field, _parse_date(field, text))
    return parsed if parsed.tzinfo else _local(parsed)


def parse_enum(field: str, value: str, enum: type[StrEnum]) -> str:
    text = str(value).strip()
    values = [e.value for e in enum]
    if text in values:
        return text
    # accept a label in any shipped language, e.g. "重点客户" for "key"
    from ..labels import value_for_label

    found = value_for_label(enum, text)
    if found is not None:
        return found
    from ..labels import label

    # The labels a person reads (and may type), not the codes behind them.
    raise ValidationError(
        field, _("Choose one of: {choices}.").format(choices=", ".join(label(enum, v) for v in values))
    )


def parse_int(field: str, value: Any, *, minimum: float | None = None, maximum: float | None = None) -> int:
    if isinstance(value, bool):
        raise ValidationError(field, _("Enter a whole number."))
    try:
        number = (
            int(to_halfwidth(str(value)).strip().replace(",", "")) if not isinstance(value, int) else value
        )
    except ValueError:
        raise ValidationError(field, _("Enter a whole number.")) from None
    _check_range(field, number, minimum, maximum)
    return number


def parse_float(
    field: str, value: Any, *, minimum: float | None = None, maximum: float | None = None
) -> float:
    if isinstance(value, bool):
        raise ValidationError(field, _("Enter a number."))
    try:
        number = (
            float(to_halfwidth(str(value)).strip().replace(",", ""))
            if not isinstance(value, (int, float))
            else float(value)
        )
    except ValueError:
        raise ValidationError(field, _("Enter a number.")) from None
    _check_range(field, number, minimum, maximum)
    return number


def _check_range(field: str, number: float, minimum: float | None, maximum: float | None) -> None:
    if minimum is not None and maximum is not None and not (minimum <= number <= maximum):
        raise ValidationError(field, _("Enter a value from {min} to {max}.").format(min=minimum, max=maximum))
    if minimum is not None and number < minimum:
        raise ValidationError(field, _("Enter a value of at least {min}.").format(min=minimum))
    if maximum is not None and number > maximum:
        raise ValidationError(field, _("Enter a value of at most {max}.").format(max=maximum))


def parse_bool(field: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "y", "on", "是", "真"):
        return True
    if text in ("0", "false", "no", "n", "off", "否", "假", ""):
        return False
    raise ValidationError(field, _("Enter yes or no."))
