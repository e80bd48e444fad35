"""``payer-app generate bill|corpus|video``: printable test bills, labelled corpora of QR pictures
and camera-like clips (``generate_video_cmd``). Exit 0 written, 2 usage error, an output that cannot
be written, or no font that can print Vietnamese."""

from __future__ import annotations

from payer_app.cli.exits import EXIT_OK, UsageError
from payer_app.cli.options import add_amount_option, add_command, add_command_group, amount_option, checked_option
from payer_app.core.display_text import visible


def register(sub) -> None:
    what = add_command_group(sub, "generate", "generate test bills (PNG/SVG/PDF), corpora of good and broken QR "
                             "codes, videos", "Generate printable bills with a payment QR, a labelled corpus of QR "
                             "pictures, or a camera-like video of a bill.")
    bill = add_command(what, "bill", "write a bill with its QR; prints the payload",
                       "Write a bill (A5) with its payment QR to FILE (.png, .svg or .pdf) and print the "
                       "QR payload. Without options: a made-up EVN electricity bill with a static QR.", func=run_bill)
    bill.add_argument("-o", "--output", required=True, metavar="FILE", help="where to write: .png, .svg or .pdf")
    bill.add_argument("--kind", choices=("evn", "vietqr", "vnpay"),
                      help="evn electricity bill (default), vietqr transfer slip, vnpay shop receipt")
    bill.add_argument("--customer", metavar="CODE", help="EVN customer code, e.g. PD13000123456")
    bill.add_argument("--customer-name", metavar="NAME", help="name printed on the bill")
    bill.add_argument("--address", metavar="TEXT", help="address printed on the bill")
    bill.add_argument("--bank", metavar="BIN", help="bank BIN for a VietQR transfer, e.g. 970436")
    bill.add_argument("--account", metavar="NO", help="account number for a VietQR transfer")
    add_amount_option(bill, "puts field 54 in the QR (a dynamic QR)")
    fee = bill.add_mutually_exclusive_group()
    fee.add_argument("--fee-fixed", metavar="N", help="a fixed convenience fee of N dong in the QR (55=02, 56)")
    fee.add_argument("--fee-percent", metavar="P", help="a convenience fee of P %% of the amount (55=03, 57), "
                     "0 to 100 with at most two decimals, e.g. 1.5")
    fee.add_argument("--tip-prompt", action="store_true", help="the QR asks the payer for a tip (55=01)")
    bill.add_argument("--purpose", metavar="TEXT", help="purpose of transaction (62.08)")
    bill.add_argument("--merchant-name", metavar="TEXT", help="merchant name (59)")
    bill.add_argument("--merchant-id", metavar="ID", help="EVN branch id or VNPAY merchant id (26.01); an EVN bill "
                      "paying an id not in resources/evn_payees.csv is a scam-sticker look-alike")
    bill.add_argument("--city", metavar="TEXT", help="merchant city (60)")
    bill.add_argument("--kwh", type=int, metavar="N", help="electricity used (EVN bills)")
    bill.add_argument("--seed", type=int, default=0, metavar="N", help="decides everything not given (default 0)")
    bill.add_argument("--dpi", type=int, default=200, metavar="N", help="PNG resolution (default 200)")
    corpus = add_command(what, "corpus", "write a labelled corpus of QR pictures and manifest.json",
                         "Write QR pictures with payload faults and image conditions into DIR, and "
                         "DIR/manifest.json with the expected parse result of each.", func=run_corpus)
    corpus.add_argument("directory", metavar="DIR")
    corpus.add_argument("--count", type=int, default=48, metavar="N", help="number of pictures (default 48)")
    corpus.add_argument("--seed", type=int, default=0, metavar="N", help="same seed, same corpus (default 0)")
    from payer_app.cli.generate_video_cmd import register_video
    register_video(what)


def _spec_from_args(args):
    from payer_app.studio.bill_spec import BillSpec

    kind = args.kind
    if kind is None:
        kind = "vietqr" if (args.bank or args.account) else "evn"
    if kind != "evn" and args.customer:
        raise UsageError("--customer is an EVN customer code; it only goes with --kind evn")
    if kind != "vietqr" and (args.bank or args.account):
        raise UsageError("--bank and --account make a VietQR transfer; they only go with --kind vietqr")
    if kind != "evn" and args.kwh is not None:
        raise UsageError("--kwh only goes with --kind evn")
    if kind == "vietqr" and bool(args.bank) != bool(args.account):
        raise UsageError("a VietQR transfer needs both --bank BIN and --account NO (or neither, for made-up ones)")
    amount = amount_option(args.amount)
    return BillSpec(
        kind=kind, customer=args.customer, customer_name=args.customer_name, address=args.address,
        bank=args.bank, account=args.account, amount=amount, purpose=args.purpose,
        merchant_name=args.merchant_name, merchant_id=args.merchant_id, city=args.city, kwh=args.kwh,
        seed=args.seed, fee=_fee_from_args(args),
    )


def _fee_from_args(args):
    """The fee or tip rule of --fee-fixed / --fee-percent / --tip-prompt (None without them)."""
    from payer_app.core.amounts import parse_user_amount
    from payer_app.core.fees import FIXED_FEE, PERCENT_FEE, TIP_PROMPT, FeeRule, parse_percent

    if args.tip_prompt:
        return FeeRule(TIP_PROMPT)
    if args.fee_percent is not None:
        hundredths = parse_percent(args.fee_percent)
        if hundredths is None:
            raise UsageError(f"--fee-percent {visible(args.fee_percent)!r} must be a percentage from 0 to 100 "
                             "with at most two decimals, e.g. 1.5")
        return FeeRule(PERCENT_FEE, hundredths=hundredths)
    if args.fee_fixed is not None:
        return FeeRule(FIXED_FEE, fixed=checked_option("--fee-fixed", args.fee_fixed, parse_user_amount))
    return None


def run_bill(args) -> int:
    from payer_app.studio.bill import save_bill
    from payer_app.studio.bill_spec import BillSpecError
    from payer_app.studio.fonts import FontNotFoundError

    spec = _spec_from_args(args)
    try:
        bill = save_bill(spec, args.output, dpi=args.dpi)
    except (BillSpecError, FontNotFoundError) as exc:
        raise UsageError(str(exc)) from exc
    except OSError as exc:
        raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    print(bill.payload)
    return EXIT_OK


def run_corpus(args) -> int:
    from payer_app.studio.corpus import MANIFEST_NAME, CorpusError, generate_corpus

    if args.count < 1 or args.count > 100_000:
        raise UsageError(f"--count must be between 1 and 100000 (got {args.count})")
    try:
        manifest = generate_corpus(args.directory, args.count, args.seed)
    except CorpusError as exc:  # not a folder, cannot be written
        raise UsageError(str(exc)) from None
    summary = manifest["summary"]
    print(
        f"{summary['count']} pictures in {visible(args.directory)} "
        f"({summary['decodable_expected']} a decoder is expected to read, "
        f"{summary['beyond_decoder']} beyond any decoder, {summary['valid_expected']} valid payloads); "
        f"manifest: {visible(args.directory.rstrip('/'))}/{MANIFEST_NAME}"
    )
    return EXIT_OK
