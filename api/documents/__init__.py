"""Official documents as PDF, printed from the record: the facts each kind reads (`record`), the
words on the page (`view`), the Typst templates and the verification code (`pdf`), and what
every surface calls — who may print, printing, and checking a printed file (`service`)."""
