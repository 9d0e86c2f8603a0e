"""MkDocs hook: notebook pages are executed by a kernel on encrypted sockets.

jupyter_client starts a kernel on plain TCP sockets unless told otherwise, and
ipykernel then logs "Kernel is running over TCP without encryption" on every
build that executes a notebook. ipykernel's kernelspec declares that it
supports CurveZMQ, so the kernel manager can provision keys for it:
``transport_encryption = "auto"`` does that (``tests/test_notebooks.py`` gives
its kernels the same setting). mkdocs-jupyter builds its kernel manager through
nbconvert, with no setting of its own for this, hence the class default.
"""

from __future__ import annotations


def on_startup(command: str, dirty: bool) -> None:
    """MkDocs event, once per process: encrypt the kernels' sockets from now on."""
    from jupyter_client.manager import KernelManager

    KernelManager.transport_encryption.default_value = "auto"
