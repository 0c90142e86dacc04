"""``python -m terminal.decode PATH...``: print ``path<TAB>format<TAB>text`` for every code found.

Folders are searched recursively for images. A file that cannot be read is reported on stderr
with the reason and the run goes on; the exit status is 1 when any file could not be read, 2 on
bad arguments, 0 otherwise (also when no code was found: that is an answer, not an error).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sync.errors import DecodeError
from terminal.decode.chain import DEFAULT_FORMATS, DecodeChain
from terminal.decode.sources import IMAGE_SUFFIXES, image_files, read_image


def _escape(text: str) -> str:
    """Keep one code per line: tabs, newlines and other control characters are written as escapes."""
    return "".join(c if c.isprintable() or c == " " else c.encode("unicode_escape").decode("ascii") for c in text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m terminal.decode", description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path, help="image files or folders (searched recursively)")
    parser.add_argument("--formats", default=",".join(DEFAULT_FORMATS),
                        help="comma-separated zxing-cpp format names (default: %(default)s)")
    parser.add_argument("--no-retries", action="store_true", help="only zxing-cpp then zbar on the image as it is")
    args = parser.parse_args(argv)
    try:
        chain = DecodeChain(formats=tuple(f.strip() for f in args.formats.split(",") if f.strip()),
                            retries=not args.no_retries)
    except DecodeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    failed = False
    for root in args.paths:
        try:
            files = image_files(root)
        except DecodeError as error:
            print(f"error: {error}", file=sys.stderr)
            failed = True
            continue
        if root.is_dir() and not files:
            print(f"note: {root}: no image files ({', '.join(sorted(IMAGE_SUFFIXES))})", file=sys.stderr)
        for file in files:
            try:
                codes = chain.decode(read_image(file))
            except DecodeError as error:
                print(f"error: {error}", file=sys.stderr)
                failed = True
                continue
            for code in codes:
                print(f"{file}\t{code.format}\t{_escape(code.text)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
