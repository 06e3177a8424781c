"""`make vendor`: copy the front-end libraries the service's pages use from
npm packages into hub/static/vendor/<name>-<version>/, each with its licence
file, and list them in hub/static/vendor/VENDORED.md.

The copies are committed, so that `make run` needs Python only and no page
loads anything from a CDN. frontend/package.json (with its lock) pins the
versions; frontend/vendor.json names the files taken from each package.
tests/hub/test_vendored.py checks that every file under the folder is listed
with its package, version and licence."""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NODE_MODULES = ROOT / "frontend" / "node_modules"
MANIFEST = ROOT / "frontend" / "vendor.json"
OUT = ROOT / "hub" / "static" / "vendor"
LISTING = "VENDORED.md"
LICENCE_NAMES = ("LICENSE", "LICENSE.md", "LICENSE.txt", "LICENCE", "LICENCE.md", "license", "license.md")
HEADER = (
    "# Vendored front-end libraries\n\n"
    "Written by `make vendor` (frontend/vendor.py) from frontend/package.json and frontend/vendor.json; "
    "do not edit by hand.\n\n"
    "| folder | package | version | licence | source | files |\n"
    "| --- | --- | --- | --- | --- | --- |\n"
)


class VendorError(Exception):
    pass


@dataclass(frozen=True)
class Vendored:
    folder: str
    package: str
    version: str
    licence: str
    files: tuple[str, ...]  # relative to the folder, the licence file first

    def row(self) -> str:
        cells = (self.folder, self.package, self.version, self.licence, f"npm `{self.package}@{self.version}`")
        return f"| {' | '.join(cells)} | {', '.join(self.files)} |"


def folder_name(package: str, version: str) -> str:
    # "@scope/name" becomes "scope-name": one folder level per package.
    return f"{package.lstrip('@').replace('/', '-')}-{version}"


def _licence_file(package_dir: Path) -> Path:
    for name in LICENCE_NAMES:
        if (package_dir / name).is_file():
            return package_dir / name
    raise VendorError(f"{package_dir.name}: no licence file ({', '.join(LICENCE_NAMES)}); not vendored")


def vendor(node_modules: Path, manifest: dict[str, list[str]], out: Path) -> list[Vendored]:
    """Replace `out` by the manifest's files, copied from `node_modules`; write the listing."""
    vendored = []
    for package, files in sorted(manifest.items()):
        package_dir = node_modules / package
        meta_path = package_dir / "package.json"
        if not meta_path.is_file():
            raise VendorError(f"{package} is not installed in {node_modules}: add it to frontend/package.json")
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        licence = meta.get("license")
        if not isinstance(licence, str) or not licence:
            raise VendorError(f"{package}: package.json names no licence; not vendored")
        missing = [f for f in files if not (package_dir / f).is_file()]
        if missing:
            raise VendorError(f"{package}@{meta['version']}: no such files {missing}")
        licence_file = _licence_file(package_dir)
        vendored.append(
            Vendored(
                folder_name(package, meta["version"]),
                package,
                meta["version"],
                licence,
                (licence_file.name, *files),
            )
        )
    # Only after every package checked out: a failed run leaves the old copies.
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for item in vendored:
        for name in item.files:
            target = out / item.folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(node_modules / item.package / name, target)
    (out / LISTING).write_text(HEADER + "".join(v.row() + "\n" for v in vendored), encoding="utf-8")
    return vendored


def unlisted(out: Path) -> list[str]:
    """What is wrong with the vendored folder: files not listed in VENDORED.md
    (or listed without a licence), and listed files that are not there."""
    listing = out / LISTING
    if not out.exists():
        return []
    if not listing.is_file():
        return [f"{out} has no {LISTING}"]
    listed: set[str] = set()
    problems = []
    rows = [line for line in listing.read_text(encoding="utf-8").splitlines() if line.startswith("|")]
    for line in rows[2:]:  # past the table's head and its rule
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 6:
            problems.append(f"{LISTING}: not a row of six cells: {line!r}")
            continue
        folder, _, version, licence, _, files = cells
        if not licence or not version:
            problems.append(f"{LISTING}: {folder} has no licence or version")
        names = [f.strip() for f in files.split(",")]
        if not names or Path(names[0]).name.upper().split(".")[0] not in ("LICENSE", "LICENCE"):
            problems.append(f"{LISTING}: {folder} does not list its licence file first")
        listed.update(f"{folder}/{name}" for name in names)
    present = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} - {LISTING}
    problems += [f"not listed in {LISTING}: {p}" for p in sorted(present - listed)]
    problems += [f"listed in {LISTING} but missing: {p}" for p in sorted(listed - present)]
    return problems


def main() -> int:
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    try:
        vendored = vendor(NODE_MODULES, manifest, OUT)
    except VendorError as error:
        print(f"make vendor: {error}", file=sys.stderr)
        return 1
    for item in vendored:
        print(f"vendored {item.package}@{item.version} ({item.licence}) into {OUT.relative_to(ROOT)}/{item.folder}")
    if not vendored:
        print(f"nothing to vendor (frontend/vendor.json is empty); {OUT.relative_to(ROOT)}/{LISTING} written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
