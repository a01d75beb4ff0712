"""Evidence: WARC records of every fetch, WACZ bundles, RFC 3161 timestamps, offline verify.

Modules: ``warc`` (rolling WARC files + index, the ingest seam), ``bundle`` (build a
WACZ for items), ``verify`` (check a WACZ without a database), ``tsa`` (timestamps).
Nothing here submits anything to a public archive: see ``bundle`` and the README.
"""
