"""``payer-app accounts``: the payer's source accounts (*Tài khoản nguồn*), each with its own key.

    payer-app accounts add --bank 970436 --account 0011001234567 --name "NGUYEN VAN A" --balance 5000000
    payer-app accounts list [--json]
    payer-app accounts use p2          # pay from p2 from now on (pay, keys, gui)
    payer-app accounts remove p2
    payer-app accounts import accounts.csv   # header bank_bin,account,name[,balance][,daily_limit]

The list shows each account's balance at the embedded acquirer (the bank of this data folder), where
an account opened with ``--balance`` is debited by every approved payment. Exit codes: 0 done; 2 a
bad field, CSV line or id (one line naming it; nothing changed).
"""

from __future__ import annotations

import json
from pathlib import Path

from payer_app.cli.exits import EXIT_OK, UsageError
from payer_app.cli.options import add_actions, add_command, add_json_option, checked_option
from payer_app.core.amounts import format_vnd, parse_user_amount
from payer_app.core.display_text import visible


def register(sub) -> None:
    p = add_command(sub, "accounts", "add, list, choose, remove and import the payer's source accounts",
                    "The payer's source accounts: several payers on one device, each signing "
                    "with its own key. Without any account, payments come from the built-in demo account.")
    what = add_actions(p, "accounts", dest="action")
    add = add_command(what, "add", "add a source account (the first one becomes the current one)", func=run)
    add.add_argument("--bank", required=True, metavar="BIN", help="the bank's 6-digit NAPAS BIN, e.g. 970436")
    add.add_argument("--account", required=True, metavar="N", help="the account number (1 to 19 letters or digits)")
    add.add_argument("--name", required=True, metavar="NAME", help="the holder's name as the bank prints it")
    add.add_argument("--balance", metavar="VND", help="the balance it opens with at the embedded acquirer")
    add.add_argument("--daily-limit", metavar="VND", help="what it may pay in one day (needs --balance)")
    listing = add_command(what, "list", "every source account, the current one marked with *", func=run)
    add_json_option(listing, "print JSON (id, bank_bin, account, name, balance, daily_limit, current, bank)")
    use = add_command(what, "use", "pay from account ID from now on", func=run)
    use.add_argument("id", metavar="ID")
    remove = add_command(what, "remove", "take account ID off the list (its key files stay)", func=run)
    remove.add_argument("id", metavar="ID")
    imported = add_command(what, "import", "add the accounts of a CSV file (all or nothing)", func=run)
    imported.add_argument("file", metavar="FILE.csv")


def run(args) -> int:
    from payer_app.payments.accounts import AccountsRefused, PayerAccounts

    accounts = PayerAccounts()
    try:
        return _ACTIONS[args.action](accounts, args)
    except AccountsRefused as exc:
        raise UsageError(f"{exc.code}: {exc.text(args.lang)}") from None


def _add(accounts, args) -> int:
    balance = checked_option("--balance", args.balance, parse_user_amount, args.lang)
    limit = checked_option("--daily-limit", args.daily_limit, parse_user_amount, args.lang)
    if limit is not None and balance is None:
        raise UsageError("--daily-limit needs --balance (the bank keeps a limit for an account it keeps a balance for)")
    account = accounts.add(args.bank, args.account, args.name, balance, limit)
    kid = accounts.keystore(account).current().kid  # its own key, made now
    print(f"Added {account.id}: {account.scope} {visible(account.name, 60)} (key {kid})")
    return EXIT_OK


def _list(accounts, args) -> int:
    listed = accounts.list()
    current = accounts.current()
    states = _bank_states()
    rows = [{**a.to_dict(), "current": current is not None and a.id == current.id,
             "bank": states.get(a.scope)} for a in listed]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return EXIT_OK
    if not rows:
        print("No source accounts: payments come from the built-in demo account 970436/0011001234567.")
    for row in rows:
        state = row["bank"]
        money = f"balance {format_vnd(state['balance'])}" if state else "no balance kept"
        if state and state["daily_limit"] is not None:
            money += f", daily limit {format_vnd(state['daily_limit'])} ({format_vnd(state['spent_today'])} today)"
        mark = "*" if row["current"] else " "
        print(f"{mark} {row['id']:<5} {row['bank_bin']}/{row['account']}  {visible(row['name'], 60)}  ({money})")
    return EXIT_OK


def _bank_states() -> dict[str, dict]:
    """Every account's state at the embedded acquirer (balance, daily limit, spent today), by scope."""
    from datetime import UTC, datetime

    from payer_app.payments.acquirer.balances import bank_day
    from payer_app.payments.service import PaymentService

    with PaymentService() as service:
        balances = service.embedded_acquirer().ledger.balances
        return {s.scope: s.to_dict() for s in balances.accounts(bank_day(datetime.now(UTC)))}


def _use(accounts, args) -> int:
    account = accounts.use(args.id)
    print(f"Paying from {account.id}: {account.scope} {visible(account.name, 60)}")
    return EXIT_OK


def _remove(accounts, args) -> int:
    was_current = accounts.current()
    account = accounts.remove(args.id)
    print(f"Removed {account.id}: {account.scope} {visible(account.name, 60)} (its key files stay in "
          f"{visible(str(account.key_home(accounts.home)), 200)})")
    if was_current is not None and was_current.id == account.id:  # say who pays now: no silent switch
        now = accounts.current()
        print(f"Paying from {now.id}: {now.scope} {visible(now.name, 60)}" if now is not None else
              "Paying from the built-in demo account 970436/0011001234567 (no source accounts left)")
    return EXIT_OK


def _import(accounts, args) -> int:
    from payer_app.files import UnsafeFileError, read_regular_file
    from payer_app.payments.accounts import MAX_CSV_BYTES

    shown = visible(args.file, 200)
    try:
        data = read_regular_file(Path(args.file), MAX_CSV_BYTES, "the CSV file", follow_symlinks=True,
                                 fix="Name the CSV file itself.")
        text = data.decode("utf-8-sig")
    except UnsafeFileError as exc:
        raise UsageError(str(exc)) from None
    except UnicodeDecodeError:
        raise UsageError(f"{shown} is not UTF-8 text") from None
    added = accounts.import_csv_text(text, Path(args.file).name)
    for account in added:
        accounts.keystore(account).current()  # each its own key
    print(f"Imported {len(added)} accounts: {', '.join(a.id for a in added)}")
    return EXIT_OK


_ACTIONS = {"add": _add, "list": _list, "use": _use, "remove": _remove, "import": _import}
