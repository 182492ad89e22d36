"""README's first command plays scripts/demo-session: it must keep working
as the commands change (it broke once when requests began to need a login)."""
import os
import subprocess
from pathlib import Path

from conftest import BIN, sqlite_only

ROOT = Path(__file__).resolve().parents[2]


@sqlite_only("scripts/demo-session plays the README's demo on a SQLite file of its own, whatever the tests use")
def test_the_demo_plays_the_whole_flow_to_the_end():
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRACTICE_")}
    r = subprocess.run(["bash", str(ROOT / "scripts" / "demo-session"), BIN], capture_output=True, text=True,
                       env=env, timeout=300)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    out = r.stdout
    # Clients in from CSV, the second import a no-op.
    assert "Added 2 accounts and 2 contacts" in out
    assert "nothing to change" in out
    # The client answered through the portal and the job moved on by itself, then approved.
    assert "stage:    Review" in out
    assert "POST /a/…/approve 303" in out + r.stderr
    # Cron's reminder went out once, and a second run sent nothing.
    assert '"sent":1' in out and '{"due":0,"queued":0,"sent":0' in out
