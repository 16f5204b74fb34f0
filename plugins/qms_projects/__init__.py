"""The Project Lifecycle Management procedure (项目运作管理程序, QP-8.3-01) as a qms plugin.

Projects are created from project templates (YAML data files, ``project_templates/``; a workspace may
add its own in ``project-templates/``): ordered stages, each closed by a gate with deliverables, required
signatures, a time limit and the post that leads the project in that stage. The seven forms
QR-8.3-01 … QR-8.3-07 hold the register entry, gate reviews, quality acceptances, rectification
orders, accident reports, change requests and the close-out. The hook implementations are in
``hooks``; the rules in plain modules named after their noun; the PDF layouts in Jinja2 templates
under ``templates/``.
"""

__version__ = "0.1.0"
