"""Each attack runs in the real sandbox, ends with a verdict, and leaves the host untouched."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from curation.code.sandbox import Limits, Sandbox, SandboxUnavailable


def run_py(sandbox, code: str, **kw):
    return sandbox.run(["python3", "-c", textwrap.dedent(code)], **kw)


def test_plain_program_runs_and_reads_stdin(sandbox):
    ex = run_py(sandbox, "print(input()[::-1])", stdin="abc\n")
    assert ex.status == "ok" and ex.stdout == "cba\n"


def test_network_is_unreachable(sandbox):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    try:
        ex = run_py(sandbox, f"""
            import socket
            for target in [("127.0.0.1", {port}), ("1.1.1.1", 80)]:
                try:
                    socket.create_connection(target, timeout=1)
                    print("CONNECTED", target)
                except OSError as exc:
                    print("refused", type(exc).__name__)
            try:
                socket.getaddrinfo("example.com", 80)
                print("RESOLVED")
            except OSError:
                print("no dns")
        """)
        assert ex.status == "ok"
        assert "CONNECTED" not in ex.stdout and "RESOLVED" not in ex.stdout
        assert ex.stdout.count("refused") == 2
        with pytest.raises(TimeoutError):
            listener.accept()  # nothing reached the host's loopback listener
    finally:
        listener.close()


def _processes_of(uids: set[int]) -> tuple[list[int], list[int]]:
    """(live, zombie) pids owned by the sandbox slot uids."""
    live, zombies = [], []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if os.stat(entry.path).st_uid in uids:
                    state = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()[0]
                    (zombies if state == "Z" else live).append(int(entry.name))
            except (OSError, IndexError):
                pass
    return live, zombies


def test_fork_bomb_is_contained(sandbox):
    slot_uids = set(sandbox.uids)
    zombies_before = set(_processes_of(slot_uids)[1])
    ex = run_py(sandbox, """
        import os
        while True:
            try:
                os.fork()
            except OSError:
                pass
    """)
    assert ex.status in ("timeout", "runtime_error", "killed")
    # nothing of it survives (not even an unreaped zombie), and the host can still start processes
    if os.geteuid() == 0:
        live, zombies = _processes_of(slot_uids)
        assert live == [] and set(zombies) <= zombies_before
    assert subprocess.run([sys.executable, "-c", "print(1)"], capture_output=True).stdout == b"1\n"


def test_writing_outside_the_work_folder_fails(sandbox, tmp_path):
    target = tmp_path / "escape.txt"
    ex = run_py(sandbox, f"""
        import os
        for path in [{str(target)!r}, "/usr/escape.txt", "/etc/escape.txt", "../escape.txt", "/proc/sys/kernel/hostname"]:
            try:
                with open(path, "w") as fh:
                    fh.write("x")
                print("WROTE", path, os.path.realpath(path))
            except OSError as exc:
                print("denied", path, type(exc).__name__)
        open("inside.txt", "w").write("fine")  # the private work folder is writable
        open("/tmp/scratch", "w").write("fine")  # and so is the private /tmp
        print("inside ok")
    """)
    assert ex.status == "ok", ex
    assert "inside ok" in ex.stdout
    assert not target.exists() and not Path("/usr/escape.txt").exists() and not Path("/etc/escape.txt").exists()
    assert "WROTE" not in ex.stdout  # even the sandbox's own root is read-only
    assert not Path(sandbox._base, "escape.txt").exists()
    assert not Path("/tmp/scratch").exists() or Path("/tmp/scratch").read_text() != "fine"


def test_host_secrets_are_invisible(sandbox, tmp_path, monkeypatch):
    monkeypatch.setenv("CURATE_TEST_SECRET", "hunter2-env")
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text("hunter2-file")
    home = Path.home()
    ex = run_py(sandbox, f"""
        import os
        print("env", os.environ.get("CURATE_TEST_SECRET"), sorted(os.environ))
        for path in [{str(secret_file)!r}, {str(home / ".bash_history")!r}, "/etc/shadow", "/etc/passwd"]:
            try:
                print("READ", path, open(path).read()[:40])
            except OSError as exc:
                print("denied", path, type(exc).__name__)
        try:
            print("LISTED", os.listdir({str(home)!r}))
        except OSError as exc:
            print("no home", type(exc).__name__)
    """)
    assert ex.status == "ok"
    assert "hunter2" not in ex.stdout
    assert "READ" not in ex.stdout and "LISTED" not in ex.stdout
    assert "env None" in ex.stdout


def test_infinite_loop_times_out(sandbox):
    ex = run_py(sandbox, "while True: pass")
    assert ex.status == "timeout"


def test_sleeping_forever_hits_the_wall_clock(sandbox):
    ex = run_py(sandbox, "import time; time.sleep(600)")
    assert ex.status == "timeout" and ex.detail == "wall-clock limit"


def test_memory_hog_is_stopped(sandbox):
    ex = run_py(sandbox, """
        blocks = []
        while True:
            blocks.append(bytearray(16 << 20))
    """)
    assert ex.status == "memory_limit"


def test_huge_output_is_capped(sandbox):
    ex = run_py(sandbox, "while True: print('x' * 1000)")
    assert ex.status == "output_limit"
    assert len(ex.stdout.encode()) <= sandbox.limits.output_bytes


def test_huge_file_is_capped(sandbox):
    ex = run_py(sandbox, "open('big', 'wb').write(b'x' * (10 << 20))")
    assert ex.status == "output_limit"


def test_signalling_the_parent_and_host_processes_has_no_effect(sandbox):
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        ex = run_py(sandbox, f"""
            import os, signal
            for pid in [os.getppid(), 1, {os.getpid()}, {bystander.pid}, -1]:
                try:
                    os.kill(pid, signal.SIGKILL)
                    print("sent", pid)
                except OSError as exc:
                    print("refused", pid, type(exc).__name__)
        """)
        assert ex.status in ("ok", "killed")  # kill(-1) may take the program itself down
        assert bystander.poll() is None  # the host process is alive
        assert os.getpid() > 0
    finally:
        bystander.kill()
        bystander.wait()
    assert run_py(sandbox, "print('still working')").stdout == "still working\n"


def test_missing_bwrap_is_refused_with_one_line(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    with pytest.raises(SandboxUnavailable) as info:
        Sandbox()
    message = str(info.value)
    assert "\n" not in message and "bwrap" in message and "--unsafe-no-sandbox" in message


def test_unsafe_mode_runs_without_bwrap_but_keeps_limits(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    with Sandbox(unsafe_no_sandbox=True, limits=Limits(cpu_seconds=1, wall_seconds=3), workers=1) as box:
        assert run_py(box, "print(6 * 7)").stdout == "42\n"
        assert run_py(box, "while True: pass").status == "timeout"


def test_two_sandboxes_never_share_a_uid(sandbox):
    if os.geteuid() != 0:
        pytest.skip("slot uids are used only when curate runs as root")
    with Sandbox(workers=2) as other:
        assert set(other.uids).isdisjoint(sandbox.uids) and len(other.uids) == 2
