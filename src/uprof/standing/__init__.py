"""A profile's standing, which every profile read shows and the operator's side changes: program standing
(programs.py), enforcement actions and the status they give (enforcement.py), their tables and reads."""
