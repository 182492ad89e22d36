"""Tables on a terminal fit its width; into a pipe every value is whole."""
import fcntl
import os
import pty
import re
import struct
import subprocess
import termios
import unicodedata

import pytest

from conftest import BIN

LONG = "Ionescu " + "x" * 132  # 140 characters
CJK = "会計事務所テスト株式会社"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def cols(text):
    """Display columns, as a terminal counts them (enough for this data)."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def on_tty(p, *args, columns=80, env=None):
    """Runs practice with stdout on a pty of `columns` columns; returns its lines."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    full_env = dict(p.env)
    full_env.update(env or {})
    proc = subprocess.Popen([BIN, *args], stdin=subprocess.DEVNULL, stdout=slave,
                            stderr=subprocess.PIPE, env=full_env)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the program closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=60) == 0, err
    return [ANSI.sub("", line) for line in out.decode().splitlines()]


@pytest.fixture
def accounts(firm):
    assert len(LONG) == 140
    firm.ok("account", "add", LONG)
    firm.ok("account", "add", CJK, "--type", "company")
    firm.ok("account", "add", "Smith")
    return firm


def test_a_table_on_an_80_column_terminal_fits_and_aligns(accounts):
    lines = on_tty(accounts, "account", "list")
    assert len(lines) == 4, lines
    assert all(cols(l) <= 80 for l in lines), [cols(l) for l in lines]
    header = lines[0]
    [long_row] = [l for l in lines if "Ionescu" in l]
    [cjk_row] = [l for l in lines if "会計" in l]
    [smith] = [l for l in lines if "Smith" in l]
    assert LONG not in long_row
    # The name gave up just enough: the header, ending in ASSIGNED, is the terminal's width.
    assert cols(header) == 80
    kept = long_row[:long_row.index("…")].split("  ", 1)[1]
    assert LONG.startswith(kept) and len(kept) > 30, long_row
    assert CJK in cjk_row
    # TYPE starts in the same display column on every line, after the wide characters too.
    starts = {cols(l[:l.index(word)]) for l, word in
              ((header, "TYPE"), (long_row, "individual"), (cjk_row, "company"), (smith, "individual"))}
    assert len(starts) == 1, lines
    # The id column and the short ones stay whole.
    assert long_row.lstrip().startswith("1 ") and "individual" in long_row


def test_a_narrower_terminal_shrinks_the_name_further(accounts):
    lines = on_tty(accounts, "account", "list", columns=50)
    assert all(cols(l) <= 50 for l in lines), lines
    assert any(l.rstrip().endswith("-") for l in lines[1:])  # ASSIGNED is still there
    [cjk_row] = [l for l in lines if "会計" in l]
    assert "会計事務所" in cjk_row and CJK not in cjk_row and "…" in cjk_row


def test_columns_is_the_width_when_the_terminal_reports_none(accounts):
    lines = on_tty(accounts, "account", "list", columns=0, env={"COLUMNS": "60"})
    assert all(cols(l) <= 60 for l in lines), lines
    assert max(cols(l) for l in lines) == 60
    lines = on_tty(accounts, "account", "list", columns=0)
    assert max(cols(l) for l in lines) == 80


def test_into_a_pipe_and_as_json_or_csv_every_value_is_whole(accounts):
    out = accounts.ok("account", "list").out
    assert LONG in out and "…" not in out
    assert any(len(l) > 140 for l in out.splitlines())
    assert LONG in "\n".join(on_tty(accounts, "--json", "account", "list"))
    assert LONG in "\n".join(on_tty(accounts, "account", "list", "--csv"))
