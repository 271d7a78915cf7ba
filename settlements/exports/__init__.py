"""Exports of the coordinators' tables: the formats (formats.py), streamed straight to the browser,
and the large spreadsheets built in the background (ExportJob) for the person who asked."""
