"""Run untrusted programs under bubblewrap with resource limits.

Isolation (bwrap): new user, PID, network, IPC, UTS and cgroup namespaces (`--unshare-all`: no
network at all, host processes invisible), `--die-with-parent`, `--new-session`, all capabilities
dropped, an empty environment, read-only binds of the system directories only (`/usr` and the
`/bin`, `/lib*`, `/sbin` links, plus the two `/etc` entries programs need), a fresh `/proc` and
`/dev`, a size-capped tmpfs `/tmp`, and one private writable work folder mounted at `/box`.
Nothing else of the host (home folders, the project, other tmp files) exists inside.

Limits (setrlimit, inherited by everything the program starts): CPU seconds, address space,
processes, file size (which also caps what the program can write to its stdout/stderr files) and
open files; plus a wall-clock timeout after which the whole process group is killed.

When curate runs as root the sandbox runs as an unprivileged uid of its own per worker slot
(a free uid from `uid_base` on, held with a lock file for the sandbox's lifetime, so two curate
processes on one machine never share one): the kernel does not apply RLIMIT_NPROC to root, and
giving each slot its own uid keeps one program's fork bomb from using up another slot's process
allowance, and lets the sandbox kill whatever a program left behind by uid.

stdout/stderr go to host files opened before the start (no pipes to deadlock on); the file-size
limit stops a flood at the cap (`output_limit`).
"""

from __future__ import annotations

import os
import queue
import resource
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from curation.errors import CurateError

STATUSES = ("ok", "runtime_error", "timeout", "memory_limit", "output_limit", "killed", "sandbox_error")
BOX = "/box"  # the work folder inside the sandbox
_STDERR_KEEP = 4000  # characters of stderr kept in an Execution (enough to see the error)


class SandboxUnavailable(CurateError):
    """bubblewrap is missing or cannot create namespaces here, and unsafe mode was not asked for."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one execution."""

    cpu_seconds: float = 2.0
    # default 3 x cpu + 5: the wall clock only catches programs that sleep or block (using no CPU);
    # it must not judge a program that merely waited for a core on a busy machine
    wall_seconds: float | None = None
    memory_mb: int = 512  # address space (RLIMIT_AS)
    processes: int = 64
    output_bytes: int = 1 << 20  # largest file the program may write (stdout, stderr, files)
    open_files: int = 64
    tmp_mb: int = 64  # size of the /tmp tmpfs

    @property
    def wall(self) -> float:
        return self.wall_seconds if self.wall_seconds is not None else 3 * self.cpu_seconds + 5.0

    def key(self) -> dict:
        return asdict(self)


@dataclass
class Execution:
    """What one run did. `status` is one of STATUSES."""

    status: str
    exit_code: int | None = None
    signal: int | None = None
    stdout: str = ""
    stderr: str = ""
    wall_seconds: float = 0.0
    detail: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass
class _Slot:
    index: int
    uid: int | None  # None: run as the current user
    root: Path


def _mounts() -> list[str]:
    """Read-only binds of the system folders (symlinks recreated as symlinks, e.g. merged /usr)."""
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        p = Path(name)
        if p.is_symlink():
            args += ["--symlink", os.readlink(p), name]
        elif p.is_dir():
            args += ["--ro-bind", name, name]
    # the dynamic loader's cache and Debian's alternatives links (g++ -> cc1plus, etc.); no passwd,
    # no resolv.conf: the program needs no users or names
    for name in ("/etc/ld.so.cache", "/etc/alternatives"):
        if os.path.exists(name):
            args += ["--ro-bind", name, name]
    return args


def _bwrap_args(bwrap: str, limits: Limits) -> list[str]:
    return [
        bwrap,
        "--unshare-all",
        "--die-with-parent",
        "--new-session",
        "--cap-drop", "ALL",
        "--clearenv",
        "--setenv", "PATH", "/usr/local/bin:/usr/bin:/bin",
        "--setenv", "HOME", BOX,
        "--setenv", "LANG", "C.UTF-8",
        "--setenv", "PYTHONHASHSEED", "0",  # set iteration order stable: same program, same output
        "--setenv", "PYTHONDONTWRITEBYTECODE", "1",
        *_mounts(),
        "--proc", "/proc",
        "--dev", "/dev",
        "--size", str(limits.tmp_mb << 20), "--tmpfs", "/tmp",
        "--bind", "{work}", BOX,
        "--remount-ro", "/",  # bwrap's own root tmpfs: nothing may be written outside /box and /tmp
        "--chdir", BOX,
        "--",
    ]


def _rlimits(limits: Limits, *, nproc_extra: int = 0):
    cpu = max(1, int(round(limits.cpu_seconds)))
    memory = limits.memory_mb << 20
    settings = [
        (resource.RLIMIT_CPU, (cpu, cpu + 1)),  # soft: SIGXCPU, hard: SIGKILL a second later
        (resource.RLIMIT_AS, (memory, memory)),
        (resource.RLIMIT_NPROC, (limits.processes + nproc_extra, limits.processes + nproc_extra)),
        (resource.RLIMIT_FSIZE, (limits.output_bytes, limits.output_bytes)),
        (resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files)),
        (resource.RLIMIT_CORE, (0, 0)),
    ]

    def apply() -> None:  # runs in the forked child before exec: setrlimit calls only
        for which, value in settings:
            resource.setrlimit(which, value)

    return apply


def _user_processes(uid: int) -> int:
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if os.stat(entry.path).st_uid == uid:
                    count += 1
            except OSError:
                pass
    return count


def _rmtree(path: Path) -> None:
    def fix(func, p, _exc):  # a program may leave folders without write permission
        try:
            os.chmod(os.path.dirname(p), 0o700)
            os.chmod(p, 0o700)
            func(p)
        except OSError:
            pass

    shutil.rmtree(path, onerror=fix)


class Sandbox:
    """A pool of `workers` sandbox slots. `run()` blocks until a slot is free, so it is safe (and
    meant) to call from a thread pool of the same size.

    `unsafe_no_sandbox=True` runs programs as plain subprocesses with the same rlimits, timeout
    and output cap but NO isolation: only for machines and inputs the user trusts.
    """

    def __init__(
        self,
        *,
        limits: Limits | None = None,
        workers: int | None = None,
        unsafe_no_sandbox: bool = False,
        bwrap: str | None = None,
        base_dir: str | Path | None = None,
        uid_base: int = 61000,
    ):
        self.limits = limits or Limits()
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.unsafe = unsafe_no_sandbox
        self.bwrap = bwrap or shutil.which("bwrap")
        if not self.unsafe:
            if not self.bwrap:
                raise SandboxUnavailable(
                    "bubblewrap (bwrap) not found: install it (apt-get install bubblewrap) "
                    "or pass --unsafe-no-sandbox on a machine you trust"
                )
        self._as_root = os.geteuid() == 0
        self._base = Path(tempfile.mkdtemp(prefix="curate-sandbox-", dir=base_dir))
        os.chmod(self._base, 0o711)  # slot uids must traverse it to reach their own folder
        self._slots: queue.Queue[_Slot] = queue.Queue()
        self._uid_locks: list = []
        self._uids: list[int] = []
        for i in range(self.workers):
            uid = self._claim_uid(uid_base) if self._as_root else None
            root = self._base / f"slot{i}"
            root.mkdir()
            os.chmod(root, 0o711)
            self._slots.put(_Slot(i, uid, root))
            if uid is not None:
                self._uids.append(uid)
        self._nproc_extra = 0 if self._as_root else _user_processes(os.getuid()) + 16
        if not self.unsafe:
            self._probe()

    # -- public -----------------------------------------------------------------------------

    def run(
        self,
        argv: list[str],
        *,
        files: dict[str, str | bytes] | None = None,
        stdin: str | bytes = b"",
        limits: Limits | None = None,
        keep: list[str] | None = None,
    ) -> Execution:
        """Run `argv` in a fresh work folder holding `files` (names relative to it); `{box}` in argv
        is replaced by the work folder's path as the program sees it."""
        execution, _ = self.run_keep(argv, files=files, stdin=stdin, limits=limits, keep=keep or [])
        return execution

    def run_keep(self, argv, *, files=None, stdin=b"", limits=None, keep=()) -> tuple[Execution, dict[str, bytes]]:
        """`run`, plus the bytes of the work-folder files named in `keep` (e.g. a compiled binary)."""
        limits = limits or self.limits
        slot = self._slots.get()
        try:
            return self._run_in(slot, argv, files or {}, stdin, limits, keep)
        finally:
            self._slots.put(slot)

    def close(self) -> None:
        _rmtree(self._base)
        for fh in self._uid_locks:
            fh.close()  # releases the uid's lock
        self._uid_locks = []

    @property
    def uids(self) -> list[int]:
        """The slot uids (empty when not running as root)."""
        return list(self._uids)

    def _claim_uid(self, uid_base: int) -> int:
        import fcntl

        lock_dir = Path(tempfile.gettempdir()) / "curate-sandbox-uids"
        lock_dir.mkdir(mode=0o700, exist_ok=True)
        for uid in range(uid_base, uid_base + 4096):
            fh = open(lock_dir / f"{uid}.lock", "w")
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                fh.close()
                continue
            self._uid_locks.append(fh)
            return uid
        raise SandboxUnavailable(f"no free sandbox uid in {uid_base}..{uid_base + 4095}")

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- internals --------------------------------------------------------------------------

    def _probe(self) -> None:
        probe = self.run(["/bin/sh", "-c", "exit 0"], limits=replace(self.limits, cpu_seconds=5, wall_seconds=20))
        if probe.status != "ok":
            first = (probe.stderr or probe.detail or "").strip().splitlines()
            reason = first[0] if first else f"exit {probe.exit_code}"
            raise SandboxUnavailable(
                f"bubblewrap cannot create a sandbox here ({reason}); enable unprivileged user "
                "namespaces or pass --unsafe-no-sandbox on a machine you trust"
            )

    def _run_in(self, slot: _Slot, argv, files, stdin, limits: Limits, keep) -> tuple[Execution, dict[str, bytes]]:
        run_dir = Path(tempfile.mkdtemp(dir=slot.root))
        os.chmod(run_dir, 0o711)
        work = run_dir / "work"
        work.mkdir()
        try:
            for name, content in files.items():
                target = work / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
                target.chmod(0o755)  # a compiled binary must stay executable; data files do not mind
            if slot.uid is not None:
                for dirpath, dirnames, filenames in os.walk(work):
                    for n in (dirpath, *(os.path.join(dirpath, f) for f in dirnames + filenames)):
                        os.chown(n, slot.uid, slot.uid)
            stdin_path = run_dir / "stdin"
            stdin_path.write_bytes(stdin.encode("utf-8") if isinstance(stdin, str) else stdin)
            box = BOX if not self.unsafe else str(work)
            command = [a.replace("{box}", box) for a in argv]
            if self.unsafe:
                full = command
                cwd = str(work)
                env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(work), "LANG": "C.UTF-8", "PYTHONHASHSEED": "0"}
            else:
                full = [a.replace("{work}", str(work)) for a in _bwrap_args(self.bwrap, limits)] + command
                cwd = str(run_dir)
                env = {}
            extra = {}
            if slot.uid is not None:
                extra = {"user": slot.uid, "group": slot.uid, "extra_groups": []}
            started = time.perf_counter()
            with open(stdin_path, "rb") as fin, open(run_dir / "stdout", "wb") as fout, open(run_dir / "stderr", "wb") as ferr:
                try:
                    proc = subprocess.Popen(
                        full,
                        stdin=fin,
                        stdout=fout,
                        stderr=ferr,
                        cwd=cwd,
                        env=env,
                        start_new_session=True,
                        preexec_fn=_rlimits(limits, nproc_extra=self._nproc_extra),
                        close_fds=True,
                        **extra,
                    )
                except OSError as exc:
                    return Execution("sandbox_error", detail=f"cannot start: {exc}"), {}
                timed_out = False
                try:
                    rc = proc.wait(timeout=limits.wall)
                except subprocess.TimeoutExpired:
                    timed_out = True
                    rc = self._stop(proc)
                # children that outlived the main process (daemonized): the session dies too
                self._kill(proc)
            wall = time.perf_counter() - started
            if slot.uid is not None:
                self._kill_uid(slot.uid)
            stdout = _read_capped(run_dir / "stdout", limits.output_bytes)
            stderr_bytes = _read_capped(run_dir / "stderr", limits.output_bytes)
            kept = {}
            for name in keep:
                p = work / name
                if p.is_file() and not p.is_symlink():
                    kept[name] = p.read_bytes()[: limits.output_bytes]
            flooded = max(_size(run_dir / "stdout"), _size(run_dir / "stderr")) >= limits.output_bytes
            execution = _classify(rc, timed_out, flooded, stdout, stderr_bytes, wall, self.unsafe, limits.cpu_seconds)
            return execution, kept
        finally:
            _rmtree(run_dir)

    def _stop(self, proc: subprocess.Popen) -> int:
        """Kill a program that ran out of time. Under bwrap, kill its children first (the
        namespace's init: the kernel then kills everything in the PID namespace) so the outer bwrap
        lives to reap them; killing the outer one first would leave zombies parented to the host's
        init, and they would count against the slot's process limit forever."""
        if not self.unsafe:
            for child in _children(proc.pid):
                try:
                    os.kill(child, signal.SIGKILL)
                except OSError:
                    pass
            try:
                return proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self._kill(proc)
        return proc.wait()

    @staticmethod
    def _kill(proc: subprocess.Popen) -> None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    @staticmethod
    def _kill_uid(uid: int) -> None:
        """Kill anything still running as this slot's uid and wait (up to 2 s) until it is gone, so
        the next program in this slot starts with its whole process allowance."""
        deadline = time.monotonic() + 2.0
        while True:
            alive = 0
            for entry in os.scandir("/proc"):
                if entry.name.isdigit():
                    try:
                        if os.stat(entry.path).st_uid == uid and not _zombie(entry.path):
                            alive += 1
                            os.kill(int(entry.name), signal.SIGKILL)
                    except OSError:
                        pass
            if not alive or time.monotonic() > deadline:
                return
            time.sleep(0.01)


def _zombie(proc_dir: str) -> bool:
    """A zombie is dead already (it only waits to be reaped) and cannot be killed."""
    try:
        with open(f"{proc_dir}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(p) for p in fh.read().split()]
    except (OSError, ValueError):
        return []


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _read_capped(path: Path, cap: int) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(cap)


def _classify(rc: int, timed_out: bool, flooded: bool, stdout: bytes, stderr: bytes, wall: float, unsafe: bool,
              cpu_limit: float = 0.0) -> Execution:
    out = stdout.decode("utf-8", errors="replace")
    err = stderr.decode("utf-8", errors="replace")
    sig = None
    if rc < 0:
        sig = -rc
    elif not unsafe and rc > 128 and rc - 128 < 65:
        sig = rc - 128  # bwrap exits 128 + signal when the program was killed by one
    tail = err[-_STDERR_KEEP:]
    ex = Execution("ok", exit_code=rc, signal=sig, stdout=out, stderr=tail, wall_seconds=wall)
    if timed_out:
        ex.status, ex.detail = "timeout", "wall-clock limit"
    elif (sig == signal.SIGXCPU or (sig == signal.SIGKILL and wall >= cpu_limit)) and not flooded and "MemoryError" not in err:
        # SIGXCPU at the soft CPU limit, SIGKILL at the hard one (a program that ignores SIGXCPU);
        # a SIGKILL before the program could even have used its CPU time came from elsewhere: killed
        ex.status, ex.detail = "timeout", "CPU limit"
    elif flooded or sig == signal.SIGXFSZ or "File too large" in err:
        ex.status, ex.detail = "output_limit", "output cap reached"
    elif "MemoryError" in err or "std::bad_alloc" in err or "Cannot allocate memory" in err:
        ex.status, ex.detail = "memory_limit", "address-space limit"
    elif not unsafe and rc == 1 and err.startswith("bwrap:"):
        ex.status, ex.detail = "sandbox_error", err.strip().splitlines()[0]
    elif sig is not None:
        ex.status, ex.detail = "killed", signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else f"signal {sig}"
    elif rc != 0:
        ex.status = "runtime_error"
    return ex
