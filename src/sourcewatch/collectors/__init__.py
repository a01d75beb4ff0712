"""Collectors: what turns a source's pages and API answers into captures and items.

``base`` is the seam every source kind implements, ``registry`` names the kinds and
import formats, ``options`` types a source's ``options`` table, ``webfetch`` and
``attachments`` are the fetching glue they share, ``formats`` the import parsers,
``reread`` the shared re-read of stored news and WordPress items, ``cpupool`` where
fetched bytes are parsed. One subpackage per platform: ``news``, ``wordpress``,
``telegram``, ``x``. Collectors never write to the database: ``ingest`` does.
"""
