"""An example procedure plugin: training and competence records (培训记录, ISO 9001 7.2).

Written from the README's "Writing a procedure plugin" and ``qms.api`` alone, as a company would
write a fifth procedure. One form (QR-7.2-01 培训记录, prefix PX), one workflow (planned → held →
evaluated, the evaluation signed by a quality officer), one due rule (the effectiveness evaluation
falls due 20 working days after the training) and one figure (trainings per department).
"""

__version__ = "0.1.0"
