"""Front-end libraries come from npm, copied by `make vendor` (frontend/vendor.py)
into hub/static/vendor with their version and licence: no CDN, and nothing
there that nobody can trace to a package and a licence."""

from __future__ import annotations

import json

import pytest

from frontend.vendor import LISTING, OUT, VendorError, unlisted, vendor


def test_every_vendored_file_is_listed_with_its_package_and_licence():
    assert (OUT / LISTING).is_file(), "run `make vendor`: it writes the listing even when nothing is vendored"
    assert unlisted(OUT) == []


def _package(node_modules, name, version="1.2.3", licence="MIT", files=("dist/lib.min.js",)):
    root = node_modules / name
    (root / "dist").mkdir(parents=True)
    (root / "package.json").write_text(json.dumps({"name": name, "version": version, "license": licence}))
    (root / "LICENSE").write_text("MIT License\n")
    (root / "dist" / "unused.js").write_text("/* not taken */\n")
    for f in files:
        (root / f).write_text("/* code */\n")
    return root


def test_vendor_copies_the_named_files_and_the_licence_and_lists_them(tmp_path):
    node_modules, out = tmp_path / "node_modules", tmp_path / "vendor"
    _package(node_modules, "@scope/tiny")
    (out / "old-0.1").mkdir(parents=True)
    (out / "old-0.1" / "stale.js").write_text("gone after a run")

    [done] = vendor(node_modules, {"@scope/tiny": ["dist/lib.min.js"]}, out)

    assert done.folder == "scope-tiny-1.2.3" and done.licence == "MIT"
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "VENDORED.md",
        "scope-tiny-1.2.3/LICENSE",
        "scope-tiny-1.2.3/dist/lib.min.js",
    ]
    listing = (out / LISTING).read_text()
    row = "| scope-tiny-1.2.3 | @scope/tiny | 1.2.3 | MIT | npm `@scope/tiny@1.2.3` | LICENSE, dist/lib.min.js |"
    assert row in listing.splitlines()
    assert unlisted(out) == []

    (out / "scope-tiny-1.2.3" / "dist" / "extra.js").write_text("copied by hand")
    (out / "scope-tiny-1.2.3" / "LICENSE").unlink()
    assert unlisted(out) == [
        "not listed in VENDORED.md: scope-tiny-1.2.3/dist/extra.js",
        "listed in VENDORED.md but missing: scope-tiny-1.2.3/LICENSE",
    ]


@pytest.mark.parametrize(
    ("licence", "files", "expected"),
    [
        ("", ["dist/lib.min.js"], "names no licence"),
        ("MIT", ["dist/nope.js"], "no such files"),
    ],
)
def test_vendor_refuses_and_keeps_the_old_copies(tmp_path, licence, files, expected):
    node_modules, out = tmp_path / "node_modules", tmp_path / "vendor"
    _package(node_modules, "tiny", licence=licence)
    out.mkdir()
    (out / LISTING).write_text("kept")
    with pytest.raises(VendorError, match=expected):
        vendor(node_modules, {"tiny": files}, out)
    assert (out / LISTING).read_text() == "kept"


def test_a_package_not_installed_is_named(tmp_path):
    with pytest.raises(VendorError, match="absent is not installed"):
        vendor(tmp_path, {"absent": ["x.js"]}, tmp_path / "vendor")
