"""Finding a user's input files: the files of some kinds under a folder, or a mix of files and folders.

Used by the CLI tasks that take `predict FILE_OR_FOLDER...` (fundus photographs, Aramaic letter
crops) and by `core.data.audio.find_audio`. A missing file given by name is kept: the reader that
opens it raises the error naming it.
"""

import pathlib

__all__ = ["expand_paths", "find_files"]


def find_files(folder, suffixes, what="files"):
    """Every file under `folder` (recursively) whose name ends with one of `suffixes`, sorted.

    Args:
        folder: str or Path.
        suffixes: tuple of str, e.g. `(".png", ".jpg")`; compared case-insensitively.
        what: str. What the files are, for the error messages (e.g. `"images"`).

    Raises:
        FileNotFoundError: `folder` is not a folder.
        ValueError: it holds no such file.

    Example:
    ```python
    import tempfile
    folder = pathlib.Path(tempfile.mkdtemp())
    (folder / "b.PNG").touch(); (folder / "a.png").touch(); (folder / "notes.txt").touch()
    [p.name for p in find_files(folder, (".png",), "images")]   # ['a.png', 'b.PNG']
    ```
    """
    folder = pathlib.Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder of {what}")
    suffixes = tuple(suffix.lower() for suffix in suffixes)
    files = sorted(p for p in folder.rglob("*") if p.name.lower().endswith(suffixes) and p.is_file())
    if not files:
        raise ValueError(f"{folder}: no {what} in this folder (expected {', '.join(suffixes)} files)")
    return files


def expand_paths(inputs, suffixes, what="files"):
    """Files and folders → one list of files: each folder becomes its `find_files`, in order.

    Args:
        inputs: iterable of str or Path.
        suffixes, what: as `find_files`, for the folders.

    Example:
    ```python
    expand_paths(["photo.jpg"], (".jpg",), "images")   # [PosixPath('photo.jpg')]: files are kept as given
    ```
    """
    paths = []
    for item in map(pathlib.Path, inputs):
        paths.extend(find_files(item, suffixes, what) if item.is_dir() else [item])
    return paths
