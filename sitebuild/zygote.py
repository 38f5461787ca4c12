"""Start Python processes by forking one that has already imported the heavy libraries.

    python -m sitebuild.zygote serve SOCKET     (started by `running()`)
    python -m sitebuild.zygote kernel SOCKET CONNECTION_FILE [ARG...]  (the kernel command nbclient runs)

Every snippet runs as a notebook in a fresh IPython kernel (sitebuild.runner), and every code block
of the pages runs in a fresh interpreter (tests/test_codeblocks.py). Each such process spent about
3 s of CPU importing torch, scikit-learn, SciPy and matplotlib: a quarter of a cold build's snippet
time, and most of the code blocks' test time. Here one process, the zygote, imports them once; each
kernel or block is a `fork()` of it, so it starts with those modules loaded and nothing else: no
variable, figure or random state of another run (a fork copies the zygote, never a sibling), and
no name in its namespace that it did not import itself. tests/test_pipeline.py checks that a forked
kernel writes the bytes a kernel started from scratch writes, and tests/test_codeblocks.py that a
forked block sees what `python -c` sees.

nbclient starts a kernel by running a command; the command here (`kernel`) is a small process that
asks the zygote over a Unix socket for a fork, hands it its stdin/stdout/stderr, working directory,
environment and arguments, forwards signals (an interrupt) to it, and exits when it exits, so that
jupyter_client sees the usual kernel process. `Zygote.run_code` does the same for a code block.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

# What the snippets and the pages' code blocks import (a kernel imports IPython's own machinery).
PRELOAD = ("numpy", "scipy.stats", "scipy.special", "sklearn.datasets", "sklearn.model_selection",
           "torch", "matplotlib.pyplot")
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"  # what ipykernel selects (kernelapp.py)
KERNEL_NAME = "n01-zygote"


@dataclass
class Zygote:
    socket_path: str
    kernel_env: dict[str, str]  # makes sitebuild.runner start its kernels here: JUPYTER_PATH, N01_KERNEL

    def run_code(self, code: str, cwd: str, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
        """Run `code` as `python -c code` would, in a fork: `__main__`, sys.argv ["-c"], the
        working directory and environment given, output captured."""
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            client.connect(self.socket_path)
            request = {"mode": "code", "code": code, "cwd": cwd, "env": env}
            with open(os.devnull, "rb") as stdin:
                socket.send_fds(client, [json.dumps(request).encode()], [stdin.fileno(), out.fileno(), err.fileno()])
                message, fds, _, _ = socket.recv_fds(client, 64, 1)
            client.close()
            pid, done = int(message), fds[0]
            try:
                if not select.select([done], [], [], timeout)[0]:
                    os.kill(pid, signal.SIGKILL)
                    raise subprocess.TimeoutExpired(["<fork>", "-c", code[:80]], timeout)
                status = os.read(done, 8)  # the child writes its exit status, then exits
            finally:
                os.close(done)
            out.seek(0)
            err.seek(0)
            return subprocess.CompletedProcess(
                ["<fork>", "-c", code], int(status) if status else -1,
                out.read().decode(errors="replace"), err.read().decode(errors="replace"))


@contextlib.contextmanager
def running(env: dict[str, str]) -> Iterator[Zygote]:
    """A zygote started with `env` (what its children import reads it now: torch its thread
    counts, matplotlib MPLBACKEND), stopped on exit."""
    with tempfile.TemporaryDirectory(prefix="n01-zygote-") as directory:
        socket_path = os.path.join(directory, "socket")
        spec_dir = os.path.join(directory, "kernels", KERNEL_NAME)
        os.makedirs(spec_dir)
        spec = {
            "argv": [sys.executable, "-m", "sitebuild.zygote", "kernel", socket_path, "{connection_file}"],
            "display_name": "Python 3 (forked)",
            "language": "python",
        }
        with open(os.path.join(spec_dir, "kernel.json"), "w", encoding="utf-8") as file:
            json.dump(spec, file)
        zygote = subprocess.Popen([sys.executable, "-m", "sitebuild.zygote", "serve", socket_path],
                                  env=env, stdout=subprocess.PIPE, text=True)
        try:
            if zygote.stdout.readline().strip() != "ready":
                raise RuntimeError(f"the zygote did not start (exit status {zygote.wait()})")
            # JUPYTER_PATH: the kernelspec's directory first, then any the caller already had
            jupyter_path = os.pathsep.join(path for path in (directory, env.get("JUPYTER_PATH")) if path)
            yield Zygote(socket_path, {"JUPYTER_PATH": jupyter_path, "N01_KERNEL": KERNEL_NAME})
        finally:
            zygote.terminate()
            zygote.wait()


def serve(socket_path: str) -> None:
    """Import, then fork a kernel or a code run for each request until SIGTERM."""
    # ipykernel selects the inline backend through MPLBACKEND when it starts; matplotlib reads it
    # when it is imported, which is now (the code blocks' zygote is started with Agg).
    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
    import importlib

    for module in PRELOAD:
        importlib.import_module(module)
    import ipykernel.kernelapp  # noqa: F401  (IPython, zmq, tornado: imported, nothing started)

    children: set[int] = set()

    def stop(*_):
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)  # a kernel whose runner died; normally none is left
                os.waitpid(pid, 0)  # reaped, so its CPU time counts in this process's children
            except (ProcessLookupError, ChildProcessError):
                pass
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(socket_path)
    server.listen()
    print("ready", flush=True)  # `running()` waits for this line
    while True:
        connection, _ = server.accept()
        message, fds, _, _ = socket.recv_fds(connection, 1 << 22, 3)
        request = json.loads(message)
        while True:  # reap finished children (no thread here: a fork must copy a single thread)
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            children.discard(pid)
        done_read, done_write = os.pipe()
        pid = os.fork()
        if pid == 0:
            server.close()
            connection.close()
            os.close(done_read)  # done_write stays open in the child: closed when it exits
            _become(request, fds, done_write)
        children.add(pid)
        for fd in fds:
            os.close(fd)
        os.close(done_write)
        socket.send_fds(connection, [str(pid).encode()], [done_read])
        os.close(done_read)
        connection.close()


def _become(request: dict, fds: list[int], done: int) -> None:
    """In the forked child: take the requester's streams, directory and environment, then be an
    IPython kernel (as `python -m ipykernel_launcher ARGV` would) or run the code (`python -c`)."""
    status = 1
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        if request["mode"] == "kernel":
            os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
            sys.argv = ["ipykernel_launcher", *request["argv"]]
            from ipykernel.kernelapp import launch_new_instance

            launch_new_instance()
            status = 0
        else:
            status = _run_as_main(request["code"])
    except BaseException:  # noqa: BLE001 - the error goes to the requester's stderr
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.write(done, str(status).encode())
        os._exit(status)


def _run_as_main(code: str) -> int:
    """`python -c code`: a new `__main__` module, sys.argv ["-c"], the working directory first
    on sys.path; the exit status of SystemExit, or 1 and the traceback for an exception."""
    import types

    main = types.ModuleType("__main__")
    sys.modules["__main__"] = main
    sys.argv = ["-c"]
    sys.path[0] = ""
    try:
        exec(compile(code, "<string>", "exec"), main.__dict__)
    except SystemExit as exit_:
        if exit_.code is None or isinstance(exit_.code, int):
            return exit_.code or 0
        print(exit_.code, file=sys.stderr)
        return 1
    except BaseException:  # noqa: BLE001
        import traceback

        traceback.print_exc()
        return 1
    return 0


def kernel(socket_path: str, connection_file: str, *arguments: str) -> None:
    """The kernel command: have the zygote fork a kernel, relay signals, exit when it exits."""
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(socket_path)
    request = {"mode": "kernel", "cwd": os.getcwd(), "env": dict(os.environ),
               "argv": ["-f", os.path.abspath(connection_file), *arguments]}
    socket.send_fds(client, [json.dumps(request).encode()], [0, 1, 2])
    message, fds, _, _ = socket.recv_fds(client, 64, 1)
    client.close()
    pid = int(message)
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda signum, _frame: os.kill(pid, signum))
    done = fds[0]
    while os.read(done, 8):  # until end of file: the kernel has exited
        pass
    sys.exit(0)


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2])
    elif sys.argv[1] == "kernel":
        kernel(*sys.argv[2:])
    else:
        sys.exit(__doc__)
