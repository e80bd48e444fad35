"""Amounts of dong in words, as printed on Vietnamese receipts and banking apps.

``vietnamese_words(1234567)`` -> ``"Một triệu hai trăm ba mươi tư nghìn năm trăm sáu mươi bảy đồng"``
``english_words(1234567)`` -> ``"One million two hundred thirty-four thousand five hundred sixty-seven dong"``

Vietnamese reading rules applied: ``mốt`` for a final 1 after a tens digit of 2-9 (``hai mươi mốt``)
but ``mười một``; ``tư`` for a final 4 after 2-9 tens (``ba mươi tư``) but ``mười bốn``; ``lăm`` for a
final 5 after any tens digit (``mười lăm``, ``hai mươi lăm``); ``linh`` for a zero tens digit between a
hundreds digit and a unit (``một trăm linh năm``); ``mười`` / ``mươi`` for the tens. Inside a number,
a group after a larger unit always reads its hundreds (``một triệu không trăm linh năm nghìn``);
groups that are all zero are skipped. Powers beyond a billion repeat ``tỷ`` (``một nghìn tỷ``).
"""

from __future__ import annotations

_DIGITS_VI = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
_UNITS_VI = ("", "nghìn", "triệu")
_BILLION = 1_000_000_000


def _triple_vi(n: int, full: bool) -> list[str]:
    """Words for 0 < n < 1000. ``full``: the group follows a larger unit, so hundreds are always read."""
    hundreds, tens, units = n // 100, (n // 10) % 10, n % 10
    words: list[str] = []
    if hundreds or full:
        words += [_DIGITS_VI[hundreds], "trăm"]
    if tens == 0:
        if units:
            if words:
                words.append("linh")
            words.append(_DIGITS_VI[units])
        return words
    if tens == 1:
        words.append("mười")
    else:
        words += [_DIGITS_VI[tens], "mươi"]
    if units == 1:
        words.append("một" if tens == 1 else "mốt")
    elif units == 4:
        words.append("bốn" if tens == 1 else "tư")
    elif units == 5:
        words.append("lăm")
    elif units:
        words.append(_DIGITS_VI[units])
    return words


def _below_billion_vi(n: int, full: bool) -> list[str]:
    groups = [(n // 1_000_000) % 1000, (n // 1000) % 1000, n % 1000]
    words: list[str] = []
    for position, group in enumerate(groups):
        if group == 0:
            continue
        words += _triple_vi(group, full or bool(words))
        unit = _UNITS_VI[2 - position]
        if unit:
            words.append(unit)
    return words


def _number_vi(n: int) -> list[str]:
    if n < _BILLION:
        return _below_billion_vi(n, False)
    high, low = divmod(n, _BILLION)
    words = _number_vi(high) + ["tỷ"]
    if low:
        words += _below_billion_vi(low, True)
    return words


def vietnamese_words(amount: int, currency_word: str = "đồng") -> str:
    """The amount in Vietnamese words with a capital first letter, e.g. ``"Mười lăm nghìn đồng"``."""
    if amount < 0:
        raise ValueError("an amount in words must not be negative")
    words = ["không"] if amount == 0 else _number_vi(amount)
    if currency_word:
        words.append(currency_word)
    text = " ".join(words)
    return text[0].upper() + text[1:]


_ONES_EN = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
            "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
_TENS_EN = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_SCALES_EN = ("", "thousand", "million", "billion", "trillion", "quadrillion", "quintillion")


def _triple_en(n: int) -> list[str]:
    hundreds, rest = divmod(n, 100)
    words: list[str] = []
    if hundreds:
        words += [_ONES_EN[hundreds], "hundred"]
    if rest >= 20:
        tens, units = divmod(rest, 10)
        words.append(_TENS_EN[tens] + (f"-{_ONES_EN[units]}" if units else ""))
    elif rest:
        words.append(_ONES_EN[rest])
    return words


def english_words(amount: int, currency_word: str = "dong") -> str:
    """The amount in English words (short scale), e.g. ``"Fifteen thousand dong"``."""
    if amount < 0:
        raise ValueError("an amount in words must not be negative")
    if amount == 0:
        words = ["zero"]
    else:
        words = []
        groups = []
        n = amount
        while n:
            n, group = divmod(n, 1000)
            groups.append(group)
        if len(groups) > len(_SCALES_EN):
            raise ValueError("the amount is too large to write in words")
        for scale in range(len(groups) - 1, -1, -1):
            if groups[scale]:
                words += _triple_en(groups[scale])
                if _SCALES_EN[scale]:
                    words.append(_SCALES_EN[scale])
    if currency_word:
        words.append(currency_word)
    text = " ".join(words)
    return text[0].upper() + text[1:]


def amount_in_words(amount: int, lang: str = "vi") -> str:
    """``vietnamese_words`` for ``lang="vi"``, ``english_words`` otherwise."""
    return vietnamese_words(amount) if lang == "vi" else english_words(amount)
