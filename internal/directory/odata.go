package directory

import "strings"

// EscapeODataString returns s as the inside of an OData string literal: every
// single quote is doubled, so the value cannot end the literal and change the
// query (OData ABNF, "SQUOTE-in-string = SQUOTE SQUOTE";
// https://docs.oasis-open.org/odata/odata/v4.01/odata-v4.01-part2-url-conventions.html
// section 4.1, and https://learn.microsoft.com/graph/query-parameters#escaping-single-quotes).
// Percent-encoding of the whole query is left to the SDK's URI template.
func EscapeODataString(s string) string {
	return strings.ReplaceAll(s, "'", "''")
}

// odataLiteral returns s as a complete OData string literal, quotes included.
func odataLiteral(s string) string {
	return "'" + EscapeODataString(s) + "'"
}

// eqFilter returns the $filter expression "property eq 'value'".
func eqFilter(property, value string) string {
	return property + " eq " + odataLiteral(value)
}
