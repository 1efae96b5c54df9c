"""``microgradnet playground -o DIR``: build the browser playground, a folder for any static host.

::

    microgradnet playground -o site          # then: python -m http.server -d site
    make playground                          # the same, into build/playground

The folder holds everything the page needs — the page and its Web Worker (from the repository's
``playground/`` folder), microgradnet's own sources zipped from the installed package, the
stepper's script and CSS, and Pyodide (CPython compiled to WebAssembly) — so the page fetches
nothing from anywhere but its own folder. Pyodide comes from npm at the version pinned in
``playground/package-lock.json`` (``npm ci``, run only when ``playground/node_modules`` does not
match the lock file); the Python wheel never carries it. With Node.js the build also writes a
memory snapshot of Pyodide with microgradnet already imported, which cuts the page's start from
seconds to about one.

The command needs a source checkout of microgradnet (the ``playground/`` folder beside ``src/``,
or ``--source FOLDER``) and ``npm``. Problems (no ``npm``, no ``playground/`` folder, an output
folder that holds something else) are reported as ``microgradnet: error: ...`` with exit status
2, and nothing is written; a failing ``npm ci`` or snapshot exits with status 1, and the output
folder is left as it was.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import microgradnet
from microgradnet.cli import CliError
from microgradnet.locales import FONT_FAMILY, LANGUAGES, font_bytes, needs_font
from microgradnet.viz.html import font_css
from microgradnet.viz.playground import PLAYGROUND_STRINGS, playground_tables

__all__ = [
    "GENERATOR",
    "PYTHON_DIR",
    "SITE_FILES",
    "BuildFailed",
    "build_site",
    "find_source",
    "inputs_fingerprint",
    "install_npm_packages",
    "page_html",
    "python_zip",
    "register",
]

#: Written into ``build.json``; a folder with it may be replaced by a new build.
GENERATOR = "microgradnet playground"
#: Where the page unpacks the Python sources inside Pyodide (the snapshot uses the same path).
PYTHON_DIR = "/home/pyodide/microgradnet-playground"
#: The page's own files, copied from the source folder as they are.
SITE_FILES = ("playground.js", "playground.css", "worker.js")
#: The Pyodide files the page loads (from the npm package).
PYODIDE_FILES = ("pyodide.js", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json")
#: The Python sources shipped to the browser: these suffixes, outside these folders.
_ZIP_SUFFIXES = (".py", ".js", ".css", ".typed")
_ZIP_SKIP_DIRS = ("__pycache__", "datasets")
#: The fixed timestamp of every zip entry (the zip is byte-identical for identical sources).
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)
_NEEDS_NPM = (
    "building the playground needs npm (it fetches the pinned Pyodide from the npm registry "
    "once): install Node.js 18 or newer with npm (Debian/Ubuntu: sudo apt-get install nodejs npm)"
)


class BuildFailed(RuntimeError):
    """An outside program (``npm ci``, the snapshot under Node.js) failed; the message has its output."""


def find_source(source: str | os.PathLike[str] | None = None) -> Path:
    """The playground's source folder: ``source``, or ``playground/`` in this checkout.

    Raises:
        CliError: the folder does not exist or lacks ``package.json``, ``package-lock.json``,
            ``index.html`` or one of :data:`SITE_FILES` (installed from a wheel there is no
            checkout: the message says how to get one).
    """
    if source is not None:
        folder = Path(source)
    else:
        folder = Path(microgradnet.__file__).resolve().parent.parent.parent / "playground"
    needed = (
        "package.json",
        "package-lock.json",
        "index.html",
        "playground_runner.py",
        "snapshot.mjs",
        *SITE_FILES,
    )
    if not folder.is_dir():
        hint = "" if source is not None else " (microgradnet seems to be installed from a wheel)"
        raise CliError(
            f"the playground is built from a source checkout of microgradnet, and {str(folder)!r} is not "
            f"a folder{hint}: clone the repository, run `make playground` there, or pass "
            "--source PATH/TO/playground"
        )
    missing = [name for name in needed if not (folder / name).is_file()]
    if missing:
        raise CliError(
            f"{str(folder)!r} is not the playground's source folder: it lacks {', '.join(missing)}"
        )
    return folder


def _read_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as f:
        return json.load(f)


def _locked(source: Path) -> dict[str, dict[str, Any]]:
    packages: dict[str, dict[str, Any]] = _read_json(source / "package-lock.json").get("packages", {})
    return {k: v for k, v in packages.items() if k}


def _installed_matches_lock(source: Path) -> bool:
    hidden = source / "node_modules" / ".package-lock.json"
    if not hidden.is_file():
        return False
    installed = _read_json(hidden).get("packages", {})
    for key, entry in _locked(source).items():
        got = installed.get(key)
        if got is None or got.get("version") != entry.get("version"):
            return False
        if got.get("integrity") != entry.get("integrity"):
            return False
    return True


def install_npm_packages(source: Path, npm: str | None = None) -> bool:
    """``npm ci`` in ``source`` unless ``node_modules`` already matches the lock file; returns
    whether npm ran.

    Raises:
        CliError: npm is needed and not found.
        BuildFailed: ``npm ci`` failed (its output is in the message).
    """
    if _installed_matches_lock(source):
        return False
    program = npm or shutil.which("npm")
    if program is None:
        raise CliError(_NEEDS_NPM)
    command = [program, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"]
    proc = subprocess.run(command, cwd=source, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise BuildFailed(f"npm ci failed in {source}:\n{_tail(proc.stderr or proc.stdout)}")
    return True


def _python_files(package_dir: Path) -> list[tuple[str, Path]]:
    files = []
    for path in sorted(package_dir.rglob("*")):
        rel = path.relative_to(package_dir)
        if not path.is_file() or any(part in _ZIP_SKIP_DIRS for part in rel.parts):
            continue
        if path.suffix in _ZIP_SUFFIXES:
            files.append(("microgradnet/" + rel.as_posix(), path))
    return files


def python_zip(package_dir: Path, runner: Path) -> bytes:
    """The zip the page unpacks into Pyodide: ``microgradnet/`` (its ``.py`` files and the
    stepper's ``.js``/``.css``, without the datasets) and ``playground_runner.py``.

    Byte-identical for identical sources (sorted entries, fixed timestamps).
    """
    entries = [*_python_files(package_dir), ("playground_runner.py", runner)]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, path in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def inputs_fingerprint(source: Path, package_dir: Path | None = None) -> str:
    """A digest of everything a build is made from: the page's files, the lock file and the
    Python sources. Two builds with the same fingerprint are the same site."""
    package_dir = package_dir or Path(microgradnet.__file__).resolve().parent
    digest = hashlib.sha256()
    names = sorted(p.name for p in source.iterdir() if p.is_file() and p.name != ".gitignore")
    for name in names:
        digest.update(name.encode() + b"\0" + (source / name).read_bytes() + b"\0")
    for name, path in _python_files(package_dir):
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()


def _stepper_asset(name: str) -> bytes:
    """``stepper.js`` or ``stepper.css``: the very files ``export_html`` inlines (the script
    defines ``window.MicrogradnetStepper``, whose ``mount`` the page calls)."""
    return (resources.files("microgradnet.viz") / name).read_bytes()


def _json_in_html(data: Any) -> str:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


#: Where the site keeps the Devanagari font (served from its own origin: ``font-src 'self'``).
FONT_FILE = "fonts/NotoSansDevanagari-subset.woff2"


def _text_html(text: str) -> str:
    """A text of the playground's table as HTML: escaped, and `code` between backticks as
    ``<code>`` (playground.js shows the translations the same way)."""
    parts = text.split("`")
    return "".join(
        f"<code>{html.escape(part)}</code>" if k % 2 else html.escape(part) for k, part in enumerate(parts)
    )


def page_html(template: str, values: dict[str, str]) -> str:
    """``index.html`` from its template: each ``{{t:KEY}}`` becomes the English text of
    :data:`~microgradnet.viz.playground.PLAYGROUND_STRINGS` (``{{t:KEY}}`` in an attribute: its
    plain text), ``{{LANGUAGES}}`` the language menu, and ``{{NAME}}`` the given ``values``.

    Raises:
        KeyError: the template names a text the table lacks.
    """

    def text(m: re.Match[str]) -> str:
        key = m.group(1)
        if key not in PLAYGROUND_STRINGS:
            raise KeyError(f"index.html names {{{{t:{key}}}}}, which PLAYGROUND_STRINGS lacks")
        english = PLAYGROUND_STRINGS[key]
        in_attribute = m.string[: m.start()].rsplit("<", 1)[-1].count('"') % 2 == 1
        return html.escape(english.replace("`", ""), quote=True) if in_attribute else _text_html(english)

    page = re.sub(r"\{\{t:(\w+)\}\}", text, template)
    languages = "".join(
        f'<option value="{code}" lang="{code}">{html.escape(name)}</option>'
        for code, name in LANGUAGES.items()
    )
    for key, value in {"LANGUAGES": languages, **values}.items():
        page = page.replace("{{" + key + "}}", value)
    return page


def _fonts_css(build_id: str) -> str:
    """``fonts.css``: for each language written in a script microgradnet ships a font for, the
    font (loaded from :data:`FONT_FILE`, so the page's CSP needs no ``data:`` fonts), first in the
    stepper's fonts and in the page's own (the variables of playground.css)."""
    rules = ["/* the embedded fonts of the languages that need one (written by microgradnet playground) */"]
    for lang in LANGUAGES:
        if needs_font(lang):
            rules.append(font_css(lang, f"{FONT_FILE}?v={build_id}").strip())
            rules.append(
                f'html[lang="{lang}"] {{ --pg-font: "{FONT_FAMILY}", var(--pg-base-font); '
                f'--pg-mono: var(--pg-base-mono), "{FONT_FAMILY}"; }}'
            )
    if len(rules) > 1:  # the language menu names each language in its own script, in any language
        rules.append(f'.pg-lang select {{ font-family: var(--pg-base-font), "{FONT_FAMILY}"; }}')
    return "\n".join(rules) + "\n"


def _notice(locked: dict[str, dict[str, Any]]) -> str:
    lines = [
        "The microgradnet playground bundles these programs, unchanged:",
        "",
        f"microgradnet {microgradnet.__version__} (MIT licence)",
    ]
    about = {
        "node_modules/pyodide": "Pyodide: CPython and its standard library compiled to WebAssembly "
        "(https://github.com/pyodide/pyodide); CPython is under the PSF licence",
    }
    for key, text in about.items():
        entry = locked.get(key, {})
        name = key.split("node_modules/")[1]
        lines.append(f"{name} {entry.get('version', '?')} ({entry.get('license', '?')}): {text}")
    return "\n".join(lines) + "\n"


def _tail(text: str) -> str:
    """The end of a program's output, without the minified source lines Node prints with an error."""
    lines = [line for line in text.strip().splitlines() if len(line) < 400]
    return "\n".join(lines[-40:])


def _run_snapshot(source: Path, zip_path: Path, out: Path, node: str | None) -> dict[str, Any]:
    program = node or shutil.which("node")
    if program is None:
        raise CliError("the memory snapshot needs Node.js (node): install it, or pass --no-snapshot")
    # the script comes on stdin, so that no path of the build machine (Node's argv[1], which
    # becomes sys.executable) is frozen into the published snapshot
    proc = subprocess.run(
        [program, "--input-type=module", "-", str(zip_path), PYTHON_DIR, str(out)],
        input=(source / "snapshot.mjs").read_text(encoding="utf-8"),
        cwd=source,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise BuildFailed(f"the Pyodide snapshot failed:\n{_tail(proc.stderr or proc.stdout)}")
    report: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return report


def _check_output(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise CliError(f"{str(out)!r} is a file; give a folder for the playground")
    if out.is_dir() and any(out.iterdir()):
        marker = out / "build.json"
        try:
            ours = _read_json(marker).get("generator") == GENERATOR
        except (OSError, ValueError, AttributeError):
            ours = False
        if not ours:
            raise CliError(
                f"{str(out)!r} is not empty and is not a playground build; give a new or empty folder "
                "(a folder holding an earlier playground build is replaced)"
            )
    if not out.parent.is_dir():
        raise CliError(f"cannot write {str(out)!r}: the folder {str(out.parent)!r} does not exist")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build_site(
    out: str | os.PathLike[str],
    *,
    source: str | os.PathLike[str] | None = None,
    snapshot: bool = True,
    npm: str | None = None,
    node: str | None = None,
) -> dict[str, Any]:
    """Build the playground into the folder ``out`` and return what ``build.json`` records.

    ``out`` must be new, empty, or an earlier playground build (which is replaced as a whole:
    the site is assembled in a temporary folder beside it and renamed into place). ``source``
    is the playground's source folder (default: ``playground/`` in this checkout).
    ``snapshot=False`` skips the memory snapshot (the page then starts Python from scratch).

    Raises:
        CliError: as :func:`find_source`, an unusable ``out``, or no ``npm``/``node``.
        BuildFailed: ``npm ci`` or the snapshot failed.
    """
    target = Path(out).absolute()
    _check_output(target)
    folder = find_source(source)
    install_npm_packages(folder, npm)
    modules = folder / "node_modules"
    locked = _locked(folder)
    pyodide_version = _read_json(modules / "pyodide" / "package.json")["version"]
    if locked.get("node_modules/pyodide", {}).get("version") != pyodide_version:
        raise BuildFailed(
            f"node_modules/pyodide is {pyodide_version}, but package-lock.json pins "
            f"{locked.get('node_modules/pyodide')}"
        )
    package_dir = Path(microgradnet.__file__).resolve().parent
    pyodide_dir = f"pyodide-{pyodide_version}/"
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.building-", dir=target.parent))
    try:
        files: dict[str, bytes] = {}
        for name in PYODIDE_FILES:
            files[pyodide_dir + name] = (modules / "pyodide" / name).read_bytes()
        files["python.zip"] = python_zip(package_dir, folder / "playground_runner.py")
        files["stepper.js"] = _stepper_asset("stepper.js")
        files["stepper.css"] = _stepper_asset("stepper.css")
        for name in SITE_FILES:
            files[name] = (folder / name).read_bytes()
        if any(needs_font(lang) for lang in LANGUAGES):
            files[FONT_FILE] = font_bytes(next(lang for lang in LANGUAGES if needs_font(lang)))
        files["NOTICE.txt"] = _notice(locked).encode("utf-8")
        snapshot_report: dict[str, Any] | None = None
        if snapshot:
            zip_path = staging / "python.zip"
            zip_path.write_bytes(files["python.zip"])
            snapshot_path = staging / "python.snapshot.gz"
            snapshot_report = _run_snapshot(folder, zip_path, snapshot_path, node)
            files["python.snapshot.gz"] = snapshot_path.read_bytes()
        build = hashlib.sha256()
        for name in sorted(files):
            build.update(name.encode() + b"\0" + _sha(files[name]).encode())
        build_id = build.hexdigest()[:16]
        files["fonts.css"] = _fonts_css(build_id).encode("utf-8")
        config = {
            "build": build_id,
            "languages": LANGUAGES,
            "strings": playground_tables(),
            "worker": {
                "pyodide": pyodide_dir,
                "python": f"python.zip?v={build_id}",
                "python_dir": PYTHON_DIR,
                "snapshot": f"python.snapshot.gz?v={build_id}" if snapshot else None,
            },
        }
        page = page_html(
            (folder / "index.html").read_text(encoding="utf-8"),
            {"CONFIG": _json_in_html(config), "BUILD": build_id, "VERSION": microgradnet.__version__},
        )
        files["index.html"] = page.encode("utf-8")
        record = {
            "generator": GENERATOR,
            "build": build_id,
            "microgradnet": microgradnet.__version__,
            "pyodide": pyodide_version,
            "snapshot": snapshot_report,
            "inputs": inputs_fingerprint(folder, package_dir),
            "files": {
                name: {"bytes": len(data), "sha256": _sha(data)} for name, data in sorted(files.items())
            },
        }
        files["build.json"] = (json.dumps(record, indent=2, sort_keys=True) + "\n").encode("utf-8")
        for leftover in ("python.zip", "python.snapshot.gz"):
            (staging / leftover).unlink(missing_ok=True)
        for name, data in files.items():
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        _replace_folder(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return record


def _replace_folder(staging: Path, target: Path) -> None:
    """Put ``staging`` where ``target`` is (an earlier build is moved aside, then removed)."""
    staging.chmod(0o755)
    if not target.exists():
        staging.rename(target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    old.rmdir()
    target.rename(old)
    try:
        staging.rename(target)
    except BaseException:
        old.rename(target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _human(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def _summary(record: dict[str, Any], target: Path) -> Iterable[str]:
    size = sum(f["bytes"] for f in record["files"].values())
    yield (
        f"wrote {target} ({len(record['files'])} files, {_human(size)}: microgradnet "
        f"{record['microgradnet']}, Pyodide {record['pyodide']})"
    )
    yield f"try it:   python -m http.server -d {target} 8000   then open http://localhost:8000/"
    yield "deploy:   copy the folder to any static host (GitHub Pages, a school web server)"


def _run(args: argparse.Namespace) -> int:
    target = Path(args.output)
    try:
        record = build_site(target, source=args.source, snapshot=not args.no_snapshot)
    except BuildFailed as exc:
        print(f"microgradnet: {exc}", file=sys.stderr)
        return 1
    for line in _summary(record, target.absolute()):
        print(line, file=sys.stderr)
    return 0


def register(sub: Any) -> None:
    """Add the ``playground`` subcommand."""
    p = sub.add_parser(
        "playground",
        help="build the browser playground (a folder for any static web host)",
        description="Build the zero-install playground: a folder holding a page where students type a "
        "formula or micrograd-style Python and step through its backward pass, with Python (Pyodide) "
        "running in the browser. Needs a source checkout and npm; copy the folder to any "
        "static host.",
    )
    p.add_argument("-o", "--output", metavar="DIR", required=True, help="the folder to write the site to")
    p.add_argument(
        "--source",
        metavar="FOLDER",
        default=None,
        help="the playground's source folder (default: playground/ in this checkout)",
    )
    p.add_argument(
        "--no-snapshot",
        action="store_true",
        help="skip the memory snapshot (the page then takes seconds longer to start Python)",
    )
    p.set_defaults(func=_run)
