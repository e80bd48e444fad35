"""``payer-app history [--json] [--limit N] [--retry]``: the payer's requests and their outcomes."""

from __future__ import annotations

import json

from payer_app.core.amounts import format_vnd


def register(sub) -> None:
    p = sub.add_parser(
        "history",
        help="list the payer's payment requests and outcomes",
        description="The payer's own payment requests, newest first, from the data folder.",
    )
    p.add_argument("--json", action="store_true", help="print a JSON array (with each signed request)")
    p.add_argument("--limit", type=int, default=50, help="how many to list (default 50)")
    p.add_argument("--retry", action="store_true",
                   help="first re-send pending requests (same signature and idempotency key)")
    p.add_argument("--acquirer", metavar="URL", help="with --retry: the acquirer to re-send to (default: embedded)")
    p.set_defaults(func=run)


def run(args) -> int:
    from payer_app.payments.service import PaymentService

    with PaymentService(acquirer_url=args.acquirer) as service:
        retried = service.retry_pending() if args.retry else []
        entries = service.history(max(args.limit, 0))
    if args.json:
        print(json.dumps([e.to_dict() for e in entries], ensure_ascii=False, indent=1))
    else:
        for outcome in retried:
            print(f"re-sent {outcome.request_id}: {outcome.status} ({outcome.message})")
        if not entries:
            print("No payment requests yet.")
        for e in entries:
            payee = e.payee_name or e.payee_account or "?"
            print(f"{e.created_at}  {e.status:<8}  {format_vnd(e.amount):>16}  {payee[:32]:<32}  "
                  f"{e.acquirer_reference or '-':<16}  {e.request_id}")
    return 1 if any(o.status == "pending" for o in retried) else 0
