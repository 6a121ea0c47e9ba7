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

# the whole test suite (starts its own throwaway PostgreSQL), in a process per core (at most 4)
test *args:
    pytest --numprocesses=auto --maxprocesses=4 {{args}}

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

# the functions `just mutate` mutates: mutmut's names for them, `module.x_function__mutmut_*` or
# `module.x?Class?method__mutmut_*` (fnmatch patterns; the ? stands for mutmut's separator ǁ)
vault := "ios_backup_api.adapters.vault."
mutated := vault + "cbc.* " \
    + vault + "in_place.* " \
    + vault + "manifest_buffer.x?ManifestBuffer?_plaintext__mutmut_* " \
    + vault + "manifest_buffer.x?ManifestBuffer?open_database__mutmut_* " \
    + vault + "manifest_buffer.x?ManifestBuffer?_take_ram_connection__mutmut_* " \
    + vault + "manifest_buffer.x?ManifestBuffer?_wipe__mutmut_* " \
    + vault + "manifest_buffer.x__check_header__mutmut_* " \
    + vault + "payload.x__encrypted_length__mutmut_* " \
    + vault + "payload.x__spans__mutmut_* " \
    + vault + "payload.x_check_range__mutmut_* " \
    + vault + "payload.x?EncryptedContent?* " \
    + vault + "payload.x?_SpanDecrypter?plaintext__mutmut_*"

# mutation testing of the vault's decryption, padding and length code on a fast part of the suite (a few
# minutes), then the surviving mutants' diffs; `just mutate NAME...` runs only those mutants. mutmut names a
# module after its path, so it runs in .mutmut/, where ios_backup_api links to src ([tool.mutmut] in pyproject)
mutate *names:
    rm -rf .mutmut && mkdir .mutmut
    ln -s ../src .mutmut/ios_backup_api
    ln -s ../tests .mutmut/tests
    ln -s ../pyproject.toml .mutmut/pyproject.toml
    cd .mutmut && set -f && mutmut run {{ if names == "" { mutated } else { names } }}
    cd .mutmut && for name in $(mutmut results | sed -n 's/^ *\(.*\): \(survived\|timeout\|suspicious\|segfault\)$/\1/p'); do mutmut show "$name"; done
