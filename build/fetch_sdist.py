"""Downloads a package's source release from PyPI into a folder and checks its sha256 against PyPI's.

    python build/fetch_sdist.py NAME VERSION FOLDER

Reads PyPI's simple index (what pip reads), whose links carry each file's sha256. Used by
build/trimmed.sh for the OpenCV it builds smaller than PyPI's wheel."""

from __future__ import annotations

import hashlib
import re
import sys
import urllib.error
import urllib.request
from pathlib import Path

INDEX = "https://pypi.org/simple"


def source_release(name: str, version: str) -> tuple[str, str, str] | None:
    """(url, file name, sha256) of the .tar.gz of ``name`` ``version`` in the simple index, or None."""
    project = re.sub(r"[-_.]+", "-", name).lower()
    with urllib.request.urlopen(f"{INDEX}/{project}/", timeout=60) as answer:
        page = answer.read().decode("utf-8", "replace")
    stem = re.sub(r"[-_.]+", "[-_.]", re.escape(name.lower()).replace("\\-", "-"))
    for url, filename, digest in re.findall(r'href="([^"#]*/([^"/#]+\.tar\.gz))#sha256=([0-9a-f]{64})"', page):
        if re.fullmatch(f"{stem}-{re.escape(version)}\\.tar\\.gz", filename.lower()):
            return url, filename, digest
    return None


def main(name: str, version: str, folder: str) -> int:
    try:
        found = source_release(name, version)
        if found is None:
            print(f"fetch_sdist: PyPI has no source release of {name} {version}", file=sys.stderr)
            return 1
        url, filename, digest = found
        target = Path(folder) / filename
        if not target.is_file() or hashlib.sha256(target.read_bytes()).hexdigest() != digest:
            partial = target.with_name(filename + ".part")
            urllib.request.urlretrieve(url, partial)
            got = hashlib.sha256(partial.read_bytes()).hexdigest()
            if got != digest:
                partial.unlink()
                print(f"fetch_sdist: {url} has sha256 {got}, PyPI says {digest}: not used", file=sys.stderr)
                return 1
            partial.rename(target)
    except (urllib.error.URLError, OSError) as exc:
        print(f"fetch_sdist: could not download {name} {version} from {INDEX} ({exc}); "
              "check the network or a proxy (HTTPS_PROXY)", file=sys.stderr)
        return 1
    print(f"fetch_sdist: {target}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(*sys.argv[1:]))
