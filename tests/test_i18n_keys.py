"""The text catalogue (resources/i18n/strings.json) holds exactly the keys the product uses: a key no code
asks for is dead text that drifts out of date, and a key the code asks for that is missing shows as the
bare key in the window.

A key is used when the product's code holds it as a string (``t("home.greeting")``). A few families are
built at run time from a value (``f"status.{entry.status}"``): their prefixes are listed in
``BUILT_FROM_A_VALUE``, and a key of such a family counts as used when the value after the prefix is itself
a string in the product (the status, the refusal code...). A prefix built at run time that is not listed
fails the test, so a new family is looked at, not skipped.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ROOT / "payer_app"
CATALOGUE = ROOT / "resources" / "i18n" / "strings.json"

BUILT_FROM_A_VALUE = (
    "inspector.severity_",     # + a finding's severity
    "problem.",                # + a refusal code
    "reason.",                 # + the acquirer's reason code for a refusal (gui/screens/result.py _reason)
    "registered.outcome.",     # + a name check's outcome (core/registered_name.py NAME_CHECK_OUTCOMES)
    "result.",                 # + a payment's status
    "scheme.",                 # + a payload's scheme
    "settings.enrol_error.",   # + the acquirer's enrolment error code
    "settings.invalid.",       # + the settings field a problem is about (spaces written as "_")
    "settings.refusal.",       # + the reason a settings file was refused
    "status.",                 # + a payment's status
)
# strings shaped like a key that are file names (``settings.json``), not texts
FILE_NAME = re.compile(r"\.(json|qss|css|js|sqlite3|csv|png|svg|wav|ttf|pem|html)$")


class Strings:
    """The string constants of some Python sources, and the key prefixes they build at run time."""

    def __init__(self, sources: dict[str, str]):
        self.constants: set[str] = set()
        self.built: dict[str, str] = {}  # prefix -> where it is built ("path:line")
        for name, text in sources.items():
            self._read(name, ast.parse(text))

    def _read(self, name: str, tree: ast.AST) -> None:
        heads: set[int] = set()
        for node in ast.walk(tree):
            head = None
            if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
                head = node.values[0]
            elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and isinstance(node.left, ast.Constant):
                head = node.left
            if head is not None and isinstance(head.value, str):
                heads.add(id(head))
                self.built.setdefault(head.value, f"{name}:{node.lineno}")
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in heads:
                self.constants.add(node.value)


def product_strings() -> Strings:
    return Strings({p.relative_to(ROOT).as_posix(): p.read_text(encoding="utf-8")
                    for p in sorted(PRODUCT.rglob("*.py"))})


def catalogue_keys() -> set[str]:
    return set(json.loads(CATALOGUE.read_text(encoding="utf-8")))


def unused_keys(keys: set[str], strings: Strings, prefixes: tuple[str, ...] = BUILT_FROM_A_VALUE) -> list[str]:
    def used(key: str) -> bool:
        if key in strings.constants:
            return True
        for prefix in prefixes:
            value = key[len(prefix):] if key.startswith(prefix) else ""
            if value and (value in strings.constants or value.replace("_", " ") in strings.constants):
                return True
        return False

    return sorted(k for k in keys if not used(k))


def missing_keys(keys: set[str], strings: Strings) -> list[str]:
    """Strings in the code shaped like a key of a catalogue family (``home.…``) that are not in it."""
    families = "|".join(sorted({re.escape(k.split(".")[0]) for k in keys}))
    shaped = re.compile(rf"^({families})\.[a-z0-9_.-]*[a-z0-9_-]$")
    return sorted(s for s in strings.constants if shaped.match(s) and not FILE_NAME.search(s) and s not in keys)


def unlisted_prefixes(keys: set[str], strings: Strings, prefixes: tuple[str, ...] = BUILT_FROM_A_VALUE) -> list[str]:
    """Key prefixes of a catalogue family built at run time (``f"home.{x}"``) that are not listed."""
    families = {k.split(".")[0] for k in keys}
    key_head = re.compile(r"[a-z_]+\.[a-z0-9_.-]*")  # "status." yes; "amount.value " (a message) no
    return sorted(f"{prefix!r} at {where}" for prefix, where in strings.built.items()
                  if key_head.fullmatch(prefix) and prefix.split(".")[0] in families and prefix not in prefixes)


@pytest.fixture(scope="module")
def strings() -> Strings:
    """The product's sources parsed once for the three checks below (they only read them)."""
    return product_strings()


def test_every_key_in_the_catalogue_is_used_by_the_product(strings):
    assert not unused_keys(catalogue_keys(), strings)


def test_every_key_the_product_names_is_in_the_catalogue(strings):
    assert not missing_keys(catalogue_keys(), strings)


def test_every_key_family_built_at_run_time_is_listed(strings):
    assert not unlisted_prefixes(catalogue_keys(), strings)
    # and every listed family is still built somewhere (a stale entry would hide dead keys)
    assert sorted(p for p in BUILT_FROM_A_VALUE if p not in strings.built) == []


# the checks above can fail: each on a small catalogue and source of its own ----------------------------
KEYS = {"home.greeting", "home.forgotten", "status.approved", "status.lost"}
SOURCE = '''
STATUS = "approved"
def show(t, entry):
    t("home.greeting")
    t("home.typo")
    t(f"status.{entry.status}")
    t(f"kiosk.{entry.mode}")
    open("home.json")
'''


def test_the_checks_find_an_unused_key_a_missing_key_and_an_unlisted_family():
    strings = Strings({"example.py": SOURCE})
    assert unused_keys(KEYS, strings, ("status.",)) == ["home.forgotten", "status.lost"]
    assert unused_keys(KEYS, strings, ()) == ["home.forgotten", "status.approved", "status.lost"]
    assert missing_keys(KEYS, strings) == ["home.typo"]  # not the file name, not kiosk (no family here)
    assert unlisted_prefixes(KEYS, strings, ()) == ["'status.' at example.py:6"]
    assert unlisted_prefixes(KEYS, strings, ("status.",)) == []
