"""``payer-app acquirer serve``: run the mock acquirer HTTP server (Starlette on uvicorn).

``payer-app acquirer new-day`` archives the day's payments (``payments/new_day.py``; with ``--acquirer
URL``, at a running acquirer, with the operator token kept in its ledger file); ``serve
--new-day-at HH:MM`` does it every day at that time. On the acquirer's machine, ``acquirer codes issue
--account BIN/ACCOUNT [--minutes M]`` writes a one-time activation code for one account into the
ledger (kept hashed) and prints it, and ``acquirer revoke KID --acquirer URL`` revokes any key with
the operator token kept in the ledger (``payments/acquirer/activation.py``). While serving, each decision is one line on
standard error (time, amount, payee, answer: ``payments/acquirer/console.py``).

At start it prints (on standard error) its URL and its enrolment code (random, created on first
start and kept in the ledger; ``--enrol-code`` fixes one of at least 16 characters). After 5 wrong
codes within a minute every code is refused (429) for a minute; wrong codes, the lock-out and a
client hanging up mid-body are one log line each on standard error. ``--open-enrolment`` waives the
code, for quick demos only. It serves until Ctrl+C or SIGTERM, then shuts down cleanly (answers in
flight finish) and ends as the signal says (130 or 143, uvicorn's way); exit 2 for a bad option,
a trusted key that cannot be used, a ``--directory`` file that is missing or malformed, a port that is
taken or a ledger that cannot be opened.
"""

from __future__ import annotations

import signal
import socket
import sys
from pathlib import Path

from payer_app.cli.exits import EXIT_INTERRUPTED, EXIT_OK, UsageError
from payer_app.cli.options import add_acquirer_option, add_actions, add_command, add_command_group, checked_option
from payer_app.core.amounts import format_vnd
from payer_app.core.display_text import visible
from payer_app.core.payability import Limits
from payer_app.payments.acquirer.balances import DEMO_BALANCE, parse_balance_option, parse_demo_balance
from payer_app.payments.acquirer_client import SERVING_LINE

DEFAULT_LEDGER_FILE = "acquirer-ledger.sqlite3"


def register(sub) -> None:
    actions = add_command_group(sub, "acquirer", "run the mock acquirer HTTP server",
                                "A mock acquirer that checks signed payment requests and keeps a SQLite ledger.")
    serve = add_command(actions, "serve", "serve POST /v1/payments and GET /v1/payments/{request_id}",
                        "Serve the mock acquirer until interrupted (Ctrl+C).", func=run_serve)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    serve.add_argument(
        "--ledger", metavar="FILE", help=f"SQLite ledger (default: {DEFAULT_LEDGER_FILE} in the data folder)"
    )
    serve.add_argument("--trust-key", metavar="JWK_FILE", action="append", default=[],
                       help="accept requests signed with this public key (JWK or JWK Set), bound to the "
                       "--trust-account payer account; payers can also enrol keys with POST /v1/keys")
    serve.add_argument("--trust-account", metavar="BANK_BIN/ACCOUNT", default="970436/0011001234567",
                       help="the payer account --trust-key keys are bound to (default: the demo payer "
                       "970436/0011001234567)")
    serve.add_argument("--enrol-code", metavar="CODE",
                       help="the booth's enrolment code, which opens new demo accounts only, 16 to 128 characters "
                       "(kept in the ledger; default: the kept one, or a new random one on first start, printed "
                       "at start)")
    serve.add_argument("--open-enrolment", action="store_true",
                       help="DEMO ONLY: no code at all: open demo accounts, and bind a key to a named account no "
                       "key was ever bound to, whoever names it first (still one account per key, with proof of "
                       "possession)")
    serve.add_argument("--public-url", metavar="URL", action="append", default=[],
                       help="another URL payers reach this acquirer at (accepted as a request's aud), e.g. "
                       "behind a proxy; its own http://HOST:PORT is always accepted")
    serve.add_argument("--directory", metavar="FILE",
                       help="registered account names POST /v2/lookup answers from: CSV (bin,account,name) or JSON "
                       "(default: the bundled directory of the demo bills and the studio's payees)")
    serve.add_argument("--balance", metavar="BANK_BIN/ACCOUNT=VND[:DAILY_LIMIT]", action="append", default=[],
                       help="open a payer account with this balance (and daily limit) on first start; afterwards "
                       "the ledger keeps it (docs/accounts.md)")
    serve.add_argument("--demo-balance", metavar="VND", help="what each demo account the booth's code opens (a "
                       f"visitor's) starts with, in whole dong (default {DEMO_BALANCE}; docs/booth.md)")
    serve.add_argument("--min-amount", type=int, default=Limits.min_amount, help="smallest accepted amount in dong")
    serve.add_argument("--max-amount", type=int, default=Limits.max_amount, help="largest accepted amount in dong")
    serve.add_argument("--new-day-at", metavar="HH:MM", default=None,
                       help="start a new day at this local time every day (as `payer-app acquirer new-day`)")
    group = serve.add_argument_group("failure injection (reproducible with --seed)")
    group.add_argument("--decline-rate", type=float, default=0.0, help="share of payments declined (0..1)")
    group.add_argument("--latency-ms", type=int, default=0, help="delay added to every answer")
    group.add_argument("--latency-jitter-ms", type=int, default=0, help="plus up to this much random delay")
    group.add_argument("--timeout-rate", type=float, default=0.0,
                       help="share of payments recorded but answered only after --timeout-seconds")
    group.add_argument("--timeout-seconds", type=float, default=30.0, help="how long a 'timed out' answer is held")
    group.add_argument("--unavailable-rate", type=float, default=0.0, help="share of attempts answered 503")
    group.add_argument("--seed", type=int, default=0, help="seed for the injected failures")
    new_day = add_command(actions, "new-day", "archive the day's payments: display totals zero, demo bills unpaid",
                          "Start a new day: the merchant display's payments and the EVN bills' payments move to "
                          "archive tables of the ledger (nothing is deleted); the display's totals start from zero "
                          "and the demo bills are unpaid again.", func=run_new_day)
    new_day.add_argument("--ledger", metavar="FILE",
                         help=f"the ledger file (default: {DEFAULT_LEDGER_FILE} in the data folder); with "
                         "--acquirer, the file its operator token is read from")
    new_day.add_argument("--acquirer", metavar="URL", help="ask a running acquirer instead (its open displays are "
                         "told at once), with the operator token kept in its ledger file")
    new_day.add_argument("--json", action="store_true", help="print what was archived as JSON")
    _register_operator_actions(actions)


def _register_operator_actions(actions) -> None:
    """``acquirer codes issue`` and ``acquirer revoke``: the operator's side of activation."""
    codes = add_actions(add_command(actions, "codes", "one-time activation codes for one payer account",
                                    "Activation codes: each binds one new key to one account, once, for minutes."),
                        "acquirer codes", dest="codes_action")
    issue = add_command(codes, "issue", "print a new one-time activation code for one account",
                        "Write a new activation code for BIN/ACCOUNT into the ledger (only its hash is kept) and "
                        "print it; the payer enrols with `payer-app keys enrol --acquirer URL --code CODE`.",
                        func=run_codes_issue)
    issue.add_argument("--account", metavar="BIN/ACCOUNT", required=True, help="the payer account, e.g. "
                       "970436/0011001234567")
    issue.add_argument("--minutes", type=int, default=10, help="how long the code is valid (1 to 1440, default 10)")
    issue.add_argument("--ledger", metavar="FILE", help=f"the ledger file (default: {DEFAULT_LEDGER_FILE} in the "
                       "data folder)")
    revoke = add_command(actions, "revoke", "revoke any key at a running acquirer (the operator)",
                         "Revoke KID at the acquirer with the operator token kept in its ledger file: nothing "
                         "the key signs is accepted there any more.", func=run_revoke)
    revoke.add_argument("kid", metavar="KID")
    add_acquirer_option(revoke, "the running acquirer, e.g. http://127.0.0.1:8765", required=True)
    revoke.add_argument("--ledger", metavar="FILE", help="its ledger file (default: the data folder's)")


def run_codes_issue(args) -> int:
    """The code on standard output (alone, for scripts), what it is for on standard error."""
    from payer_app.payments.acquirer.activation import issue_code

    bank_bin, account = _trust_account(args.account, "--account")
    ledger = _existing_ledger(args.ledger)
    try:
        code, expires = issue_code(ledger, bank_bin, account, args.minutes)
    except ValueError as exc:
        raise UsageError(visible(str(exc), 200)) from None
    except Exception as exc:  # an unusable ledger file, for instance
        raise UsageError(f"cannot write the code into {visible(str(ledger), 200)}: {visible(str(exc), 200)}") from None
    print(code)
    say(f"One-time activation code for {bank_bin}/{account}, valid until {expires:%Y-%m-%dT%H:%M:%SZ} (UTC), for "
        f"one key: payer-app keys enrol --acquirer URL --code {code}")
    return EXIT_OK


def run_revoke(args) -> int:
    from payer_app.cli.exits import NoAnswerError
    from payer_app.payments.acquirer_client import AcquirerUnavailable, HttpAcquirerClient

    if not args.acquirer.startswith(("http://", "https://")):
        raise UsageError(f"--acquirer must be an http:// or https:// URL, not {visible(args.acquirer, 100)}")
    token = _operator_token_of(args.ledger)
    client = HttpAcquirerClient(args.acquirer)
    try:
        reply = client.revoke(args.kid, code=token)
    except AcquirerUnavailable as exc:
        raise NoAnswerError(str(exc)) from None
    finally:
        client.close()
    if reply.http_status != 200:
        raise UsageError(f"{visible(args.acquirer, 100)} refused ({reply.http_status} "
                         f"{visible(str(reply.body.get('error') or ''), 60)}): "
                         f"{visible(str(reply.body.get('message') or ''), 200)}")
    print(f"Key {visible(args.kid, 60)} at {visible(args.acquirer, 100)}: {visible(str(reply.body.get('status')), 20)}")
    return EXIT_OK


def _operator_token_of(ledger: str | None) -> str:
    """The operator token kept in the ledger file (``--ledger``, else the data folder's)."""
    from payer_app.payments.acquirer.activation import operator_token

    try:
        return operator_token(_existing_ledger(ledger))
    except UsageError:
        raise
    except Exception as exc:  # an unusable ledger file, for instance
        raise UsageError(f"cannot read the operator token: {visible(str(exc), 200)}") from None


def _existing_ledger(option: str | None) -> Path:
    ledger = ledger_path(option)
    if not ledger.is_file():
        raise UsageError(f"no ledger at {visible(str(ledger), 200)} (acquirer serve makes it on its first start)")
    return ledger


def run_serve(args) -> int:
    """Check every option, bind the port, open the ledger, say where it serves, then serve."""
    failures, limits = _failure_settings_and_limits(args)
    bank_bin, account = _trust_account(args.trust_account)
    trusted = _trusted_keys(args.trust_key, bank_bin, account)
    ledger = ledger_path(args.ledger)
    directory = _name_directory(args.directory)
    schedule = new_day_schedule(args.new_day_at)
    balances = [checked_option("--balance", text, parse_balance_option) for text in args.balance]
    demo_balance = demo_balance_option(args.demo_balance)
    sock = _listening_socket(args.host, args.port)
    host, port = sock.getsockname()[:2]
    app = _open_acquirer(args, sock, ledger, failures, limits, trusted, directory)
    for scope, balance, limit in balances:  # opened once; a restart keeps the ledger's balance
        app.state.acquirer.ledger.balances.open(scope, balance, limit)
    app.state.acquirer.ledger.balances.set_demo_balance(demo_balance)
    attach_console(app.state.acquirer, schedule)
    _serve(app, sock, lambda: _print_where_it_serves(app.state.acquirer, host, port, ledger, args.open_enrolment,
                                                      directory))
    return EXIT_OK


def demo_balance_option(text: str | None) -> int:
    """--demo-balance VND (``acquirer serve`` and ``booth``), checked; the default when not given."""
    return DEMO_BALANCE if text is None else checked_option("--demo-balance", text, parse_demo_balance)


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def new_day_schedule(text: str | None) -> tuple[int, int] | None:
    """--new-day-at HH:MM as (hour, minute), or None."""
    from payer_app.payments.new_day import parse_hour

    if text is None:
        return None
    try:
        return parse_hour(text)
    except ValueError as exc:
        raise UsageError(f"--new-day-at: {exc}") from None


def attach_console(acquirer, new_day_at: tuple[int, int] | None) -> None:
    """One line per decision on standard error; a new day at ``new_day_at`` every day."""
    from payer_app.payments.acquirer.console import attach_decision_log
    from payer_app.payments.new_day import NewDaySchedule

    attach_decision_log(acquirer, say)
    if new_day_at is not None:
        NewDaySchedule(acquirer, *new_day_at, say=say).start()
        say(f"A new day starts every day at {new_day_at[0]:02d}:{new_day_at[1]:02d} (local time).")


def run_new_day(args) -> int:
    """On the ledger file, or at a running acquirer (--acquirer URL, the operator token of --ledger)."""
    import json

    if args.acquirer:
        done = _new_day_at_acquirer(args.acquirer, args.ledger)
    else:
        from payer_app.payments.new_day import new_day_on_file

        ledger = ledger_path(args.ledger)
        if not ledger.is_file():
            raise UsageError(f"no ledger at {visible(str(ledger), 200)} (acquirer serve makes it on its first start)")
        done = new_day_on_file(ledger).to_dict()
    if args.json:
        print(json.dumps(done, ensure_ascii=False))
    else:
        print(f"New day from {done['closed_at']}: {done['approved']} approved payment(s) ({done['approved_total']} "
              f"dong) and {done['bill_payments']} bill payment(s) archived; display totals are zero, bills unpaid.")
    return EXIT_OK


def _new_day_at_acquirer(url: str, ledger: str | None) -> dict:
    from payer_app.cli.exits import NoAnswerError
    from payer_app.payments.acquirer_client import AcquirerUnavailable, HttpAcquirerClient

    if not url.startswith(("http://", "https://")):
        raise UsageError(f"--acquirer must be an http:// or https:// URL, not {visible(url, 100)}")
    code = _operator_token_of(ledger)
    client = HttpAcquirerClient(url)
    try:
        reply = client.new_day(code)
    except AcquirerUnavailable as exc:
        raise NoAnswerError(str(exc)) from None
    finally:
        client.close()
    if reply.http_status != 200 or not isinstance(reply.body.get("new_day"), dict):
        raise UsageError(f"{visible(url, 100)} refused the new day ({reply.http_status}): "
                         f"{visible(str(reply.body.get('message') or ''), 200)}")
    return reply.body["new_day"]


def _failure_settings_and_limits(args):
    """The injected failures and the accepted amounts, checked by their own classes."""
    from payer_app.payments.acquirer.answers import FailureSettings

    try:
        failures = FailureSettings(
            decline_rate=args.decline_rate, latency_ms=args.latency_ms, latency_jitter_ms=args.latency_jitter_ms,
            timeout_rate=args.timeout_rate, timeout_seconds=args.timeout_seconds,
            unavailable_rate=args.unavailable_rate, seed=args.seed,
        )
        return failures, Limits(args.min_amount, args.max_amount)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _trust_account(text: str, option: str = "--trust-account") -> tuple[str, str]:
    """BANK_BIN/ACCOUNT: a 6-digit NAPAS BIN and 1-34 ASCII letters or digits."""
    bank_bin, _, account = text.partition("/")
    if not (bank_bin.isascii() and bank_bin.isdigit() and len(bank_bin) == 6 and account.isascii()
            and account.isalnum() and len(account) <= 34):
        raise UsageError(f"{option} must be BANK_BIN/ACCOUNT (6 digits / 1-34 letters or digits), "
                         f"not {visible(text, 80)}")
    return bank_bin, account


def _trusted_keys(files: list[str], bank_bin: str, account: str) -> list:
    """Each --trust-key file (a JWK or JWK Set, read as untrusted JSON and checked as verification
    keys), bound to the --trust-account payer account."""
    from payer_app.core.safe_json import loads_untrusted
    from payer_app.core.signing import VerificationKeys
    from payer_app.payments.acquirer.ledger import TrustedKey

    trusted = []
    for name in files:
        shown = visible(name, 200)
        try:
            document = loads_untrusted(Path(name).read_bytes(), what=f"--trust-key {shown}")
            VerificationKeys.load(document)
        except OSError as exc:
            raise UsageError(f"--trust-key: cannot read {shown}: {exc.strerror}") from None
        except (ValueError, TypeError) as exc:
            raise UsageError(f"--trust-key {shown}: {visible(str(exc), 300)}") from None
        jwks = document["keys"] if isinstance(document, dict) and isinstance(document.get("keys"), list) else [document]
        trusted += [TrustedKey(jwk, bank_bin, account, jwk.get("retired_at")) for jwk in jwks]
    return trusted


def ledger_path(option: str | None) -> Path:
    from payer_app.paths import data_file

    return Path(option) if option else data_file(DEFAULT_LEDGER_FILE)


LISTEN_BACKLOG = 2048  # uvicorn's default


def _listening_socket(host: str, port: int) -> socket.socket:
    """The server socket, bound before the ledger is opened: a taken port is one line, exit 2. It
    listens at once, so a client that connects as soon as the start lines are printed waits in the
    backlog until uvicorn answers, instead of being refused."""
    try:
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(LISTEN_BACKLOG)
    except (OSError, OverflowError) as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {getattr(exc, 'strerror', None) or exc}") from None
    return sock


def _name_directory(option: str | None):
    """The --directory file, read and checked at start (a missing or malformed one: one line, exit 2)."""
    from payer_app.payments.name_directory import DirectoryError, NameDirectory

    try:
        return NameDirectory.load(Path(option)) if option else NameDirectory.bundled()
    except DirectoryError as exc:
        raise UsageError(f"--directory: {exc}") from None


def _open_acquirer(args, sock, ledger: Path, failures, limits, trusted, directory):
    """The Starlette app over the ledger; it accepts requests addressed to this host and port and
    to each --public-url."""
    from payer_app.payments.acquirer.endpoints import create_app
    from payer_app.payments.acquirer.server import served_audiences

    host, port = sock.getsockname()[:2]
    try:
        return create_app(ledger, failures, trusted=trusted, limits=limits,
                          audiences=served_audiences(host, port) + args.public_url,
                          enrol_code=args.enrol_code, open_enrolment=args.open_enrolment, directory=directory)
    except ValueError as exc:  # a bad --enrol-code or trusted key
        sock.close()
        raise UsageError(visible(str(exc), 300)) from None
    except Exception as exc:  # an unusable ledger file, for instance
        sock.close()
        raise UsageError(f"cannot open the ledger {visible(str(ledger), 200)}: {visible(str(exc), 200)}") from None


def _print_where_it_serves(acquirer, host: str, port: int, ledger: Path, open_enrolment: bool,
                           directory) -> None:
    """URL, enrolment code, accepted audiences and the merchant display, on standard error."""
    say = [
        f"Mock acquirer on http://{host}:{port} (ledger {visible(str(ledger), 200)}); Ctrl+C to stop.",
        f"Enrolment code: {acquirer.enrol_code}  (the booth's code: it opens new demo accounts only, "
        f"payer-app gui --acquirer http://{host}:{port} --enrol-code {acquirer.enrol_code}; a key for a payer's "
        "own account needs payer-app acquirer codes issue --account BIN/ACCOUNT)",
        demo_balance_line(acquirer),
        f"Name inquiry: POST http://{host}:{port}/v2/lookup ({len(directory.names)} names from "
        f"{visible(directory.source, 200)})",
        f"{SERVING_LINE}{', '.join(sorted(acquirer.audiences))}",
        f"Merchant display: http://{host}:{port}/display ({acquirer.display_hub.speaker.description}); "
        f"EVN bills: http://{host}:{port}/v1/bills/CUSTOMER_CODE",
    ]
    if open_enrolment:
        say.append("WARNING: OPEN ENROLMENT. Anyone who can reach this port can open accounts and enrol a key for "
                   "any account no key is bound to yet, without a code, and pay from it. Use for quick demos only.")
    print("\n".join(say), file=sys.stderr, flush=True)


def demo_balance_line(acquirer) -> str:
    """What a visitor's demo account opens with, as the start lines say it."""
    return f"Demo accounts open with {format_vnd(acquirer.ledger.balances.demo_balance)} (--demo-balance)."


def _serve(app, sock, say_where) -> None:
    """uvicorn on the bound socket until Ctrl+C or SIGTERM (answers in flight get 2 s to finish; the
    display streams are ended as soon as the stop is asked for). ``say_where()`` prints the start lines
    once it serves with its signal handlers in place: a script that reads them and sends Ctrl+C at once
    stops it, even when it was started with Ctrl+C ignored (a background job; such a signal sent
    before the handlers were in place was lost, and the process served on)."""
    import uvicorn

    from payer_app.payments.acquirer.server import end_display_streams, stopping_server

    server = stopping_server(uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=2),
                             on_stop=lambda: end_display_streams(app), on_serving=say_where)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        if not server.started:
            raise  # Ctrl+C before it served: the usual way out
        _end_now(EXIT_INTERRUPTED)
    if signal.SIGINT in server.stop_signals:
        # uvicorn raises the Ctrl+C again after its shutdown; a process started with SIGINT ignored (a
        # background job of a script, some test runners) gets no KeyboardInterrupt from it, and would
        # end as if nothing had been asked
        _end_now(EXIT_INTERRUPTED)


def _end_now(code: int) -> None:
    """Ctrl+C once uvicorn has shut down cleanly (answers in flight finished, display streams ended,
    the ledger closed by the app's lifespan): the process ends here. Python's own teardown of the
    modules a server has loaded would take another 0.1 s of CPU (0.3-0.5 s on a busy machine,
    bench/display_stop_bench.py) and does nothing a stopped server needs. (SIGTERM needs no help:
    uvicorn raises it again after the same shutdown, and the process ends by it.)"""
    import logging
    import os

    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed or broken pipe: nothing more to say there
            pass
    os._exit(code)
