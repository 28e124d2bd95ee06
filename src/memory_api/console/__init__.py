"""The web console (``/ui``) and the offline API docs (``/docs``, ``/redoc``).

Everything the browser loads ships in this package (``static/``): no CDN, no Node.js at install.
"""

from memory_api.console.routes import router

__all__ = ["router"]
