"""Insight intelligence: embed and index field text, match insights to listening priorities, link
near-duplicates, cluster the unmatched, count trends and search. Derived data only; reviewers' decisions go
through `actions.py`.

The Django-free algorithms live in `liaison_text` (embed, search, cluster, duplicates, priority_matching,
trends); the modules here feed them from the database and write what they return: `embeddings`,
`priority_matching`, `duplicates`, `clusters`, `trends`, `index` (the vector index cache), `reindex` (the
indexing jobs) and `search`.
"""
