"""Source accounts attacked through ``payer-app accounts`` (in this process, over a data folder under
``tmp_path``): names that could mislead a reader or break a layout, CSV files that are not what they
seem, and a hurried user removing the account in use. Bad input is one ``payer-app: error:`` line,
exit 2, and the saved accounts stay as they were."""

from __future__ import annotations

import pytest

from payer_app.payments.accounts import PayerAccounts
from tests.cli_in_process import run

A = ("970436", "0011001234567", "NGUYEN VAN A")
B = ("970415", "1234567890", "TRAN THI B")


@pytest.fixture
def home(tmp_path, monkeypatch):
    folder = tmp_path / "home"
    monkeypatch.setenv("PAYER_APP_HOME", str(folder))
    return folder


def _one_error_line(code: int, out: str, err: str) -> str:
    assert code == 2 and out == "", (code, out, err)
    assert len(err.splitlines()) == 1 and err.startswith("payer-app: error: ") and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("name", [
    "A" + "\u0301" * 12,  # accents piled on one letter: a name that grows upwards over the lines above
    "Z\u0336\u0337\u0338\u0335\u0334" * 8,  # struck through, five marks a letter
])
def test_a_name_with_marks_piled_on_its_letters_is_refused(home, capsys, name):
    PayerAccounts(home).add(*A)
    before = (home / "accounts.json").read_bytes()
    err = _one_error_line(*run(capsys, "accounts", "add", "--bank", B[0], "--account", B[1], "--name", name))
    assert "marks" in err
    assert (home / "accounts.json").read_bytes() == before


def test_vietnamese_names_keep_their_marks_in_either_normal_form(home, capsys):
    import unicodedata

    for n, name in enumerate(("NGUYỄN THỊ HỒNG NHUNG", "Trần Thị Ệ")):
        for form in ("NFC", "NFD"):
            code, _out, err = run(capsys, "accounts", "add", "--bank", "970436", "--account", f"{n}{form}",
                                  "--name", unicodedata.normalize(form, name))
            assert code == 0, err


def test_a_quoted_name_over_two_lines_is_refused_not_joined(home, capsys, tmp_path):
    """A CSV cell in quotes may hold a line break; the name must not silently become another one."""
    csv_file = tmp_path / "team.csv"
    csv_file.write_text('bank_bin,account,name\n970436,1,"NGUYEN\nVAN A"\n970436,2,TRAN THI B\n')
    err = _one_error_line(*run(capsys, "accounts", "import", str(csv_file)))
    assert "team.csv line 2" in err and "control" in err
    assert PayerAccounts(home).list() == []


def test_a_line_number_after_a_quoted_line_break_is_the_files_own(home, capsys, tmp_path):
    csv_file = tmp_path / "team.csv"
    csv_file.write_text('bank_bin,account,name,balance\n970436,1,A,"1\n000"\n970436,2,B,lots\n')
    err = _one_error_line(*run(capsys, "accounts", "import", str(csv_file)))
    assert "team.csv line 2" in err, err  # the row with the line break in its cell, which starts on line 2
    csv_file.write_bytes(b'bank_bin,account,name,balance\r\n\r\n970436,1,"A",12\r\n970436,2,B,lots\r\n')
    err = _one_error_line(*run(capsys, "accounts", "import", str(csv_file)))
    assert "team.csv line 4: the balance 'lots'" in err, err


def test_a_line_separator_inside_a_name_is_refused_not_split(home, capsys, tmp_path):
    csv_file = tmp_path / "team.csv"
    csv_file.write_text("bank_bin,account,name\n970436,1,NGUYEN\u2028VAN A\n", encoding="utf-8")
    err = _one_error_line(*run(capsys, "accounts", "import", str(csv_file)))
    assert "team.csv line 2" in err and "\\u2028" in err and "control" in err


@pytest.mark.parametrize("what", ["folder", "device"])
def test_importing_a_folder_or_a_device_never_advises_removing_it(home, capsys, tmp_path, what):
    PayerAccounts(home).add(*A)
    before = (home / "accounts.json").read_bytes()
    target = tmp_path / "exports" if what == "folder" else "/dev/null"
    if what == "folder":
        target.mkdir()
    err = _one_error_line(*run(capsys, "accounts", "import", str(target)))
    assert "not a regular file" in err and "Remove" not in err, err
    assert (home / "accounts.json").read_bytes() == before
    if what == "folder":
        assert target.is_dir()


def test_a_million_lines_a_binary_file_and_a_missing_file_each_leave_the_accounts_as_they_were(home, capsys,
                                                                                               tmp_path):
    PayerAccounts(home).add(*A)
    before = (home / "accounts.json").read_bytes()
    million = tmp_path / "million.csv"
    with million.open("w") as f:
        f.write("bank_bin,account,name\n")
        f.writelines(f"970415,{i},N{i}\n" for i in range(1_000_000))
    binary = tmp_path / "photo.csv"
    binary.write_bytes(bytes(range(256)) * 64)
    for path, says in ((million, "at most"), (binary, "not UTF-8"), (tmp_path / "gone.csv", "No such file")):
        err = _one_error_line(*run(capsys, "accounts", "import", str(path)))
        assert says in err, err
    assert (home / "accounts.json").read_bytes() == before


def test_removing_the_account_in_use_says_which_one_pays_now(home, capsys):
    accounts = PayerAccounts(home)
    accounts.add(*A)
    second = accounts.add(*B)
    code, out, err = run(capsys, "accounts", "remove", "p1")
    assert code == 0, err
    assert f"Paying from {second.id}: {second.scope} {second.name}" in out, out
    code, out, err = run(capsys, "accounts", "remove", second.id)
    assert code == 0, err
    assert "built-in demo account" in out, out


def test_use_or_remove_of_an_unknown_or_hostile_id_is_one_escaped_line(home, capsys):
    PayerAccounts(home).add(*A)
    before = (home / "accounts.json").read_bytes()
    for action in ("use", "remove"):
        for account_id in ("p99", "\x1b[31mp1", "p1\u202e", "p" * 100_000):
            err = _one_error_line(*run(capsys, "accounts", action, account_id))
            assert "unknown-account" in err and "\x1b" not in err and "\u202e" not in err and len(err) < 300
    assert (home / "accounts.json").read_bytes() == before
