"""/-/ofsted/about: the project's README, as installed with the package, so that the footer's "About"
link (metadata.yml's about_url) opens something real wherever the plugin is installed, offline too."""

from __future__ import annotations

import functools
from importlib.metadata import PackageNotFoundError, metadata
from typing import TYPE_CHECKING

from datasette.utils.asgi import Response

from ..permissions import ensure_can_view_instance
from .common import _render, ofsted_trail

if TYPE_CHECKING:
    from datasette.app import Datasette
    from datasette.utils.asgi import Request


NO_README = "datasette-ofsted: its README is not installed with it here."


@functools.cache
def readme() -> str:
    """The README, which pyproject.toml makes the package's long description (in the wheel and the sdist)."""
    try:
        return metadata("datasette-ofsted").get_payload() or NO_README  # type: ignore[attr-defined]
    except PackageNotFoundError:
        return NO_README


async def about(datasette: Datasette, request: Request) -> Response:
    await ensure_can_view_instance(datasette, request)
    if request.url_vars.get("format") == ".json":
        return Response.json({"name": "datasette-ofsted", "readme": readme()})
    return await _render(
        datasette,
        request,
        "ofsted_about.html",
        {"readme": readme(), "json_url": datasette.urls.path("/-/ofsted/about.json")},
        trail=ofsted_trail(datasette),
    )
