"""Full-text search over every item revision (issue 22).

The query language is the watchlist rules' (see :mod:`sourcewatch.matching.query`),
with bare words as keywords and ``@id`` for a watchlist entity; text is normalized
exactly as the matcher normalizes it. A word index (FTS5 on SQLite, a GIN-indexed
tsvector on PostgreSQL) finds candidates; the matcher's own evaluator decides, so both
backends return the same hits.
"""
