import pytest

from payer_app.core.amounts import AmountError, format_vnd, parse_field_amount, parse_user_amount
from payer_app.core.bank_directory import BankDirectory, BankDirectoryError
from payer_app.core.evn import corporation_for, is_customer_code


def test_bundled_directory_matches_shared_spec_copy():
    d = BankDirectory.bundled()
    assert len(d) == 62
    assert d.lookup("970436").short_name == "Vietcombank"
    assert d.lookup("971025").short_name == "MoMo"
    assert d.lookup("123456") is None


def test_shared_bins_prefer_current_transfer_capable_bank():
    d = BankDirectory.bundled()
    assert d.lookup("970449").short_name == "LPBank"  # LienVietPostBank is deprecated
    assert d.lookup("970406").short_name == "Vikki Bank"  # DongA is receive-only under the same BIN
    assert {b.short_name for b in d.candidates("970406")} == {"DongA Bank", "Vikki Bank"}


def test_directory_is_updatable_from_a_csv(tmp_path):
    path = tmp_path / "banks.csv"
    path.write_text("bin,short_name,name\n970999,New Bank,Ngân hàng Mới\n", encoding="utf-8")
    directory = BankDirectory.from_csv_text(path.read_text(encoding="utf-8"), str(path))
    assert directory.lookup("970999").name == "Ngân hàng Mới"


def test_directory_reads_quoted_names_and_windows_line_ends():
    text = 'bin,short_name,name\r\n970999,"New, Bank","Ngân hàng\nMới"\r\n970998,B,C'
    directory = BankDirectory.from_csv_text(text)
    assert directory.lookup("970999").short_name == "New, Bank"
    assert directory.lookup("970999").name == "Ngân hàng\nMới"
    assert directory.lookup("970998").name == "C"


@pytest.mark.parametrize("text, message", [
    ("short_name,name\nX,Y\n", "missing column(s) bin"),
    ("bin,short_name,name\n97A,X,Y\n", ":2: bin '97A' is not 6 digits"),
])
def test_bad_directory_says_what_and_where(text, message):
    with pytest.raises(BankDirectoryError, match=message.replace("(", r"\(").replace(")", r"\)")):
        BankDirectory.from_csv_text(text, "banks.csv")


def test_field_amounts():
    assert parse_field_amount("1000") == (1000, False)
    assert parse_field_amount("1000.00") == (1000, True)
    for bad in ["", "1,000", "-5", "1e3", "+5", "1 000", "10.5", "12345678901234", "1.2.3"]:
        with pytest.raises(AmountError):
            parse_field_amount(bad)


def test_user_amounts_and_formatting():
    assert parse_user_amount("1.234.567 ₫") == 1234567
    assert parse_user_amount("1 234 567") == 1234567
    assert parse_user_amount("50000đ") == 50000
    for bad in ["", "12,5", "abc", "-1", "1.23"]:
        with pytest.raises(AmountError):
            parse_user_amount(bad)
    assert format_vnd(1234567) == "1.234.567 ₫"
    assert format_vnd(0) == "0 ₫"


def test_evn_codes():
    assert is_customer_code("PD00000000000")
    assert not is_customer_code("PF00000000000") and not is_customer_code("PD0000") and not is_customer_code(None)
    assert corporation_for("PE12345678901").short_name == "EVNHCMC"
