"""Shell completion through the hidden `practice __complete`."""
import os
import subprocess
from pathlib import Path

from conftest import BIN

SCRIPT = Path(__file__).resolve().parents[2] / "completions" / "practice.bash"


def complete(line, tmp_path):
    """What bash completion offers for `line` (the cursor at its end)."""
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    link = bindir / "practice"
    if not link.exists():
        link.symlink_to(BIN)
    words = line.split(" ")
    script = f"""
source {SCRIPT}
COMP_WORDS=({' '.join(repr(w) for w in words)})
COMP_CWORD={len(words) - 1}
_practice
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    env = dict(os.environ, PATH=f"{bindir}:/usr/bin:/bin", HOME=str(tmp_path))
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, check=True)
    return [l for l in out.stdout.splitlines() if l]


def test_nouns(tmp_path):
    assert complete("practice acc", tmp_path) == ["account"]
    assert "staff" in complete("practice ", tmp_path)
    assert "__complete" not in complete("practice ", tmp_path)


def test_verbs_and_flags(tmp_path):
    assert sorted(complete("practice account a", tmp_path)) == ["add", "archive", "assign"]
    assert sorted(complete("practice contact add --no", tmp_path)) == ["--no-notify", "--now"]
    assert "--json" in complete("practice account list --", tmp_path)


def test_completion_never_touches_the_database(tmp_path):
    complete("practice account ", tmp_path)
    assert not (tmp_path / ".local").exists()
