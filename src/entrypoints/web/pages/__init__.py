"""The controllers of the pages under /ui."""
