"""A model published only inside a Python package (deepbet 1.0.2's real wheel): pip fetches the wheel by name and
version from a local source (a folder, or a server on 127.0.0.1), the wheel and each member are verified, only the
named members are unpacked, and whatever fails leaves nothing behind."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from range_http_server import serve_folder

from MedImgAILib.errors import CancelledError, InputError
from MedImgAILib.models import load_catalog, read_declaration
from MedImgAILib.models.catalog import PackageMember, PythonPackageSource
from MedImgAILib.models.model_resolver import ensure_model_folder
from MedImgAILib.runtime import CancelToken

DEEPBET_ID = "brain-extraction-deepbet"


def the_deepbet_entry(**package_changes):
    entry = load_catalog()[DEEPBET_ID]
    return dataclasses.replace(entry, python_package=dataclasses.replace(entry.python_package, **package_changes))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def files_under(folder):
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file())


def test_a_packaged_model_is_fetched_verified_and_only_its_named_members_unpacked(the_deepbet_folder):
    entry = load_catalog()[DEEPBET_ID]
    assert entry.python_package.requirement == "deepbet==1.0.2"
    assert files_under(the_deepbet_folder) == ["configs/metadata.json", "data/models/bbox_model.pt",
                                               "data/models/model.pt", "deepbet-1.0.2.dist-info/LICENSE",
                                               "docs/README.md"]  # no deepbet/*.py, no icon, no pip log
    for member in entry.python_package.members:
        assert sha256((the_deepbet_folder / member.path).read_bytes()) == member.sha256
    assert "MIT License" in (the_deepbet_folder / "deepbet-1.0.2.dist-info" / "LICENSE").read_text()
    assert [path.name for path in the_deepbet_folder.parent.iterdir()] == [the_deepbet_folder.name]  # no staging


def test_a_packaged_model_already_in_the_cache_is_not_fetched_again(the_deepbet_folder, tmp_path):
    nowhere = tmp_path / "no-wheels-here"
    nowhere.mkdir()
    again = ensure_model_folder(load_catalog()[DEEPBET_ID], cache=the_deepbet_folder.parent, find_links=nowhere)
    assert again == the_deepbet_folder


def test_the_shipped_declaration_names_the_files_and_checksums_the_catalog_unpacks():
    entry = load_catalog()[DEEPBET_ID]
    declaration = read_declaration(DEEPBET_ID)  # shipped with MedImgAI: readable before any download
    members = {member.path: member.sha256 for member in entry.python_package.members}
    assert members[declaration.network.file] == declaration.network.sha256
    assert members[declaration.localizer.network.file] == declaration.localizer.network.sha256
    assert declaration.input_names == entry.inputs and tuple(l.name for l in declaration.labels) == entry.labels


def test_a_wheel_whose_checksum_differs_from_the_catalog_is_refused_and_nothing_is_kept(tmp_path,
                                                                                       the_deepbet_wheels):
    cache = tmp_path / "cache"
    with pytest.raises(InputError, match="deepbet-1.0.2-py3-none-any.whl: checksum mismatch: got 10252582 bytes "
                                         "with SHA-256 1999e2ea.*the download was discarded"):
        ensure_model_folder(the_deepbet_entry(wheel_sha256="0" * 64), cache=cache, find_links=the_deepbet_wheels)
    assert list(cache.iterdir()) == []


def test_a_member_whose_checksum_differs_from_the_catalog_is_refused_and_nothing_is_kept(tmp_path,
                                                                                        the_deepbet_wheels):
    members = load_catalog()[DEEPBET_ID].python_package.members
    tampered = (PackageMember(members[0].path, "f" * 64), *members[1:])
    cache = tmp_path / "cache"
    with pytest.raises(InputError, match="checksum mismatch: member 'data/models/model.pt' has SHA-256 de8ee7c6"):
        ensure_model_folder(the_deepbet_entry(members=tampered), cache=cache, find_links=the_deepbet_wheels)
    assert list(cache.iterdir()) == []


def write_wheel(folder, name, version, members: dict[str, bytes]):
    """A minimal but valid wheel (pip reads its metadata) holding extra members with any names."""
    dist_info = f"{name}-{version}.dist-info"
    files = {**members,
             f"{dist_info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
             f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    files[f"{dist_info}/RECORD"] = "".join(f"{path},,\n" for path in [*files, f"{dist_info}/RECORD"]).encode()
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return wheel


def test_a_wheel_member_whose_path_would_escape_the_model_folder_is_refused(tmp_path):
    payload = b"written outside the model folder"
    wheel = write_wheel(tmp_path / "wheels", "escaping", "1.0.0", {"../../escaped.pt": payload})
    escaping = PackageMember("../../escaped.pt", sha256(payload))
    entry = dataclasses.replace(load_catalog()[DEEPBET_ID], id="escaping", version="1.0.0",
                                python_package=PythonPackageSource("escaping", "1.0.0", sha256(wheel.read_bytes()),
                                                                   (escaping,)))
    cache = tmp_path / "deep" / "er" / "cache"
    with pytest.raises(InputError, match="refused: member '../../escaped.pt' would be written outside the model "
                                         "folder"):
        ensure_model_folder(entry, cache=cache, find_links=tmp_path / "wheels")
    assert not list(tmp_path.rglob("escaped.pt")) and list(cache.iterdir()) == []


@pytest.mark.parametrize("path", ["../evil.pt", "data/../../evil.pt", "/etc/evil.pt", "data/./model.pt", "C:/evil.pt"])
def test_a_catalog_naming_a_member_outside_the_wheels_tree_is_refused_when_read(tmp_path, path):
    document = {"models": [{
        "id": "escaping", "version": "1.0.0", "title": "t", "inputs": ["T1"], "labels": ["Brain"], "license": "MIT",
        "declaration": "Models/brain-extraction-deepbet",
        "python_package": {"name": "escaping", "version": "1.0.0", "wheel_sha256": "0" * 64,
                           "members": [{"path": path, "sha256": "0" * 64}]}}]}
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps(document))
    with pytest.raises(InputError, match="invalid catalog at models/0"):
        load_catalog(catalog)


def test_a_package_version_pip_cannot_find_is_a_clear_error(tmp_path, the_deepbet_wheels):
    with pytest.raises(InputError, match="deepbet==9.9.9: pip could not download the package's wheel: .*deepbet"):
        ensure_model_folder(the_deepbet_entry(version="9.9.9"), cache=tmp_path / "cache",
                            find_links=the_deepbet_wheels)
    assert list((tmp_path / "cache").iterdir()) == []


def test_a_cancelled_package_download_raises_and_leaves_nothing(tmp_path, the_deepbet_wheels):
    token = CancelToken()
    token.cancel()
    with pytest.raises(CancelledError):
        ensure_model_folder(load_catalog()[DEEPBET_ID], cache=tmp_path / "cache", cancel=token,
                            find_links=the_deepbet_wheels)
    assert list((tmp_path / "cache").iterdir()) == []


def test_the_wheel_comes_from_a_package_page_on_a_loopback_server_too(tmp_path, the_deepbet_wheels):
    served = tmp_path / "served"
    served.mkdir()
    shutil.copy(the_deepbet_wheels / "deepbet-1.0.2-py3-none-any.whl", served)
    (served / "index.html").write_text('<html><body><a href="deepbet-1.0.2-py3-none-any.whl">'
                                       "deepbet-1.0.2-py3-none-any.whl</a></body></html>")
    with serve_folder(served) as (base_url, requests):
        folder = ensure_model_folder(load_catalog()[DEEPBET_ID], cache=tmp_path / "cache",
                                     find_links=f"{base_url}/index.html")
    assert ("/deepbet-1.0.2-py3-none-any.whl", None) in requests
    assert (folder / "data" / "models" / "model.pt").is_file()


def test_medimgai_models_downloads_a_packaged_model_from_a_local_source_and_lists_it(tmp_path, the_deepbet_wheels):
    medimgai = Path(sys.executable).with_name("medimgai")
    environment = {**os.environ, "MEDIMGAI_CACHE": str(tmp_path / "cache")}
    listed = subprocess.run([str(medimgai), "models"], capture_output=True, text=True, env=environment, timeout=120)
    assert listed.returncode == 0 and "downloadable (pip: deepbet==1.0.2)" in listed.stdout
    fetched = subprocess.run([str(medimgai), "models", "--download", DEEPBET_ID, "--find-links",
                              str(the_deepbet_wheels)], capture_output=True, text=True, env=environment, timeout=300)
    assert fetched.returncode == 0, fetched.stderr
    assert f"{DEEPBET_ID} 1.0.2 ready in {tmp_path / 'cache' / 'brain-extraction-deepbet-1.0.2'}" in fetched.stdout
    listed = subprocess.run([str(medimgai), "models"], capture_output=True, text=True, env=environment, timeout=120)
    assert f"cached in {tmp_path / 'cache'}" in listed.stdout
