"""``python -m terminal.decode PATH...``: print ``path<TAB>format<TAB>text`` for every code found.

``python -m terminal.decode --live [--config FILE]`` runs the station's scan loop instead on the
configured source (``[camera]`` settings: a camera, or a video file / image folder for demos) and
prints ``scan<TAB>source<TAB>text`` for every confirmed label, until the source ends or Ctrl-C.

Folders are searched recursively for images. A file that cannot be read is reported on stderr
with the reason and the run goes on; the exit status is 1 when any file could not be read, 2 on
bad arguments, 0 otherwise (also when no code was found: that is an answer, not an error).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sync import logs
from sync.errors import DecodeError, FloorLinkError
from sync.settings import load
from terminal.decode.chain import DEFAULT_FORMATS, DecodeChain
from terminal.decode.confirm import ScanConfirmer
from terminal.decode.sources import (
    IMAGE_SUFFIXES,
    CaptureWorker,
    ImageFolderSource,
    image_files,
    open_source,
    read_image,
)


def _escape(text: str) -> str:
    """Keep one code per line: tabs, newlines and other control characters are written as escapes."""
    return "".join(c if c.isprintable() or c == " " else c.encode("unicode_escape").decode("ascii") for c in text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m terminal.decode", description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, help="image files or folders (searched recursively)")
    parser.add_argument("--live", action="store_true", help="scan the configured camera or camera.source instead")
    parser.add_argument("--config", help="settings TOML file for --live (default: $FLOORLINK_CONFIG)")
    parser.add_argument("--formats", default=",".join(DEFAULT_FORMATS),
                        help="comma-separated zxing-cpp format names (default: %(default)s)")
    parser.add_argument("--no-retries", action="store_true", help="only zxing-cpp then zbar on the image as it is")
    logs.add_log_argument(parser)
    args = parser.parse_args(argv)
    logs.setup("decode", level=args.log_level, file=False)  # a short command: its log lines go to stderr
    if args.live:
        return live(args.config)
    if not args.paths:
        parser.error("give image files or folders, or --live")
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


def live(config: str | None) -> int:
    """The station's loop without a screen: capture thread, chain, 2-frame confirmation."""
    try:
        settings = load(config)
        chain = DecodeChain.for_camera(settings)
        confirmer = ScanConfirmer(frames_needed=settings.get("camera.confirm_frames"))
        source = open_source(settings)
    except FloorLinkError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if isinstance(source, ImageFolderSource):
        source.loop = False  # a demo folder is shown once here
    try:
        with CaptureWorker(source, fps=30) as capture:
            while True:
                frame = capture.latest(timeout=0.5)
                if frame is None:
                    if capture.error is not None:
                        print(f"error: {capture.error}", file=sys.stderr)
                        return 1
                    if capture.finished.is_set():
                        return 0
                    continue
                for scan in confirmer.feed_frame(chain.decode(frame.image)):
                    print(f"scan\t{source.name}\t{scan.text}", flush=True)
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
