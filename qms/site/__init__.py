"""The read-only auditor site: a Flask application over one workspace, and the pages it shares with the evidence bundle.

``create_app(app)`` (``qms.site.app``) builds the server; ``qms.site.views`` builds every page's
template context from the core services; ``qms.site.index`` keeps the in-memory record index that
keeps registers and search fast; ``qms.bundle`` renders the same pages into a static, verifiable zip.
"""
