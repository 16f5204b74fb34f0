"""The web workspace: filing and signing records, running document approval and everyone's to-do list in the browser.

It is a Flask blueprint that ``qms.site.app.create_app`` mounts under ``/work`` beside the auditor
site, with the same login, sessions and security headers. Every change goes through the same core
services as the CLI (``qms.records``, ``qms.documents``, ``qms.distribution``, ``qms.drafts``), acting
as the signed-in user, so the rules, the role checks and the audit log are the CLI's.
"""
