package store

// dialectOf tells which dialect a connection, transaction or DB speaks,
// for the functions that are given only a querier (a *sqlx.Tx, a
// *sqlx.Conn): sqlx knows each by the name of the driver it came from.
func dialectOf(q any) dialect {
	if n, ok := q.(interface{ DriverName() string }); ok && n.DriverName() == postgresDriverName {
		return postgresDialect
	}
	return sqliteDialect
}

// jsonTime renders a unix-milliseconds value (a column, or a parameter
// such as ?2) as RFC 3339 in UTC with milliseconds
// (2026-11-23T15:01:02.345Z), NULL for NULL. Integer arithmetic keeps the
// milliseconds exact in both dialects.
func (x dialect) jsonTime(col string) string {
	if x == postgresDialect {
		v := `CAST(` + col + ` AS BIGINT)`
		return `CASE WHEN ` + v + ` IS NULL THEN NULL ELSE to_char(to_timestamp(` + v + ` / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')` +
			` || '.' || lpad((` + v + ` % 1000)::text, 3, '0') || 'Z' END`
	}
	return `CASE WHEN ` + col + ` IS NULL THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%S', ` + col + ` / 1000, 'unixepoch') || printf('.%03dZ', ` + col + ` % 1000) END`
}

// jsonText is the text of the top-level field key of the JSON object
// stored (as text) in col, NULL when it has none.
func (x dialect) jsonText(col, key string) string {
	return x.pick(`json_extract(`+col+`, '$.`+key+`')`, `(`+col+`::json ->> '`+key+`')`)
}
