"""The .deb: built with cpack, installed with dpkg, used, removed."""
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

BUILD = Path(os.environ.get("PRACTICE_BIN", "build/src/practice")).resolve().parents[1]


def readelf(flag, path):
    return subprocess.run(["readelf", "-W", flag, path], capture_output=True, text=True, check=True).stdout


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("dpkg") is None, reason="needs root and dpkg")
def test_deb_installs_and_works(tmp_path):
    if subprocess.run(["dpkg", "-s", "practice"], capture_output=True).returncode == 0:
        pytest.skip("a practice package is installed on this machine already")
    out = subprocess.run(["cpack", "-G", "DEB", "-B", str(tmp_path)], cwd=BUILD, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    [deb] = list(tmp_path.glob("practice_*.deb"))
    # The build keeps its debug info (over 100 MB); the package does not.
    assert deb.stat().st_size < 20 * 1024 * 1024, f"{deb.name} is {deb.stat().st_size} bytes"
    [ddeb] = list(tmp_path.glob("practice-dbgsym_*.ddeb"))
    info = subprocess.run(["dpkg-deb", "-f", str(deb), "Depends"], capture_output=True, text=True, check=True).stdout
    # libcurl is loaded with dlopen, so it is named by hand; SQLite is a
    # dependency only where the binary links it as a shared library (a
    # release build takes Debian's static archive).
    linked = subprocess.run(["ldd", str(BUILD / "src" / "practice")], capture_output=True, text=True,
                            check=True).stdout
    wanted = ["libcurl4", "libmicrohttpd12", "tzdata"] + (["libsqlite3"] if "libsqlite3.so" in linked else [])
    for dep in wanted:
        assert dep in info, info
    recommends = subprocess.run(["dpkg-deb", "-f", str(deb), "Recommends"], capture_output=True, text=True,
                                check=True).stdout
    assert "libpq5" in recommends and "libpq" not in info and "libpq.so" not in linked, (recommends, info)
    if "libsqlite3.so" not in linked:
        assert "libsqlite3" not in info and "libssl" not in info, info
    files = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True).stdout
    for path in ("./usr/bin/practice", "man1/practice.1", "man5/practice.toml.5",
                 "bash-completion/completions/practice", "zsh/vendor-completions/_practice",
                 "fish/vendor_completions.d/practice.fish", "share/practice/templates/requests/"):
        assert path in files, path
    try:
        inst = subprocess.run(["dpkg", "-i", str(deb)], capture_output=True, text=True)
        assert inst.returncode == 0, inst.stdout + inst.stderr
        assert subprocess.run(["/usr/bin/practice", "--version"], capture_output=True, text=True,
                              check=True).stdout.startswith("practice ")
        sections = readelf("-S", "/usr/bin/practice")
        assert ".debug_info" not in sections and ".symtab" not in sections, "the installed binary is not stripped"
        # Its debug info is in the -dbgsym package, under its build id.
        [build_id] = re.findall(r"Build ID: ([0-9a-f]+)", readelf("-n", "/usr/bin/practice"))
        debug_files = subprocess.run(["dpkg-deb", "-c", str(ddeb)], capture_output=True, text=True,
                                     check=True).stdout
        assert f"./usr/lib/debug/.build-id/{build_id[:2]}/{build_id[2:]}.debug" in debug_files, debug_files
        if shutil.which("man"):
            assert subprocess.run(["man", "-w", "practice"], capture_output=True, text=True).returncode == 0
        comp = subprocess.run(["bash", "-c", "source /usr/share/bash-completion/completions/practice; "
                               "COMP_WORDS=(practice acc); COMP_CWORD=1; _practice; echo ${COMPREPLY[@]}"],
                              capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
        assert comp.stdout.strip() == "account"
    finally:
        subprocess.run(["dpkg", "-r", "practice"], capture_output=True)
    assert not Path("/usr/bin/practice").exists()
