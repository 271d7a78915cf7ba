"""The situation report: an area's figures, map, needs, gaps, trends, changes and sources for a
period, as a printable page and a PDF (WeasyPrint), in the interface language."""
