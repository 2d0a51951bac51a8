"""Crash-safe files: written under ``.NAME.tmp-PID`` in the target folder, fsynced, then renamed.

A file under its final name is therefore complete (docs/run-format.md, "Crash safety").
"""

import os

__all__ = ["temporary_path", "prepare_folder", "commit", "discard"]


def prepare_folder(path, what):
    """Creates the folder of ``path`` and checks it takes files, before any work is done.

    Raises:
        PermissionError, NotADirectoryError, OSError: with the folder and what to do.
    """
    folder = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as error:
        raise type(error)(error.errno, f"cannot create the folder for the {what} {path}: {error.strerror}; "
                                       f"choose a path in a writable folder") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(13, f"cannot write the {what} {path}: folder {folder} is not writable; "
                                  f"choose a path in a writable folder")
    return folder


def temporary_path(path):
    folder, name = os.path.split(os.path.abspath(path))
    return os.path.join(folder, f".{name}.tmp-{os.getpid()}")


def commit(temporary, path):
    """fsyncs ``temporary`` (already closed), renames it to ``path`` and fsyncs the folder."""
    fd = os.open(temporary, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, path)
    try:
        dir_fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def discard(temporary):
    try:
        os.remove(temporary)
    except FileNotFoundError:
        pass
