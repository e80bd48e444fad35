"""Two payments of one account decided at once by the embedded acquirer (``MockAcquirer.submit`` from two
threads: the window's payment and the kiosk re-sending a pending one) must not both pass the day's face-check
threshold. The day's total is read in step 7 and the payment recorded in step 9: a second payment whose step 7
runs while the first is between the two would count a day without the first. ``settle`` runs one payment at
a time in a process, as the HTTP pipeline's single writer does."""

from __future__ import annotations

import threading

from payer_app.core.auth_policy import PIN
from payer_app.core.builder import vietqr_payload
from payer_app.core.choice import PaymentChoice
from payer_app.core.payload import parse_payload
from payer_app.core.request import build_request
from payer_app.core.signing import sign_request
from payer_app.payments.acquirer import ledger as ledger_module
from tests.acquirer_helpers import new_payer, post, start_server

M = 1_000_000
SHOP = vietqr_payload("970416", "257678859")  # a person's account: not a trusted payee
CEILING = 60  # seconds: only ends a hung test
OVERLAP_S = 1.0  # how long the first payment, between its day read and its record, waits for the second's read


def _token(payer, url, amount):
    request = build_request(parse_payload(SHOP), PaymentChoice(amount, auth=PIN), payer=payer.info, audience=url)
    return sign_request(request, payer.key)


def test_two_payments_at_once_cannot_both_stay_under_the_days_threshold(tmp_path, monkeypatch):
    server = start_server(tmp_path / "ledger.sqlite3")
    try:
        payer = new_payer(server.url)
        assert post(server.url, _token(payer, server.url, 5 * M)).status_code == 201  # 5 M of the day's 20 M
        acquirer = server.server.config.app.state.acquirer
        first_recording, second_read = threading.Event(), threading.Event()
        real_total, real_insert = ledger_module.Ledger.approved_total_since, ledger_module.Ledger.insert_if_new

        def total(self, *args, **kwargs):
            if first_recording.is_set():
                second_read.set()  # the second payment reads the day while the first is being decided
            return real_total(self, *args, **kwargs)

        def insert(self, *args, **kwargs):
            if not first_recording.is_set():
                first_recording.set()
                second_read.wait(OVERLAP_S)  # time for the second's day read, if it may run now
            return real_insert(self, *args, **kwargs)

        monkeypatch.setattr(ledger_module.Ledger, "approved_total_since", total)
        monkeypatch.setattr(ledger_module.Ledger, "insert_if_new", insert)
        answers = []
        first = threading.Thread(target=lambda: answers.append(acquirer.submit(_token(payer, server.url, 10 * M))))
        first.start()
        assert first_recording.wait(CEILING)
        second = threading.Thread(target=lambda: answers.append(acquirer.submit(_token(payer, server.url, 10 * M))))
        second.start()
        first.join(CEILING)
        second.join(CEILING)
        statuses = sorted(answer.http_status for answer in answers)
        # 5 + 10 + 10 = 25 M is above the day's 20 M: the one decided second needs the face check
        assert statuses == [201, 403], [(a.http_status, a.body) for a in answers]
        assert [a.body.get("error") for a in answers if a.http_status == 403] == ["biometric-required"]
    finally:
        server.stop()
