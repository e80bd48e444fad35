"""Key files are input from strangers too: the key store behaves like OpenSSH's.

Each test makes the exact file the issue names and checks for ONE clear ``KeyStoreError`` that says
how to fix it; the command-line cases that could hang or fill memory (a FIFO, /dev/zero, a big or deep
file) run in a subprocess with a memory cap and a time limit, the others through ``payer_app.cli.main``
in this process (``tests/cli_in_process.py``).
"""

from __future__ import annotations

import base64
import json
import os
import resource
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from payer_app.core.choice import PaymentChoice
from payer_app.core.keys import SMALL_ORDER_Y, BadPublicKeyError, SigningKey, check_ed25519_public_jwk
from payer_app.core.payload import parse_payload
from payer_app.core.request import build_request
from payer_app.core.signing import VerificationKeys, sign_request, verify_request
from payer_app.core.timestamps import parse_canonical_timestamp
from payer_app.files import UnsafeFileError, read_regular_file, write_file_atomically
from payer_app.payments.keystore import KeyStore, KeyStoreError
from tests import cli_in_process
from tests.hostile_tokens import all_zero_jwk, b64url, identity_point_jwk, non_canonical_jwk
from tests.spec_vectors import EVN_BILL

MEMORY_CAP = 300 * 1024 * 1024


@pytest.fixture
def store(payer_home):
    payer_home.mkdir(mode=0o700, exist_ok=True)
    store = KeyStore(payer_home)
    store.current()
    return store


def refused(store: KeyStore, *needles: str) -> str:
    with pytest.raises(KeyStoreError) as caught:
        store.current()
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message
    for needle in needles:
        assert needle in message, (needle, message)
    return message


def pem_of(private_key) -> bytes:
    return private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())


def replace_private(store: KeyStore, data: bytes, mode: int = 0o600) -> None:
    store.private_path.unlink()
    store.private_path.write_bytes(data)
    os.chmod(store.private_path, mode)


# --- the private key file ------------------------------------------------------------------------
def test_a_0666_key_in_0777_folders_is_refused_and_the_folders_are_fixed(store, payer_home):
    kid = store.current().kid
    os.chmod(store.private_path, 0o666)
    os.chmod(store.folder, 0o777)
    os.chmod(payer_home, 0o777)
    message = refused(store, "0666", f"chmod 600 {store.private_path}", "keys rotate")
    assert "open to other users" in message
    # OpenSSH-like: the folders are ours, so they are fixed; the key file itself is refused, not fixed.
    assert stat.S_IMODE(os.stat(store.folder).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(payer_home).st_mode) & 0o022 == 0
    assert stat.S_IMODE(os.stat(store.private_path).st_mode) == 0o666
    os.chmod(store.private_path, 0o600)  # what the message says to do
    assert store.current().kid == kid


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o606, 0o644])
def test_any_group_or_other_access_is_refused(store, mode):
    os.chmod(store.private_path, mode)
    refused(store, f"{mode:04o}", "chmod 600")


def test_a_key_owned_by_another_user_is_refused(store):
    if os.geteuid() != 0:
        pytest.skip("changing a file's owner needs root")
    os.chown(store.private_path, 4321, 4321)
    refused(store, "user id 4321", "keys rotate")


def test_a_symlink_to_dev_zero_is_not_followed(store):
    store.private_path.unlink()
    store.private_path.symlink_to("/dev/zero")
    refused(store, "symbolic link", "not followed")


def test_a_symlink_to_a_good_key_is_not_followed_either(store, tmp_path):
    elsewhere = tmp_path / "elsewhere.pem"
    elsewhere.write_bytes(store.private_path.read_bytes())
    os.chmod(elsewhere, 0o600)
    store.private_path.unlink()
    store.private_path.symlink_to(elsewhere)
    refused(store, "symbolic link")


def test_a_fifo_in_place_of_the_key_does_not_hang(store):
    store.private_path.unlink()
    os.mkfifo(store.private_path, 0o600)
    refused(store, "named pipe (FIFO)", "not a regular file")


def test_a_directory_in_place_of_the_key(store):
    store.private_path.unlink()
    store.private_path.mkdir(mode=0o700)
    refused(store, "is a folder", "not a regular file")


def test_a_key_file_larger_than_a_few_kb(store):
    replace_private(store, store.private_path.read_bytes() + b"#" * 5000)
    refused(store, "bytes long", "4096")


@pytest.mark.parametrize(
    "name, data, needle",
    [
        ("empty", b"", "is empty"),
        ("blank", b"\n\n  \n", "is empty"),
        ("corrupt", b"-----BEGIN PRIVATE KEY-----\nnot base64 at all!!\n-----END PRIVATE KEY-----\n",
         "does not hold a readable PEM private key"),
        ("random bytes", bytes(range(256)), "does not hold a readable PEM private key"),
        ("truncated", None, "does not hold a readable PEM private key"),
        ("RSA", pem_of(rsa.generate_private_key(public_exponent=65537, key_size=1024)), "Ed25519 only"),
        ("encrypted", Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret")), "encrypted with a password"),
    ],
)
def test_unreadable_key_contents(store, name, data, needle):
    if data is None:
        data = store.private_path.read_bytes()[:60]
    replace_private(store, data)
    refused(store, needle)


def test_a_private_key_that_does_not_match_the_public_list(store):
    listed = store.current().kid
    stranger = Ed25519PrivateKey.generate()
    replace_private(store, pem_of(stranger))
    message = refused(store, "does not match", listed)
    assert SigningKey.from_private_key(stranger).kid in message


def test_a_retired_private_key_put_back_is_refused(store):
    old_pem = store.private_path.read_bytes()
    store.rotate()
    replace_private(store, old_pem)
    refused(store, "lists as retired")


# --- the public key list -------------------------------------------------------------------------
def damage_public(store: KeyStore, change) -> None:
    record = json.loads(store.public_path.read_text())
    text = change(record)
    store.public_path.write_text(text if isinstance(text, str) else json.dumps(record))


@pytest.mark.parametrize(
    "name, change, needle",
    [
        ("truncated JSON", lambda r: json.dumps(r)[:40], "not valid JSON"),
        ("empty", lambda r: "", "not valid JSON"),
        ("not an object", lambda r: "[]", "no 'keys' list"),
        ("keys not a list", lambda r: r.update(keys={}), "no 'keys' list"),
        ("entry not an object", lambda r: r["keys"].append("key"), "not a JSON object"),
        ("x not base64url", lambda r: r["keys"][0].update(x="!!"), "canonical base64url"),
        ("RSA entry", lambda r: r["keys"].append({"kty": "RSA", "n": "x", "e": "AQAB"}), "not an Ed25519"),
        ("small-order entry", lambda r: r["keys"].append({**all_zero_jwk(), "kid": "x"}), "small-order"),
        ("private key listed", lambda r: r["keys"][0].update(d="AAAA"), "private key"),
        ("kid not the thumbprint", lambda r: r["keys"][0].update(kid="mallory"), "not its thumbprint"),
        ("current not listed", lambda r: r.update(current="nobody"), "is not in the list"),
        ("bad retired_at", lambda r: r["keys"][0].update(retired_at="yesterday"), "retired_at"),
        ("duplicate keys", lambda r: '{"current": null, "current": null, "keys": []}', "duplicate"),
        ("nested 5,000 deep", lambda r: "[" * 5000 + "]" * 5000, "nested deeper"),
        ("invalid UTF-8", lambda r: None, "not valid UTF-8"),
    ],
)
def test_a_damaged_public_key_list_is_one_clear_error(store, name, change, needle):
    if name == "invalid UTF-8":
        store.public_path.write_bytes(b'{"current": "\xff", "keys": []}')
    else:
        damage_public(store, change)
    message = refused(store, str(store.public_path), "damaged", needle, "backup")
    with pytest.raises(KeyStoreError):
        store.verification_keys()
    assert message


def test_a_public_list_others_can_write_is_refused(store):
    os.chmod(store.public_path, 0o666)
    refused(store, "chmod 644")


def test_a_directory_in_place_of_the_public_list(store):
    store.public_path.unlink()
    store.public_path.mkdir()
    refused(store, "is a folder")


def test_a_deleted_public_list_is_rebuilt_from_the_private_key(store):
    kid = store.current().kid
    store.public_path.unlink()
    assert store.current().kid == kid
    assert [k["kid"] for k in store.verification_keys()] == [kid]


# --- folders -------------------------------------------------------------------------------------
def test_a_shared_sticky_folder_as_data_home_is_refused(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    with pytest.raises(KeyStoreError) as caught:
        KeyStore(shared).current()
    assert "shared with other users" in str(caught.value) and "PAYER_APP_HOME" in str(caught.value)
    assert stat.S_IMODE(os.stat(shared).st_mode) == 0o1777  # never "fixed": it is meant to be shared


def test_a_symlinked_key_folder_is_refused(payer_home, tmp_path):
    real = tmp_path / "real_keys"
    real.mkdir(mode=0o700)
    payer_home.mkdir(mode=0o700, exist_ok=True)
    (payer_home / "keys").symlink_to(real)
    with pytest.raises(KeyStoreError) as caught:
        KeyStore(payer_home).current()
    assert "symbolic link" in str(caught.value) and "not a folder" in str(caught.value)


def test_a_key_folder_of_another_user_is_refused(store):
    if os.geteuid() != 0:
        pytest.skip("changing a folder's owner needs root")
    os.chown(store.folder, 4321, 4321)
    refused(store, "user id 4321")


# --- rotation and retirement ---------------------------------------------------------------------
def test_rotation_marks_the_old_key_retired_in_the_exported_set(store):
    old = store.current()
    new = store.rotate()
    exported = {k["kid"]: k for k in store.jwk_set()["keys"]}
    assert "retired_at" not in exported[new.kid]
    retired_at = parse_canonical_timestamp(exported[old.kid]["retired_at"])
    assert parse_canonical_timestamp(exported[new.kid]["created_at"]) == retired_at
    assert all("d" not in k for k in exported.values())
    request = build_request(parse_payload(EVN_BILL), PaymentChoice(250_000), now=retired_at + timedelta(minutes=2))
    late = sign_request(request, old)  # a copy of the old private key keeps signing after rotation
    result = verify_request(late, store, now=retired_at + timedelta(minutes=2))
    assert result.reason == "key-retired" and old.kid in result.message
    # Inside the clock skew, and before the retirement, the old key still counts.
    for offset in (timedelta(seconds=-30), timedelta(seconds=60)):
        earlier = build_request(parse_payload(EVN_BILL), PaymentChoice(250_000), now=retired_at + offset)
        assert verify_request(sign_request(earlier, old), store, now=retired_at + offset).ok


def test_rotation_replaces_a_refused_key(store):
    old_kid = store.current().kid
    os.chmod(store.private_path, 0o666)
    refused(store, "chmod 600")
    assert store.current_kid() == old_kid
    new = store.rotate()
    assert new.kid != old_kid and store.current().kid == new.kid
    assert stat.S_IMODE(os.stat(store.private_path).st_mode) == 0o600
    assert [k.get("retired_at") is not None for k in store.verification_keys()] == [False, True]


def test_rotation_between_preview_and_signing_cannot_fail_the_payment(store):
    """sign_request takes the key object the preview named."""
    key = store.current()
    from payer_app.core.request import PayerInfo

    request = build_request(parse_payload(EVN_BILL), PaymentChoice(250_000), payer=PayerInfo(key_id=key.kid))
    store.rotate()
    token = sign_request(request, key)
    assert verify_request(token, store).ok
    with pytest.raises(ValueError, match="names key"):
        sign_request(request, store)  # the store's *current* key is another one now


# --- sound public keys only ----------------------------------------------------------------------
def small_order_encodings() -> list[bytes]:
    out = []
    for y in sorted(SMALL_ORDER_Y):
        for sign in (0, 1):
            raw = bytearray(y.to_bytes(32, "little"))
            raw[31] |= sign << 7
            out.append(bytes(raw))
    return out


@pytest.mark.parametrize("raw", small_order_encodings(), ids=lambda raw: raw.hex()[:8] + raw.hex()[-2:])
def test_small_order_keys_verify_forged_signatures_and_are_refused(raw):
    """Under each of these keys, OpenSSL accepts R = identity, S = 0 for some messages: signatures
    that need no private key. ``check_ed25519_public_jwk`` refuses every one."""
    public = Ed25519PublicKey.from_public_bytes(raw)
    forged = (1).to_bytes(32, "little") + bytes(32)
    accepted = 0
    for i in range(64):
        try:
            public.verify(forged, b"message %d" % i)
            accepted += 1
        except Exception:  # noqa: BLE001 - InvalidSignature
            pass
    assert accepted > 0
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw)}
    with pytest.raises(BadPublicKeyError, match="small-order|non-canonical"):
        check_ed25519_public_jwk(jwk)
    with pytest.raises(ValueError):
        VerificationKeys.load([jwk])


@pytest.mark.parametrize("y_offset", [0, 1, 2, 18])
def test_non_canonical_encodings_are_refused(y_offset):
    raw = (2**255 - 19 + y_offset).to_bytes(32, "little")
    with pytest.raises(BadPublicKeyError, match="non-canonical"):
        check_ed25519_public_jwk({"kty": "OKP", "crv": "Ed25519", "x": b64url(raw)})
    with pytest.raises(BadPublicKeyError, match="non-canonical"):
        check_ed25519_public_jwk(non_canonical_jwk())


def test_points_off_the_curve_are_refused():
    off = [y for y in range(2, 40) if _off_curve(y)]
    assert off
    for y in off:
        with pytest.raises(BadPublicKeyError, match="not a point on the Ed25519 curve"):
            check_ed25519_public_jwk({"kty": "OKP", "crv": "Ed25519", "x": b64url(y.to_bytes(32, "little"))})


def _off_curve(y: int) -> bool:
    p = 2**255 - 19
    d = (-121665 * pow(121666, -1, p)) % p
    x2 = (y * y - 1) * pow(d * y * y + 1, -1, p) % p
    return x2 != 0 and pow(x2, (p - 1) // 2, p) != 1


def test_real_keys_pass_and_the_kid_is_the_thumbprint():
    for _ in range(50):
        key = SigningKey.generate()
        assert check_ed25519_public_jwk(key.public_jwk) == key.kid


@pytest.mark.parametrize(
    "jwk, needle",
    [
        ("text", "not a JSON object"),
        ({"kty": "OKP", "crv": "X25519", "x": "AAAA"}, "not an Ed25519"),
        ({"kty": "OKP", "crv": "Ed25519"}, "not an Ed25519"),
        ({"kty": "OKP", "crv": "Ed25519", "x": 5}, "not an Ed25519"),
        ({"kty": "OKP", "crv": "Ed25519", "x": "AAAA"}, "32 bytes"),
        ({"kty": "OKP", "crv": "Ed25519", "x": "é" * 43}, "32 bytes"),
        ({"kty": "OKP", "crv": "Ed25519", "x": "A" * 42 + "B"}, "32 bytes"),  # unused bits set
        ({"kty": "OKP", "crv": "Ed25519", "x": "A" * 43 + "="}, "32 bytes"),
        ({**identity_point_jwk(), "d": "AAAA"}, "private key"),
        ({"kty": "OKP", "crv": "Ed25519", "x": "x", "alg": "HS256"}, "not meant for EdDSA"),
        ({"kty": "OKP", "crv": "Ed25519", "x": "x", "use": "enc"}, "not meant for EdDSA"),
    ],
)
def test_malformed_jwks_are_refused_with_the_reason(jwk, needle):
    with pytest.raises(BadPublicKeyError) as caught:
        check_ed25519_public_jwk(jwk)
    assert needle in str(caught.value)


# --- through the command line: one line, exit 2, bounded memory and time --------------------------
def run_cli(args: list[str], home: Path, timeout: float = 10) -> subprocess.CompletedProcess:
    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))

    env = {**os.environ, "PAYER_APP_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "payer_app", *args], capture_output=True, text=True,
                          timeout=timeout, env=env, preexec_fn=cap)


# The cases that could hang or fill memory: a capped real process.
HANG_OR_FILL = {"/dev/zero", "fifo", "symlink to /dev/zero", "big", "deep"}


@pytest.fixture
def run_verify(capfd, payer_home):
    """``run(args, capped)``: ``payer-app ARGS`` in a capped subprocess when CAPPED, else in this process."""
    def run(args: list[str], capped: bool) -> subprocess.CompletedProcess:
        if capped:
            return run_cli(args, payer_home)
        code, out, err = cli_in_process.run(capfd, *args)
        return subprocess.CompletedProcess(args, code, out, err)

    return run


@pytest.mark.parametrize("make", ["symlink to /dev/zero", "fifo", "0666", "corrupt public list", "directory"])
def test_verify_with_broken_local_keys_is_one_line_exit_2(store, tmp_path, make, run_verify):
    token_file = tmp_path / "token.jws"
    token_file.write_text(sign_request(build_request(parse_payload(EVN_BILL), PaymentChoice(250_000)), store))
    if make == "symlink to /dev/zero":
        store.public_path.unlink()
        store.public_path.symlink_to("/dev/zero")
    elif make == "fifo":
        store.public_path.unlink()
        os.mkfifo(store.public_path)
    elif make == "0666":
        os.chmod(store.public_path, 0o666)
    elif make == "corrupt public list":
        store.public_path.write_text('{"current": "x", "keys": [')
    else:
        store.public_path.unlink()
        store.public_path.mkdir()
    done = run_verify(["verify", str(token_file)], capped=make in HANG_OR_FILL)
    assert done.returncode == 2, done.stderr
    assert done.stdout == "" and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and str(store.public_path) in done.stderr


@pytest.mark.parametrize(
    "key",
    [
        "/dev/zero",
        "fifo",
        "directory",
        "symlink to /dev/zero",
        "big",
        "not json",
        "deep",
        json.dumps(all_zero_jwk()),
        json.dumps(identity_point_jwk()),
        json.dumps(non_canonical_jwk()),
        json.dumps({"keys": [{"kty": "RSA", "n": "x", "e": "AQAB"}]}),
        '{"kty": "OKP", "kty": "OKP"}',
    ],
)
def test_verify_key_problems_are_one_line_exit_2(store, tmp_path, key, run_verify):
    capped = key in HANG_OR_FILL
    token_file = tmp_path / "token.jws"
    token_file.write_text(sign_request(build_request(parse_payload(EVN_BILL), PaymentChoice(250_000)), store))
    target = tmp_path / "key.json"
    if key == "fifo":
        os.mkfifo(target)
        key = str(target)
    elif key == "directory":
        target.mkdir()
        key = str(target)
    elif key == "symlink to /dev/zero":
        target.symlink_to("/dev/zero")
        key = str(target)
    elif key == "big":
        target.write_text(" " * 300_000 + json.dumps(store.public_jwk()))
        key = str(target)
    elif key == "not json":
        target.write_bytes(b"\xff\xfe not json")
        key = str(target)
    elif key == "deep":
        target.write_text("[" * 30_000 + "]" * 30_000)
        key = str(target)
    done = run_verify(["verify", str(token_file), "--key", key], capped)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and "VALID" not in done.stdout
    assert len(done.stderr.strip().splitlines()) == 1 and done.stderr.startswith("payer-app: error: --key")


def test_base64_helper_matches_the_jwk_encoding():
    key = SigningKey.generate()
    raw = key.private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert b64url(raw) == key.public_jwk["x"] and base64.urlsafe_b64decode(key.public_jwk["x"] + "=") == raw


def test_verify_request_with_a_broken_key_store_answers_bad_key(store):
    token = sign_request(build_request(parse_payload(EVN_BILL), PaymentChoice(250_000)), store)
    store.public_path.write_text("{")
    result = verify_request(token, store)
    assert not result.ok and result.reason == "bad-key" and "damaged" in result.message


# --- payer_app.files: the one home of the file-safety helpers -------------------------------------
def test_write_file_atomically_replaces_the_content_with_the_mode_and_leaves_no_temp_file(tmp_path):
    target = tmp_path / "settings.json"
    target.write_bytes(b"old")
    write_file_atomically(target, b"new content", 0o600)
    assert target.read_bytes() == b"new content"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["settings.json"]


def test_write_file_atomically_keeps_the_old_content_when_the_write_fails(tmp_path):
    target = tmp_path / "keep.json"
    target.write_bytes(b"old")
    with pytest.raises(TypeError):
        write_file_atomically(target, "text is not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.json"]


def test_read_regular_file_refuses_links_fifos_and_oversize_files_with_a_reason(tmp_path):
    real = tmp_path / "real.json"
    real.write_bytes(b"x" * 100)
    link = tmp_path / "link.json"
    link.symlink_to(real)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    cases = [(link, 1000, "symlink"), (fifo, 1000, "not-regular"), (tmp_path, 1000, "not-regular"),
             (real, 99, "too-large"), (tmp_path / "missing", 1000, "cannot-open")]
    for path, cap, reason in cases:
        with pytest.raises(UnsafeFileError) as caught:
            read_regular_file(path, cap, "the file")
        assert caught.value.reason == reason, (path, caught.value)
        assert "\n" not in str(caught.value)
    assert read_regular_file(link, 100, follow_symlinks=True) == b"x" * 100
    assert read_regular_file(real, 100) == b"x" * 100


def test_read_regular_file_refuses_a_device_before_opening_it_and_applies_the_owner_rules(tmp_path):
    """A device is refused from ``lstat`` alone, followed link or not (/dev/zero would never end);
    ``own=True`` is the rule settings.json is read under: this user's file, not writable by others."""
    link = tmp_path / "zero"
    link.symlink_to("/dev/zero")
    for path, follow in ((Path("/dev/zero"), False), (link, True)):
        with pytest.raises(UnsafeFileError) as caught:
            read_regular_file(path, 1000, "the file", follow_symlinks=follow)
        assert caught.value.reason == "not-regular" and "character device" in str(caught.value)
    mine = tmp_path / "settings.json"
    mine.write_bytes(b"{}")
    mine.chmod(0o600)
    assert read_regular_file(mine, 100, own=True) == b"{}"
    for mode in (0o620, 0o602, 0o666):
        mine.chmod(mode)
        with pytest.raises(UnsafeFileError) as caught:
            read_regular_file(mine, 100, "the settings file", own=True)
        assert caught.value.reason == "open-to-others" and f"{mode:04o}" in str(caught.value)
    mine.chmod(0o644)  # readable by others is not refused: the rule is about who can change it
    assert read_regular_file(mine, 100, own=True) == b"{}"
    if os.geteuid() == 0:
        os.chown(mine, 65534, 65534)
        with pytest.raises(UnsafeFileError) as caught:
            read_regular_file(mine, 100, own=True)
        assert caught.value.reason == "not-yours"
