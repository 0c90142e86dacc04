"""Staff PINs: stored only as a salted PBKDF2 hash, checked in constant time, locked after wrong tries.

``python -m sync.pin`` asks for a PIN twice and prints the line for the settings file
(``admin_pin_hash = "pbkdf2_sha256$..."`` under ``[kiosk]``). A PIN has 4 to 12 digits.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import secrets
import sys
import time
from collections.abc import Callable

from sync.errors import SettingsError

SCHEME = "pbkdf2_sha256"
ITERATIONS = 100_000
"""Enough to make guessing a 4-digit PIN from a stolen settings file cost minutes, not microseconds,
while one check on a kiosk stays well under a second."""

MAX_TRIES = 5
LOCKOUT_S = 60.0
MAX_LOCKOUT_S = 3600.0


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def pin_problem(pin: str) -> str | None:
    """What is wrong with ``pin`` as a staff PIN, or None."""
    if not pin.isdigit() or not 4 <= len(pin) <= 12:
        return "a PIN has 4 to 12 digits"
    return None


def hash_pin(pin: str, *, iterations: int = ITERATIONS, salt: bytes | None = None) -> str:
    """``pbkdf2_sha256$iterations$salt$hash`` (base64) of ``pin`` with a fresh random salt."""
    problem = pin_problem(pin)
    if problem:
        raise SettingsError(problem, where="PIN")
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode("utf-8"), salt, iterations)
    return f"{SCHEME}${iterations}${_b64(salt)}${_b64(digest)}"


def hash_problem(stored: str) -> str | None:
    """None when ``stored`` is a hash :func:`hash_pin` made (the settings check)."""
    parts = stored.split("$")
    if len(parts) != 4 or parts[0] != SCHEME or not parts[1].isdigit() or int(parts[1]) < 10_000:
        return "not a PIN hash (make one with: python -m sync.pin)"
    try:
        base64.b64decode(parts[2], validate=True)
        base64.b64decode(parts[3], validate=True)
    except ValueError:
        return "not a PIN hash (make one with: python -m sync.pin)"
    return None


def verify_pin(pin: str, stored: str) -> bool:
    """True when ``pin`` matches ``stored``; the comparison takes the same time wherever they differ."""
    if not stored or hash_problem(stored):
        return False
    _, iterations, salt, digest = stored.split("$")
    candidate = hashlib.pbkdf2_hmac("sha256", pin.encode("utf-8"), base64.b64decode(salt), int(iterations))
    return hmac.compare_digest(candidate, base64.b64decode(digest))


class PinGuard:
    """Checks PINs against one stored hash; after ``max_tries`` wrong ones in a row it refuses every try
    for ``lockout_s`` seconds, doubling with each further lockout (up to an hour) until a right PIN."""

    def __init__(self, stored: str, *, max_tries: int = MAX_TRIES, lockout_s: float = LOCKOUT_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.stored = stored
        self.max_tries = max_tries
        self.lockout_s = lockout_s
        self.clock = clock
        self.wrong = 0
        self.lockouts = 0
        self.locked_until = 0.0

    def locked_for(self) -> int:
        """Whole seconds until PINs are checked again (0: not locked)."""
        left = self.locked_until - self.clock()
        return int(-(-left // 1)) if left > 0 else 0

    def check(self, pin: str) -> bool:
        """True for the right PIN while not locked; a wrong one counts towards the lockout."""
        if self.locked_for():
            return False
        if verify_pin(pin, self.stored):
            self.wrong = self.lockouts = 0
            return True
        self.wrong += 1
        if self.wrong >= self.max_tries:
            self.locked_until = self.clock() + min(self.lockout_s * 2 ** self.lockouts, MAX_LOCKOUT_S)
            self.lockouts += 1
            self.wrong = 0
        return False


def main() -> int:
    """Ask for a PIN twice (not echoed, on the terminal) and print the settings lines with its hash, ready to
    append to the kiosk's settings file (``python -m sync.pin >> /etc/floorlink/kiosk.toml``)."""
    try:
        first = getpass.getpass("new staff PIN (4-12 digits): ")
        problem = pin_problem(first)
        if problem:
            print(f"pin: {problem}", file=sys.stderr)
            return 2
        again = getpass.getpass("the same PIN again: ")
    except (EOFError, KeyboardInterrupt):  # no terminal to type on (a pipe, a service), or Ctrl+C: no traceback
        print("\npin: no PIN typed; nothing printed (run it in a terminal)", file=sys.stderr)
        return 2
    if again != first:
        print("pin: the two PINs differ; nothing printed", file=sys.stderr)
        return 2
    print("\n[kiosk]")  # a blank line first: the file it is appended to may not end with one
    print(f'admin_pin_hash = "{hash_pin(first)}"')
    return 0


if __name__ == "__main__":
    sys.exit(main())
