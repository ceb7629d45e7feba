"""Value types that need more than a builtin (lists, sorted sets, streams ...). Each class
registers its TYPE name with pyredis.db.register_type and answers OBJECT ENCODING through an
`encoding(config)` method, following Redis's size thresholds."""
