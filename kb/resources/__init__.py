"""Data files shipped inside the package, read with `importlib.resources`:
`parallel_sentences.tsv`, generic English<TAB>Chinese sentence pairs (`#` comment lines) from which
kb/embed/language.py estimates the encoder's language direction."""
