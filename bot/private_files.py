"""Files and folders the helpline makes are its own: umask 077 for its processes, folders 0700.

The data dir holds the database, Redis's files and the logs, the secrets dir the made-once secrets; nobody
else on the machine should read any of it, whatever the umask of the shell that started the helpline.
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_UMASK = 0o077  # new files 0600, new folders 0700
PRIVATE_DIR_MODE = 0o700


def keep_files_private() -> int:
    """Set the process's umask to 077 (children inherit it); the umask it had before."""
    return os.umask(PRIVATE_UMASK)


def private_dir(path: Path, *, tighten: bool = True) -> Path:
    """`path` as a folder only its owner may open: missing folders (and parents) are made 0700.

    With `tighten`, an existing folder of ours that others could read (made by an older version, 0755) is
    narrowed to 0700; pass False for a folder the helpline may share (the parent of a database file).
    """
    missing = [folder for folder in (path, *path.parents) if not folder.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=PRIVATE_DIR_MODE, exist_ok=True)
        os.chmod(folder, PRIVATE_DIR_MODE)  # mkdir's mode passes through the umask; this does not
    if tighten and not missing:
        status = path.stat()
        if status.st_mode & 0o077 and status.st_uid == os.getuid():
            os.chmod(path, PRIVATE_DIR_MODE)
    return path
