"""Html (docs/media-refs.md, html-file): the stored file, the injected stylesheet, untouched HTML, bad inputs."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from runyard.types.base import MediaStore
from runyard.types.html import DEFAULT_STYLE, Html


def stored(tmp_path: Path, html: Html) -> tuple[dict[str, Any], str]:
    ref = html.to_ref(MediaStore(tmp_path))
    path = tmp_path / ref["path"]
    assert ref["_type"] == "html-file" and ref["path"] == f"media/html/{ref['sha256']}.html"
    assert path.stat().st_size == ref["size"]
    return ref, path.read_text("utf-8")


def test_string_gets_the_stylesheet_prepended(tmp_path: Path) -> None:
    _, text = stored(tmp_path, Html('<a href="https://mysite">Link</a>'))
    assert text == DEFAULT_STYLE + '<a href="https://mysite">Link</a>'
    assert "<style" in DEFAULT_STYLE and "http" not in DEFAULT_STYLE  # inline: works offline


def test_stylesheet_goes_into_head(tmp_path: Path) -> None:
    page = '<!doctype html><html><HEAD lang="en"><title>t</title></HEAD><body>x</body></html>'
    _, text = stored(tmp_path, Html(page))
    assert text == page.replace('<HEAD lang="en">', '<HEAD lang="en">' + DEFAULT_STYLE)


def test_header_element_is_not_head(tmp_path: Path) -> None:
    _, text = stored(tmp_path, Html("<header>h</header>"))
    assert text.startswith(DEFAULT_STYLE)


def test_inject_false_keeps_the_html_untouched(tmp_path: Path) -> None:
    page = "<html><head></head><body>é</body></html>"
    _, text = stored(tmp_path, Html(page, inject=False))
    assert text == page


def test_text_and_binary_open_files(tmp_path: Path) -> None:
    src = tmp_path / "some.html"
    src.write_text("<p>ünïcode</p>", "utf-8")
    with open(src, encoding="utf-8") as f:
        _, text = stored(tmp_path / "a", Html(f, inject=False))
    assert text == "<p>ünïcode</p>"
    with open(src, "rb") as f:
        _, text = stored(tmp_path / "b", Html(f))
    assert text == DEFAULT_STYLE + "<p>ünïcode</p>"


def test_paths_are_read(tmp_path: Path) -> None:
    src = tmp_path / "page.html"
    src.write_text("<i>x</i>")
    assert Html(src).html == "<i>x</i>"
    assert Html(str(src)).html == "<i>x</i>"
    assert Html("page.html").html == "page.html"  # not a file here: it is HTML text


def test_same_html_stored_once(tmp_path: Path) -> None:
    store = MediaStore(tmp_path)
    assert Html("<b>x</b>").to_ref(store) == Html("<b>x</b>").to_ref(store)
    assert len(list((tmp_path / "media" / "html").iterdir())) == 1


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ((42,), TypeError, "cannot make HTML from builtins.int"),
        (("<b/>", "yes"), TypeError, "inject must be True or False"),
        ((io.BytesIO(b"\xff\xfe\x00bad"),), ValueError, "not UTF-8 text"),
        ((Path("/no/such/page.html"),), FileNotFoundError, "no such HTML file.*/no/such/page.html"),
    ],
)
def test_bad_html_inputs(args: tuple[Any, ...], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        Html(*args)
