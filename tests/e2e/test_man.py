"""Man pages render without warnings and describe every command."""
import subprocess
from pathlib import Path

from conftest import BIN

MAN = Path(__file__).resolve().parents[2] / "man"
PAGES = sorted(MAN.glob("*.[15]"))


def test_pages_render_without_warnings():
    assert PAGES
    for page in PAGES:
        r = subprocess.run(["groff", "-ww", "-man", "-Tutf8", "-z", str(page)],
                           capture_output=True, text=True, env={"LC_ALL": "C.UTF-8", "PATH": "/usr/bin:/bin"})
        assert r.returncode == 0 and r.stderr == "", f"{page.name}: {r.stderr}"


def offered(*prefix):
    """What `practice __complete` offers after `prefix`: each line's value
    (before a tab and its description), without the last line (the directive)."""
    # Commands and verbs only: no HOME, so no one's real database is read.
    out = subprocess.run([BIN, "__complete", *prefix], capture_output=True, text=True, check=True,
                         env={"HOME": "/nonexistent", "PATH": "/usr/bin:/bin"})
    return [line.split("\t")[0] for line in out.stdout.splitlines()[:-1]]


def words(*prefix):
    return [w for w in offered(*prefix) if not w.startswith("-")]


def test_every_command_and_verb_is_documented():
    text = "\n".join(p.read_text() for p in PAGES).replace("\\-", "-")
    nouns = words()
    assert "account" in nouns
    for noun in nouns:
        assert f"practice {noun}" in text, f"no section for {noun}"
        for verb in words(noun):
            assert verb in text, f"{noun} {verb} is not documented"


def test_every_flag_is_documented():
    text = "\n".join(p.read_text() for p in PAGES).replace("\\-", "-")
    for noun in words():
        for verb in words(noun) or [None]:
            args = [noun] + ([verb] if verb else [])
            for flag in (w for w in offered(*args) if w.startswith("--")):
                assert flag in text, f"{' '.join(args)} {flag} is not documented"
