"""Build machinery of the site: the snippet runner, its cache, the plotting style, the MkDocs hook."""
