"""The administrators' web dashboard: server-rendered pages under /dashboard (Vietnamese, or English).

from sync_server.dashboard import install
install(app, settings, engine)
"""

from __future__ import annotations

from .routes import install

__all__ = ["install"]
