"""Start snippet kernels by forking one process that has already imported the heavy libraries.

    python -m sitebuild.zygote serve SOCKET     (started by sitebuild.cache for a batch of runs)
    python -m sitebuild.zygote kernel SOCKET CONNECTION_FILE [ARG...]  (the kernel command nbclient runs)

Every snippet runs as a notebook in a fresh IPython kernel (sitebuild.runner). A fresh kernel
spends about 4 s of CPU on this project's imports (torch, scikit-learn, SciPy, matplotlib) and on
IPython's start, 14 times in a cold build: a quarter of the snippets' time. Here one process, the
zygote, imports them once; each kernel is a `fork()` of it, so it starts with those modules
loaded and nothing else (no variable, no figure, no random state that a snippet left behind: a
fork copies the zygote, never a sibling). tests/test_pipeline.py checks that a run through the
zygote writes the same bytes as a run in a kernel started from scratch.

nbclient starts a kernel by running a command; the command here (`kernel`) is a small process
that asks the zygote over a Unix socket for a fork, hands it its stdin/stdout/stderr and working
directory and environment, forwards signals (an interrupt) to it, and exits when it exits, so that
jupyter_client sees the usual kernel process.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator

# What the snippets import (the kernel imports IPython's own machinery itself, below).
PRELOAD = ("numpy", "scipy.stats", "scipy.special", "sklearn.datasets", "sklearn.model_selection",
           "torch", "matplotlib.pyplot")
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"  # what ipykernel selects (kernelapp.py)


KERNEL_NAME = "n01-zygote"


@contextlib.contextmanager
def running(env: dict[str, str]) -> Iterator[dict[str, str]]:
    """Start a zygote with `env` (the thread counts must be the kernels': torch reads them when
    it is imported) and yield the environment variables that make sitebuild.runner start its
    kernels from it: JUPYTER_PATH, where the kernelspec KERNEL_NAME is, and N01_KERNEL."""
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
                raise RuntimeError(f"the snippet kernel zygote did not start (exit status {zygote.wait()})")
            yield {"JUPYTER_PATH": directory, "N01_KERNEL": KERNEL_NAME}
        finally:
            zygote.terminate()
            zygote.wait()


def serve(socket_path: str) -> None:
    """Import, then fork a kernel for each request until the socket is closed or SIGTERM."""
    # ipykernel selects the inline backend through MPLBACKEND when it starts; matplotlib reads it
    # when it is imported, which is now.
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
    print("ready", flush=True)  # sitebuild.cache waits for this line
    while True:
        connection, _ = server.accept()
        message, fds, _, _ = socket.recv_fds(connection, 1 << 20, 3)
        request = json.loads(message)
        while True:  # reap finished kernels (no thread here: a fork must copy a single thread)
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
            os.close(done_read)  # done_write stays open in the kernel: closed when it exits
            _become_kernel(request, fds)
        children.add(pid)
        for fd in fds:
            os.close(fd)
        os.close(done_write)
        socket.send_fds(connection, [str(pid).encode()], [done_read])
        os.close(done_read)
        connection.close()


def _become_kernel(request: dict, fds: list[int]) -> None:
    """In the forked child: take the requester's streams, directory and environment, and run
    an IPython kernel as `python -m ipykernel_launcher -f CONNECTION_FILE` would."""
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
        sys.argv = ["ipykernel_launcher", *request["argv"]]
        from ipykernel.kernelapp import launch_new_instance

        launch_new_instance()
    except BaseException:  # noqa: BLE001 - the kernel's own error goes to its stderr
        import traceback

        traceback.print_exc()
        os._exit(1)
    os._exit(0)


def kernel(socket_path: str, connection_file: str, *arguments: str) -> None:
    """The kernel command: have the zygote fork a kernel, relay signals, exit when it exits."""
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(socket_path)
    request = {"cwd": os.getcwd(), "env": dict(os.environ),
               "argv": ["-f", os.path.abspath(connection_file), *arguments]}
    socket.send_fds(client, [json.dumps(request).encode()], [0, 1, 2])
    message, fds, _, _ = socket.recv_fds(client, 64, 1)
    client.close()
    pid = int(message)
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda signum, _frame: os.kill(pid, signum))
    done = fds[0]
    while True:
        try:
            if not os.read(done, 1):  # end of file: the kernel has exited
                break
        except InterruptedError:
            continue
    sys.exit(0)


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2])
    elif sys.argv[1] == "kernel":
        kernel(*sys.argv[2:])
    else:
        sys.exit(__doc__)
