"""``payer-app history [--json] [--limit N] [--retry [--acquirer URL [--force]]]``: the payer's
requests and their outcomes.

``--retry`` re-sends each pending request, with its original signature and idempotency key, to the
acquirer it was first sent to (one payment, one acquirer). ``--acquirer URL`` says which acquirer the
caller expects: pending requests first sent elsewhere are refused (exit 2, nothing sent) unless
``--force`` sends them there anyway (where the ``aud`` check normally refuses them again).
Exit codes: 0 listed (every re-sent request answered), 2 usage error, 3 a re-sent request is
still pending (no answer yet).
"""

from __future__ import annotations

import json

from payer_app.cli.exits import EXIT_OK, EXIT_PENDING, UsageError
from payer_app.cli.options import add_acquirer_option, add_command, add_json_option
from payer_app.core.charge import cost_line
from payer_app.core.display_text import visible
from payer_app.payments.keystore import KeyStoreError


def register(sub) -> None:
    p = add_command(sub, "history", "list the payer's payment requests and outcomes",
                    "The payer's own payment requests, newest first, from the data folder. Exit 0, "
                    "2 usage error, 3 when a request re-sent with --retry is still pending.", func=run)
    add_json_option(p, "print a JSON array (with each signed request)")
    p.add_argument("--limit", type=int, default=50, help="how many to list (default 50)")
    p.add_argument("--retry", action="store_true",
                   help="first re-send pending requests (same signature and idempotency key) to the acquirer "
                   "each was first sent to")
    add_acquirer_option(p, "with --retry: the acquirer expected (refused when a pending request went elsewhere)")
    p.add_argument("--force", action="store_true",
                   help="with --retry --acquirer: send every pending request to that acquirer anyway")


def run(args) -> int:
    from payer_app.payments.errors import PaymentSetupError
    from payer_app.payments.service import PaymentService

    if (args.acquirer or args.force) and not args.retry:
        raise UsageError("--acquirer and --force only go with --retry")
    if args.force and not args.acquirer:
        raise UsageError("--force needs --acquirer URL (the acquirer to send to)")
    try:
        with PaymentService() as service:
            retried = service.retry_pending(acquirer_url=args.acquirer, force=args.force) if args.retry else []
            entries = service.history(max(args.limit, 0))
    except PaymentSetupError as exc:
        raise UsageError(exc.message) from None
    except KeyStoreError as exc:
        raise UsageError(f"key store: {exc}") from None
    if args.json:
        print(json.dumps([e.to_dict() for e in entries], ensure_ascii=False, indent=1))
    else:
        for outcome in retried:
            print(f"re-sent {outcome.request_id} to {visible(outcome.acquirer, 100)}: {outcome.status} "
                  f"({visible(outcome.message, 300)})")
        if not entries:
            print("No payment requests yet.")
        for e in entries:
            payee = visible(e.payee_name or e.payee_account or "?", 32)
            print(f"{e.created_at}  {e.status:<8}  {cost_line(e.amount, e.charge):>16}  {payee:<32}  "
                  f"{visible(e.acquirer_reference or '-', 20):<16}  {e.request_id}")
    return EXIT_PENDING if any(o.status == "pending" for o in retried) else EXIT_OK
