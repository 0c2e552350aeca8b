"""Training the project's own models (recipes, data preparation, loop, packaging, model card). Run by hand."""
