"""The outline as a structured corpus: read source files, repair PDF extraction, parse, chunk."""
