# Thin aliases: every command is in dev.py, which needs nothing but Python.
PYTHON ?= python3

.PHONY: book test pdf serve env clean lint
book:
	$(PYTHON) dev.py book
pdf:
	$(PYTHON) dev.py pdf
test:
	$(PYTHON) dev.py test
serve:
	$(PYTHON) dev.py serve
env:
	$(PYTHON) dev.py env
lint: env
	.venv/bin/ruff check .
clean:
	$(PYTHON) dev.py clean
