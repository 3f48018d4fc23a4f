"""The administrators' web dashboard: server-rendered pages under /dashboard (Vietnamese, or English).

from sync_server.dashboard import install
install(app)
"""

from __future__ import annotations

from .routes import install

__all__ = ["install"]
