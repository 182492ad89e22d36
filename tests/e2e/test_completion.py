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


def test_names_come_from_the_database(firm, tmp_path):
    firm.ok("account", "add", "Ionescu Family")
    firm.ok("account", "add", "Rossi SRL")
    import os as _os
    env_db = firm.db
    bindir = tmp_path / "bin2"
    bindir.mkdir()
    (bindir / "practice").symlink_to(BIN)
    script = f"""
source {SCRIPT}
COMP_WORDS=(practice account show I)
COMP_CWORD=3
_practice
printf '%s\\n' "${{COMPREPLY[@]}}"
COMP_WORDS=(practice request create --account R)
COMP_CWORD=4
_practice
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    env = dict(_os.environ, PATH=f"{bindir}:/usr/bin:/bin", HOME=str(firm.home), PRACTICE_DB=str(env_db))
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.split("\n")[:2] == ["Ionescu\\ Family", "Rossi\\ SRL"]
