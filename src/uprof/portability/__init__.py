"""Export and import of a whole database as JSON Lines (docs/reference/cli.md §6–7).

records.py   the record kinds, in file order, and how stored rows become records
validation.py   how a record is checked and turned back into rows
export.py    one consistent snapshot, streamed out
importer.py  one transaction into an empty database, every line checked
progress.py  the progress bar on stderr
"""
