"""The private X screen (tests/e2e/xserver.py) tells no client that the keyboard changed when a test sends its
first key with xdotool.

The X server's keyboard takes the keymap of the device whose key came last: xdotool's first key (through
XTEST) used to switch it from Xvfb's own keyboard and send every client an XKB new-keyboard event. openbox
answers that by dropping its key grabs and taking them again; on a loaded machine the F4 of an Alt+F4 sent as
the first key came in between and went to the window, not to openbox (tests/test_e2e_kiosk.py waited 60 s for
a close that was never asked). Here a client of its own listens on the fixture's screen, through libX11 (which
Xvfb, openbox and xdotool need anyway): the events it gets before a property change it makes itself after the
key are the ones the key caused (the server sends each client its events in order)."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import select
import subprocess

import pytest

from tests.e2e.marks import X_SCREEN

pytestmark = X_SCREEN

PROPERTY_CHANGE_MASK = 1 << 22
PROPERTY_NOTIFY = 28
XKB_USE_CORE_KBD = 0x100
XKB_NEW_KEYBOARD_NOTIFY_MASK = 1 << 0
XKB_MAP_NOTIFY_MASK = 1 << 1
XA_STRING = 31
EVENT_TIMEOUT_S = 60.0


def libx11():
    name = ctypes.util.find_library("X11")
    if name is None:
        pytest.skip("libX11 is not installed")
    lib = ctypes.CDLL(name)
    display, window, atom = ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong
    lib.XOpenDisplay.restype = display
    lib.XOpenDisplay.argtypes = [ctypes.c_char_p]
    lib.XDefaultRootWindow.restype = window
    lib.XDefaultRootWindow.argtypes = [display]
    lib.XkbUseExtension.argtypes = [display, ctypes.c_void_p, ctypes.c_void_p]
    lib.XkbSelectEvents.argtypes = [display, ctypes.c_uint, ctypes.c_uint, ctypes.c_uint]
    lib.XSelectInput.argtypes = [display, window, ctypes.c_long]
    lib.XInternAtom.restype = atom
    lib.XInternAtom.argtypes = [display, ctypes.c_char_p, ctypes.c_int]
    lib.XChangeProperty.argtypes = [display, window, atom, atom, ctypes.c_int, ctypes.c_int, ctypes.c_char_p,
                                    ctypes.c_int]
    lib.XSync.argtypes = [display, ctypes.c_int]
    for name in ("XFlush", "XPending", "XConnectionNumber", "XCloseDisplay"):
        getattr(lib, name).argtypes = [display]
    lib.XNextEvent.argtypes = [display, ctypes.c_void_p]
    return lib


class Listener:
    """A client of ``display`` that gets the root window's property changes and XKB's keyboard events."""

    def __init__(self, display: str):
        self.x = libx11()
        self.dpy = self.x.XOpenDisplay(display.encode())
        assert self.dpy, f"cannot open {display}"
        assert self.x.XkbUseExtension(self.dpy, None, None), "the X server has no XKB"
        mask = XKB_NEW_KEYBOARD_NOTIFY_MASK | XKB_MAP_NOTIFY_MASK
        assert self.x.XkbSelectEvents(self.dpy, XKB_USE_CORE_KBD, mask, mask)
        self.root = self.x.XDefaultRootWindow(self.dpy)
        self.x.XSelectInput(self.dpy, self.root, PROPERTY_CHANGE_MASK)
        self.x.XSync(self.dpy, 0)
        self.fence_atom = self.x.XInternAtom(self.dpy, b"PAYER_APP_TEST_FENCE", 0)

    def events_until_fence(self) -> list[int]:
        """Change a property of the root window, and return the types of the events that came before its
        PropertyNotify."""
        self.x.XChangeProperty(self.dpy, self.root, self.fence_atom, XA_STRING, 8, 0, b"x", 1)
        self.x.XFlush(self.dpy)
        event = ctypes.create_string_buffer(192)  # an XEvent is 24 longs
        fd = self.x.XConnectionNumber(self.dpy)
        seen = []
        while True:
            if not self.x.XPending(self.dpy):
                readable, _, _ = select.select([fd], [], [], EVENT_TIMEOUT_S)
                assert readable, f"no PropertyNotify within {EVENT_TIMEOUT_S:.0f} s (got {seen})"
                continue
            self.x.XNextEvent(self.dpy, event)
            kind = ctypes.c_int.from_buffer(event).value
            if kind == PROPERTY_NOTIFY:
                return seen
            seen.append(kind)

    def close(self) -> None:
        self.x.XCloseDisplay(self.dpy)


def test_the_first_key_a_test_sends_tells_no_client_the_keyboard_changed(x_server):
    display = x_server(640, 480)
    listener = Listener(display)
    try:
        assert listener.events_until_fence() == []
        subprocess.run(["xdotool", "key", "shift"], env=dict(os.environ, DISPLAY=display), check=True, timeout=60)
        assert listener.events_until_fence() == [], "the key told the clients the keyboard changed (openbox re-grabs)"
        subprocess.run(["xdotool", "key", "alt+F4"], env=dict(os.environ, DISPLAY=display), check=True, timeout=60)
        assert listener.events_until_fence() == []
    finally:
        listener.close()
