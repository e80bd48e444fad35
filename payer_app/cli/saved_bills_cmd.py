"""``payer-app saved-bills``: the saved bills of the data folder, headless (what the window's
*Hóa đơn đã lưu* does).

    payer-app saved-bills list [--json]
    payer-app saved-bills add NAME SOURCE          # SOURCE: payload text, an image with the QR, or -
    payer-app saved-bills rename ID NAME
    payer-app saved-bills delete ID
    payer-app saved-bills payload ID               # the saved QR payload, to pay it:
    payer-app pay "$(payer-app saved-bills payload 3)" --amount 250000
    payer-app saved-bills export [-o FILE]
    payer-app saved-bills import FILE

Exit codes: 0 done; 1 refused (a dynamic QR, a bad name, a payload saved already, a bad import file:
the message says what and where, nothing is changed); 2 usage error (no such id, unreadable file).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from payer_app.cli.exits import EXIT_NO, EXIT_OK, UsageError
from payer_app.cli.options import add_actions, add_command, add_input_argument, add_json_option, add_lang_option
from payer_app.core.display_text import visible


def register(sub) -> None:
    p = add_command(sub, "saved-bills", "list, add, rename, delete, export and import saved bills",
                    "Saved bills (Hóa đơn đã lưu): static payment QRs kept by name in the data folder, to pay "
                    "again without scanning. A saved bill never stores an amount; a dynamic QR cannot be saved.")
    add_lang_option(p)
    what = add_actions(p, "saved-bills", dest="action")
    listing = add_command(what, "list", "every saved bill: id, name, payee", func=run)
    add_json_option(listing, "print JSON (id, name, payload, created_at)")
    add = add_command(what, "add", "save a QR as NAME", func=run)
    add.add_argument("name", metavar="NAME")
    add_input_argument(add, "source", "SOURCE", "the payload text or an image file with the QR")
    rename = add_command(what, "rename", "give saved bill ID a new NAME", func=run)
    rename.add_argument("id", type=int, metavar="ID")
    rename.add_argument("name", metavar="NAME")
    delete = add_command(what, "delete", "delete saved bill ID", func=run)
    delete.add_argument("id", type=int, metavar="ID")
    payload = add_command(what, "payload", "print the QR payload of saved bill ID (to pay it with `payer-app pay`)",
                          func=run)
    payload.add_argument("id", type=int, metavar="ID")
    export = add_command(what, "export", "write every saved bill as JSON", func=run)
    export.add_argument("-o", "--output", metavar="FILE", help="write here instead of standard output")
    imported = add_command(what, "import", "add the bills of an exported JSON file (all or nothing)", func=run)
    imported.add_argument("file", metavar="FILE")


def run(args) -> int:
    from payer_app.payments.saved_bills import SavedBillError, SavedBills

    store = SavedBills()
    try:
        return _ACTIONS[args.action](store, args)
    except SavedBillError as exc:
        message = exc.message_vi if args.lang == "vi" else exc.message
        print(f"payer-app: {exc.code}: {message}", file=sys.stderr)
        return EXIT_NO
    finally:
        store.close()


def _list(store, args) -> int:
    from payer_app.core.payee_display import payee_display

    bills = store.list()
    if args.json:
        print(json.dumps([{"id": b.id, "name": b.name, "payload": b.payload, "created_at": b.created_at}
                          for b in bills], ensure_ascii=False, indent=2))
        return EXIT_OK
    if not bills:
        print("No saved bills.")
    for b in bills:
        parsed = b.parsed
        code = parsed.bill.evn_customer_code
        payee = visible(payee_display(parsed).name, 60) + (f" · {code}" if code else "")
        print(f"{b.id:>4}  {visible(b.name, 60)}  ({payee})")
    return EXIT_OK


def _add(store, args) -> int:
    from payer_app.cli.pay_cmd import read_source

    bill = store.add(args.name, read_source(args.source))
    print(f"Saved as {bill.id}: {visible(bill.name, 60)}")
    return EXIT_OK


def _rename(store, args) -> int:
    bill = store.rename(_existing(store, args.id).id, args.name)
    print(f"Renamed {bill.id}: {visible(bill.name, 60)}")
    return EXIT_OK


def _delete(store, args) -> int:
    bill = _existing(store, args.id)
    store.delete(bill.id)
    print(f"Deleted {bill.id}: {visible(bill.name, 60)}")
    return EXIT_OK


def _payload(store, args) -> int:
    print(_existing(store, args.id).payload)
    return EXIT_OK


def _export(store, args) -> int:
    from payer_app.files import write_file_atomically

    text = store.export_json()
    if not args.output:
        sys.stdout.write(text)
        return EXIT_OK
    try:
        write_file_atomically(Path(args.output), text.encode("utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    print(f"Exported {len(store.list())} saved bills to {visible(args.output, 200)}", file=sys.stderr)
    return EXIT_OK


def _import(store, args) -> int:
    from payer_app.payments.saved_bills import read_import_file

    try:
        data = read_import_file(args.file)
    except OSError as exc:
        raise UsageError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    result = store.import_json(data)
    print(f"Imported {result.added} saved bills ({result.already_saved} already saved, kept as they were)")
    return EXIT_OK


def _existing(store, bill_id: int):
    bill = store.get(bill_id)
    if bill is None:
        raise UsageError(f"no saved bill with id {bill_id} (see `payer-app saved-bills list`)")
    return bill


_ACTIONS = {"list": _list, "add": _add, "rename": _rename, "delete": _delete, "payload": _payload,
            "export": _export, "import": _import}
