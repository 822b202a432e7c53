"""core.data.files: the user's input files, from files and folders."""

import pathlib

import pytest

from core.data.files import expand_paths, find_files


def make(folder, *names):
    for name in names:
        path = pathlib.Path(folder) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")


def test_find_files_is_recursive_sorted_and_case_insensitive(tmp_path):
    make(tmp_path, "b.PNG", "a.png", "sub/c.jpg", "notes.txt", "sub/d.png.txt")
    (tmp_path / "folder.png").mkdir()  # a folder with an image's name is not a file
    found = find_files(tmp_path, (".png", ".JPG"), "images")
    assert [p.relative_to(tmp_path).as_posix() for p in found] == ["a.png", "b.PNG", "sub/c.jpg"]


def test_find_files_errors_name_the_folder(tmp_path):
    make(tmp_path, "empty/readme.txt")
    with pytest.raises(ValueError, match=r"empty: no images in this folder \(expected \.png files\)"):
        find_files(tmp_path / "empty", (".png",), "images")
    with pytest.raises(FileNotFoundError, match=r"missing: no such folder of images"):
        find_files(tmp_path / "missing", (".png",), "images")


def test_expand_paths_keeps_files_as_given_and_folders_in_place(tmp_path):
    make(tmp_path, "set/2.png", "set/1.png")
    inputs = [tmp_path / "z.png", tmp_path / "set", "not_there.png"]
    assert expand_paths(inputs, (".png",), "images") == [
        tmp_path / "z.png", tmp_path / "set" / "1.png", tmp_path / "set" / "2.png", pathlib.Path("not_there.png")]
