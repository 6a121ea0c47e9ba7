# Day-to-day recipes. `python3 -m venv .venv && .venv/bin/pip install -e '.[dev]'` gives you `.venv/bin/just`.
set shell := ["bash", "-euo", "pipefail", "-c"]
export PATH := justfile_directory() + "/.venv/bin:" + env_var("PATH")

default:
    @just --list

# create .venv and install the project with its development tools
setup:
    test -x .venv/bin/python || python3 -m venv .venv
    .venv/bin/pip install --quiet --upgrade pip
    .venv/bin/pip install --quiet -e '.[dev]'

# serve the API on the settings from IOS_BACKUP_* and .env (SQLite catalog by default)
serve:
    ios-backup-api serve

# write two sample backups into DIR and serve them
demo dir="demo-backups":
    ios-backup-api demo {{dir}}

# print the backups found under the base path
scan:
    ios-backup-api scan

# apply the catalog database's migrations
migrate:
    ios-backup-api db upgrade

# the whole test suite (starts its own throwaway PostgreSQL)
test *args:
    pytest {{args}}

# ruff, mypy (strict) and the import-linter contracts
lint:
    ruff check src tests bench
    ruff format --check src tests bench
    mypy
    lint-imports

# format and autofix
fmt:
    ruff format src tests bench
    ruff check --fix src tests bench

# the benchmarks (our figures beside the anchors'); see docs/PERFORMANCE.md
bench *args:
    python bench/run_all.py {{args}}
