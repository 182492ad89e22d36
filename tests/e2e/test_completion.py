"""Shell completion: the hidden `practice __complete` and the bash, zsh and
fish scripts that drive it, the last through each real shell's completion."""
import fcntl
import os
import pty
import re
import select
import shlex
import signal
import struct
import subprocess
import termios
import time
from pathlib import Path

import pytest

from conftest import BIN, Practice

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "completions" / "practice.bash"
ZSH_DIR = ROOT / "completions"
FISH_SCRIPT = ROOT / "completions" / "practice.fish"
BASH_COMPLETION = "/usr/share/bash-completion/bash_completion"
TEMPLATE = ROOT / "share" / "practice" / "templates" / "requests" / "medical-receipts.toml"


def shell_env(env, tmp_path):
    """`env` for a shell that runs `practice`: the built binary first on PATH."""
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    link = bindir / "practice"
    if not link.exists():
        link.symlink_to(BIN)
    return dict(env, PATH=f"{bindir}:/usr/bin:/bin", TERM="dumb", INPUTRC="/dev/null")


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    """A firm with something of every kind completion names, set up once:
    completion only reads it."""
    tmp_path = tmp_path_factory.mktemp("office")
    firm = Practice(tmp_path)
    firm.ok("init", "--firm", "Acme CPA", "--email", "office@acme.test")
    firm.ok("staff", "add", "Alice Silva", "--email", "alice@acme.test")
    firm.env["PRACTICE_USER"] = "alice@acme.test"
    firm.ok("staff", "add", "Bob Mendes", "--email", "bob@acme.test")
    firm.ok("account", "add", "Ionescu Family")
    firm.ok("account", "add", "Ionescu Trust", "--type", "company")
    firm.ok("account", "add", "Rossi SRL", "--type", "company")
    firm.ok("account", "add", "Old Client")
    firm.ok("account", "archive", "Old Client")
    firm.ok("contact", "add", "--account", "Ionescu Family", "--name", "Maria Ionescu",
            "--email", "maria@ionescu.test")
    firm.ok("contact", "add", "--account", "Rossi SRL", "--name", "Giulia Rossi", "--email", "giulia@rossi.test")
    firm.ok("pipeline", "create", "Tax return", "--stage", "Intake", "--stage", "Prep", "--stage", "Review")
    firm.ok("pipeline", "create", "Payroll", "--stage", "Draft", "--stage", "Final")
    firm.ok("job", "create", "--account", "Ionescu Family", "--pipeline", "Tax return", "--title", "2025 tax return")
    firm.ok("job", "create", "--account", "Rossi SRL", "--pipeline", "Payroll", "--title", "March payroll")
    firm.ok("folder", "add", "Tax docs", "--client-can-view")
    firm.ok("template", "add", "--file", TEMPLATE)
    firm.ok("request", "create", "--account", "Ionescu Family", "--title", "Missing receipts", "--draft")
    firm.ok("request", "create", "--account", "Rossi SRL", "--title", "Payroll hours", "--draft")
    firm.env_shell = shell_env(firm.env, tmp_path)
    return firm


def complete_cmd(p, *words, env=None):
    """`practice __complete WORDS`: the (value, description) lines and the directive."""
    r = p.run("__complete", *words, env=env)
    assert r.code == 0 and r.err == "", r
    lines = r.out.splitlines()
    assert lines and lines[-1].startswith(":"), r
    return [tuple((l.split("\t", 1) + [""])[:2]) for l in lines[:-1]], lines[-1]


def values(p, *words):
    """The values (not options) `__complete` offers after `words`."""
    rows, _ = complete_cmd(p, *words)
    return [v for v, _ in rows if not v.startswith("-")]


# --- the protocol -----------------------------------------------------------

def test_job_move_to_offers_the_stages_of_that_jobs_pipeline(office):
    rows, directive = complete_cmd(office, "job", "move", "1", "--to")
    assert rows == [("Intake", "the job is here"), ("Prep", ""), ("Review", "")]
    assert directive == ":"
    assert values(office, "job", "move", "2", "--to") == ["Draft", "Final"]


def test_stage_offers_the_stages_of_the_pipeline_given_else_every_stage(office):
    assert values(office, "job", "create", "--pipeline", "Payroll", "--stage") == ["Draft", "Final"]
    assert values(office, "job", "list", "--pipeline", "tax return", "--stage") == ["Intake", "Prep", "Review"]
    assert values(office, "job", "list", "--stage") == ["Draft", "Final", "Intake", "Prep", "Review"]
    assert values(office, "pipeline", "stage", "edit", "Payroll") == ["Draft", "Final"]
    assert values(office, "pipeline", "automation", "add", "Tax return") == ["Intake", "Prep", "Review"]
    # A new stage's name is the user's to type.
    assert values(office, "pipeline", "create", "Audit", "--stage") == []
    assert values(office, "pipeline", "stage", "add", "Payroll") == []


STAFF = ["alice@acme.test", "bob@acme.test"]
CONTACTS = ["giulia@rossi.test", "maria@ionescu.test"]
ACCOUNTS = ["Ionescu Family", "Ionescu Trust", "Rossi SRL"]


@pytest.mark.parametrize("words, expected", [
    (["account", "list", "--assigned"], STAFF),
    (["job", "create", "--assignee"], STAFF),
    (["job", "list", "--assignee"], STAFF),
    (["--as"], STAFF),
    (["account", "assign", "Rossi SRL"], STAFF),
    (["doc", "list", "--folder"], ["Tax docs"]),
    (["doc", "add", "--folder"], ["Tax docs"]),
    (["folder", "edit"], ["Tax docs"]),
    (["contact", "show"], CONTACTS),
    (["contact", "edit"], CONTACTS),
    (["contact", "remove"], CONTACTS),
    (["contact", "show", "--account", "Rossi SRL"], ["giulia@rossi.test"]),
    (["request", "list", "--account"], ACCOUNTS),
    (["account", "show"], ACCOUNTS),
    (["todo"], ACCOUNTS),
    (["account", "archive"], ACCOUNTS),
    (["account", "unarchive"], ["Old Client"]),  # only what can be unarchived
    (["job", "list", "--pipeline"], ["Payroll", "Tax return"]),
    (["pipeline", "show"], ["Payroll", "Tax return"]),
    (["request", "create", "--to"], CONTACTS),
    (["request", "create", "--account", "Rossi SRL", "--to"], ["giulia@rossi.test"]),
    (["request", "create", "--template"], ["medical-receipts"]),
    (["template", "show"], ["medical-receipts"]),
    (["request", "show"], ["2", "1"]),
    (["job", "link", "1", "--request"], ["1"]),  # the job's account's requests
    (["request", "link", "2", "--job"], ["2"]),
    (["contact", "edit", "--portal"], ["on", "off"]),
    (["job", "move", "1", "--pending"], ["keep", "cancel"]),
    (["request", "create", "--title"], []),
    (["account", "add"], []),
    (["db"], ["migrate"]),
    (["db", "migrate", "--to"], []),
])
def test_each_value_offers_what_it_names(office, words, expected):
    assert values(office, *words) == expected


def test_records_come_with_a_description(office):
    rows, _ = complete_cmd(office, "job", "show")
    assert rows[:2] == [("2", "March payroll (Rossi SRL, Draft)"), ("1", "2025 tax return (Ionescu Family, Intake)")]
    rows, _ = complete_cmd(office, "contact", "show")
    assert ("maria@ionescu.test", "Maria Ionescu (Ionescu Family)") in rows
    rows, _ = complete_cmd(office, "pipeline", "show")
    assert ("Payroll", "Draft, Final") in rows
    rows, _ = complete_cmd(office, "request", "send")
    assert ("1", "Missing receipts (Ionescu Family, draft)") in rows
    rows, _ = complete_cmd(office, "account")
    assert ("add", "Add an account") in rows


@pytest.mark.parametrize("words, directive", [
    (["account", "import"], ":files csv"),
    (["doc", "add", "--account", "Rossi SRL"], ":files"),
    (["template", "add", "--file"], ":files toml"),
    (["request", "create", "--file"], ":files toml"),
    (["pipeline", "import"], ":files toml"),
    (["request", "answer", "1", "--file"], ":files"),
    (["request", "export", "1", "--dir"], ":dirs"),
    (["--db"], ":files"),
    (["account", "show"], ":"),
    (["job", "move", "1", "--to"], ":"),
    (["db", "migrate", "--to"], ":"),  # a URL: no file names
])
def test_a_value_that_is_a_file_asks_the_shell_for_file_names(office, words, directive):
    assert complete_cmd(office, *words)[1] == directive


def test_db_on_the_line_is_the_database_read(office, tmp_path):
    (tmp_path / "other").mkdir()
    other = Practice(tmp_path / "other")
    assert values(other, "account", "show") == []
    assert values(other, "--db", office.db_arg, "account", "show") == ACCOUNTS
    assert values(other, f"--db={office.db_arg}", "account", "show") == ACCOUNTS


@pytest.mark.parametrize("words", [
    [], ["--help"], ["account", "--help"], ["--version"], ["--"], ["-"], [""], ["--account="],
    ["no-such-noun", "show"], ["job", "move", "x", "--to"], ["job", "move", "--to"],
    ["--db"], ["account", "show", "--db", "/nonexistent/db", "x"],
])
def test_complete_never_fails_loudly_nor_reads_the_config(practice, words):
    # A config that would fail to load if it were read.
    practice.write_config("this is = = not toml [")
    for env in ({}, {"PRACTICE_DB": str(practice.root)}, {"PRACTICE_DB": str(practice.config)}):
        complete_cmd(practice, *words, env=env)
    assert not practice.exists()


# --- bash, through its completion function ----------------------------------

def split_line(line):
    """`line` split into words as bash splits it for completion, quotes kept."""
    words, word, quote, i = [], "", "", 0
    while i < len(line):
        c = line[i]
        if c == "\\" and quote != "'" and i + 1 < len(line):
            word += line[i:i + 2]
            i += 2
            continue
        if quote:
            quote = "" if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c == " ":
            words.append(word)
            word = ""
            i += 1
            continue
        word += c
        i += 1
    return words + [word]


def complete(line, tmp_path, env=None, bash_completion=True):
    """What bash completion offers for `line` (the cursor at its end)."""
    env = env or shell_env({"HOME": str(tmp_path), "LANG": "C.UTF-8"}, tmp_path)
    words = split_line(line)
    script = f"""
{'source ' + BASH_COMPLETION if bash_completion else ''}
source {SCRIPT}
COMP_LINE={shlex.quote(line)}
COMP_POINT=${{#COMP_LINE}}
COMP_WORDS=({' '.join(shlex.quote(w) for w in words)})
COMP_CWORD={len(words) - 1}
_practice
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
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
    # Options when the word starts with "-", or when nothing else can come.
    assert "--json" not in complete("practice account ", tmp_path)
    assert "--json" in complete("practice account list ", tmp_path)


def test_without_bash_completion_installed_it_still_completes(office, tmp_path):
    env = office.env_shell
    assert complete("practice acc", tmp_path, env, bash_completion=False) == ["account"]
    assert complete("practice job move 1 --to P", tmp_path, env, bash_completion=False) == ["Prep"]


def test_completion_never_touches_the_database(tmp_path):
    complete("practice account ", tmp_path)
    assert not (tmp_path / ".local").exists()


def test_names_come_from_the_database(office, tmp_path):
    env = office.env_shell
    assert complete("practice account show I", tmp_path, env) == ["Ionescu Family", "Ionescu Trust"]
    assert complete("practice request create --account R", tmp_path, env) == ["Rossi SRL"]
    # The word as typed, quoted or escaped, is matched unquoted.
    assert complete('practice account show "Ionescu F', tmp_path, env) == ["Ionescu Family"]
    assert complete("practice account show Ionescu\\ T", tmp_path, env) == ["Ionescu Trust"]
    assert complete('practice job create --pipeline "Tax return" --stage P', tmp_path, env) == ["Prep"]
    assert complete("practice job move 1 --to ", tmp_path, env) == ["Intake", "Prep", "Review"]


def test_a_word_on_the_line_is_never_run(office, tmp_path):
    marker = tmp_path / "ran"
    complete(f"practice job create --pipeline $(:>{marker}) --stage ", tmp_path, office.env_shell)
    complete(f"practice job create --pipeline \"`:>{marker}`\" --stage ", tmp_path, office.env_shell)
    complete(f"practice job create --pipeline $(:>{marker}", tmp_path, office.env_shell)
    assert not marker.exists()


# --- the real shells, typed into through a terminal ---------------------------

class Terminal:
    """An interactive shell on a pseudo-terminal: type into it, read what it shows."""

    def __init__(self, argv, env, cwd):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: become the shell
            os.chdir(cwd)
            os.execve(argv[0], argv, env)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
        self.seen = ""
        self.turn = 0
        self.sync()

    def read(self, timeout):
        """Adds what the terminal shows within `timeout` seconds; False if nothing."""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:
            chunk = b""
        assert chunk, f"the shell ended; it showed:\n{self.seen}"
        self.seen += chunk.decode(errors="replace")
        return True

    def read_until(self, pattern, since=0, timeout=60):
        end = time.monotonic() + timeout
        while not re.search(pattern, self.seen[since:]):
            left = end - time.monotonic()
            assert left > 0, f"waited for {pattern!r}; the terminal shows:\n{self.seen[since:]}"
            self.read(left)

    def sync(self):
        """Waits until the shell has handled everything typed so far."""
        self.turn += 1
        os.write(self.fd, f"echo SYNC-$(( {self.turn} * 1000 ))\r".encode())
        self.read_until(f"SYNC-{self.turn * 1000}\\b")

    def type(self, keys, shows=None):
        """Types `keys`; returns what the terminal showed meanwhile. With
        `shows`, waits for that (a completion list) and for the shell to fall
        quiet before typing on: zsh lists nothing while keys are waiting."""
        start = len(self.seen)
        os.write(self.fd, keys.encode())
        if shows:
            self.read_until(shows, since=start)
            while self.read(0.3):
                pass
        # Kill the line (Ctrl-U) so the next command starts clean.
        os.write(self.fd, b"\x15")
        self.sync()
        return self.seen[start:]

    def words_of(self, keys):
        """Types `keys`, then runs the completed line as printf's arguments:
        the words the shell would pass, after completion's quoting."""
        out = self.type(keys + "\x01printf '<%s>\\n' \r")
        return re.findall(r"^<(.*)>\r?$", out, re.M)

    def close(self):
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        os.close(self.fd)


def listing(shown):
    """The lines a shell listed, without the prompt lines it redrew."""
    lines = [l.rsplit("\r", 1)[-1] for l in shown.replace("\r\n", "\n").split("\n")]
    return "\n".join(l for l in lines if not l.startswith("$ ") and "SYNC-" not in l)


@pytest.fixture
def workdir(tmp_path):
    d = tmp_path / "work"
    (d / "data").mkdir(parents=True)
    (d / "clients.csv").write_text("name\nA\n")
    (d / "notes.txt").write_text("")
    (d / "pipeline.toml").write_text("")
    return d


@pytest.fixture
def bash(office, workdir, tmp_path):
    rc = tmp_path / "bashrc"
    rc.write_text(f"""source {BASH_COMPLETION}
source {SCRIPT}
PS1='$ '
bind 'set enable-bracketed-paste off'
bind 'set show-all-if-ambiguous on'
bind 'set completion-query-items 0'
bind 'set bell-style none'
""")
    t = Terminal(["/bin/bash", "--noprofile", "--rcfile", str(rc), "-i"], office.env_shell, workdir)
    yield t
    t.close()


@pytest.fixture
def zsh(office, workdir, tmp_path):
    zdot = tmp_path / "zdot"
    zdot.mkdir()
    (zdot / ".zshrc").write_text(f"""fpath=({ZSH_DIR} $fpath)
autoload -Uz compinit && compinit -u -D
PS1='$ '
bindkey -e
""")
    t = Terminal(["/usr/bin/zsh", "-d", "-i"], dict(office.env_shell, ZDOTDIR=str(zdot)), workdir)
    yield t
    t.close()


def test_bash_completes_a_quoted_name(bash):
    assert bash.words_of('practice account show "Ionescu F\t') == ["practice", "account", "show", "Ionescu Family"]
    assert bash.words_of("practice account show 'Rossi\t") == ["practice", "account", "show", "Rossi SRL"]


def test_bash_lists_names_plainly_and_inserts_them_escaped(bash):
    shown = bash.type("practice account show Ion\t\t", shows="Ionescu Trust")
    assert "Ionescu Family" in shown and "Ionescu Trust" in shown, shown
    assert "Ionescu\\ " not in listing(shown), shown
    assert bash.words_of("practice account show Ion\tF\t") == ["practice", "account", "show", "Ionescu Family"]
    assert bash.words_of("practice contact show --account Ion\tT\t") == [
        "practice", "contact", "show", "--account", "Ionescu Trust"]


def test_bash_completes_stages_staff_and_files(bash):
    assert bash.words_of("practice job move 1 --to P\t")[-1] == "Prep"
    assert bash.words_of("practice job create --assignee b\t")[-1] == "bob@acme.test"
    assert bash.words_of("practice account import cl\t")[-1] == "clients.csv"
    shown = bash.type("practice account import \t\t", shows="clients.csv")
    listed = listing(shown)
    assert "clients.csv" in listed and "data/" in listed and "notes.txt" not in listed, shown
    assert bash.words_of("practice template add --file pi\t")[-1] == "pipeline.toml"
    assert bash.words_of("practice doc add --account Rossi\\ SRL no\t")[-1] == "notes.txt"


def test_zsh_completes_a_quoted_name(zsh):
    assert zsh.words_of('practice account show "Ionescu F\t') == ["practice", "account", "show", "Ionescu Family"]
    assert zsh.words_of("practice account show Ionescu\\ T\t") == ["practice", "account", "show", "Ionescu Trust"]


def test_zsh_describes_each_record(zsh):
    shown = zsh.type("practice job show \t", shows="March payroll")
    assert re.search(r"\b1 +-- 2025 tax return \(Ionescu Family, Intake\)", shown), shown
    assert re.search(r"\b2 +-- March payroll \(Rossi SRL, Draft\)", shown), shown
    shown = zsh.type("practice job move 1 --to \t", shows="Review")
    assert re.search(r"Intake +-- the job is here", shown) and "Review" in shown, shown
    assert "Draft" not in shown, shown


def test_zsh_completes_stages_and_files(zsh):
    assert zsh.words_of("practice job move 2 --to F\t")[-1] == "Final"
    assert zsh.words_of("practice account import cl\t")[-1] == "clients.csv"
    shown = zsh.type("practice account import \t", shows="clients.csv")
    assert "clients.csv" in shown and "data/" in shown and "notes.txt" not in shown, shown


# --- fish, through its own completion (complete -C) ---------------------------

def fish(office, workdir, line):
    script = f"source {FISH_SCRIPT}; complete -C {fish_quote(line)}"
    out = subprocess.run(["fish", "--no-config", "-c", script], capture_output=True, text=True,
                         env=office.env_shell, cwd=workdir, check=True)
    return [tuple((l.split("\t", 1) + [""])[:2]) for l in out.stdout.splitlines()]


def fish_quote(s):
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def test_fish_describes_records_and_completes_files(office, workdir):
    assert fish(office, workdir, "practice job show ") == [
        ("1", "2025 tax return (Ionescu Family, Intake)"), ("2", "March payroll (Rossi SRL, Draft)")]
    assert fish(office, workdir, 'practice account show "Ionescu F') == [("Ionescu Family", "individual")]
    assert fish(office, workdir, 'practice job create --pipeline "Tax return" --stage ') == [
        ("Intake", ""), ("Prep", ""), ("Review", "")]
    assert [v for v, _ in fish(office, workdir, "practice account import ")] == ["clients.csv", "data/"]
    assert ("--json", "Machine-readable output on stdout") in fish(office, workdir, "practice account list -")
