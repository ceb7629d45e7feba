"""Value types that need more than a builtin (lists, sorted sets, streams ...). Each class
registers its TYPE name with pyredis.db.register_type, answers OBJECT ENCODING through an
`encoding(config)` method, following Redis's size thresholds, and COPY through a `copy()`
method returning an independent duplicate (nothing mutable shared with the original)."""
