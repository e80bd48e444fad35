"""Amounts in words: the Vietnamese reading rules (mốt, tư, lăm, linh, mười/mươi) and English."""

import pytest

from payer_app.core.amount_words import amount_in_words, english_words, vietnamese_words


@pytest.mark.parametrize(
    "amount, words",
    [
        (0, "Không đồng"),
        (1, "Một đồng"),
        (5, "Năm đồng"),
        (10, "Mười đồng"),
        (11, "Mười một đồng"),
        (14, "Mười bốn đồng"),
        (15, "Mười lăm đồng"),
        (20, "Hai mươi đồng"),
        (21, "Hai mươi mốt đồng"),
        (24, "Hai mươi tư đồng"),
        (25, "Hai mươi lăm đồng"),
        (55, "Năm mươi lăm đồng"),
        (101, "Một trăm linh một đồng"),
        (104, "Một trăm linh bốn đồng"),
        (105, "Một trăm linh năm đồng"),
        (110, "Một trăm mười đồng"),
        (115, "Một trăm mười lăm đồng"),
        (1000, "Một nghìn đồng"),
        (10_000, "Mười nghìn đồng"),
        (15_000, "Mười lăm nghìn đồng"),
        (21_000, "Hai mươi mốt nghìn đồng"),
        (100_000, "Một trăm nghìn đồng"),
        (1_005_000, "Một triệu không trăm linh năm nghìn đồng"),
        (1_000_005, "Một triệu không trăm linh năm đồng"),
        (1_050_000, "Một triệu không trăm năm mươi nghìn đồng"),
        (1_234_567, "Một triệu hai trăm ba mươi tư nghìn năm trăm sáu mươi bảy đồng"),
        (2_000_000, "Hai triệu đồng"),
        (499_999_999, "Bốn trăm chín mươi chín triệu chín trăm chín mươi chín nghìn chín trăm chín mươi chín đồng"),
        (1_000_000_000, "Một tỷ đồng"),
        (1_000_000_001, "Một tỷ không trăm linh một đồng"),
        (2_500_000_000, "Hai tỷ năm trăm triệu đồng"),
        (1_000_000_000_000, "Một nghìn tỷ đồng"),
        (9_999_999_999_999, "Chín nghìn chín trăm chín mươi chín tỷ chín trăm chín mươi chín triệu "
                            "chín trăm chín mươi chín nghìn chín trăm chín mươi chín đồng"),
    ],
)
def test_vietnamese_words(amount, words):
    assert vietnamese_words(amount) == words


@pytest.mark.parametrize(
    "amount, words",
    [
        (0, "Zero dong"),
        (15, "Fifteen dong"),
        (21, "Twenty-one dong"),
        (105, "One hundred five dong"),
        (1_005_000, "One million five thousand dong"),
        (1_234_567, "One million two hundred thirty-four thousand five hundred sixty-seven dong"),
        (1_000_000_000_000, "One trillion dong"),
    ],
)
def test_english_words(amount, words):
    assert english_words(amount) == words


def test_language_switch_and_negative():
    assert amount_in_words(21_000, "vi") == "Hai mươi mốt nghìn đồng"
    assert amount_in_words(21_000, "en") == "Twenty-one thousand dong"
    with pytest.raises(ValueError):
        vietnamese_words(-1)
    with pytest.raises(ValueError):
        english_words(-1)


def test_every_amount_below_a_million_reads_without_doubled_or_stray_words():
    for n in range(1, 1_000_000, 7919):
        text = vietnamese_words(n).lower()
        assert "  " not in text
        assert "mươi một" not in text  # after 2-9 tens a final 1 is "mốt"
        assert "mười mốt" not in text
        assert "mươi năm đồng" not in text and "mười năm đồng" not in text
        assert not text.startswith("không")
