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

// maxTop is the largest page Graph serves for directory objects: $top above
// 999 is 400 Request_UnsupportedQuery
// (https://learn.microsoft.com/graph/paging, user-list "$top … 1 and 999").
const maxTop = 999

// advancedProperties are user properties whose $filter is an advanced query
// (https://learn.microsoft.com/graph/aad-advanced-queries: companyName and
// employeeType support eq only with ConsistencyLevel and $count).
var advancedProperties = []string{"companyname", "employeetype"}

// NeedsAdvancedQuery reports whether a $filter expression is an advanced
// query, which Graph serves only with the header ConsistencyLevel: eventual
// and $count=true (without them it is 400, or $count is silently ignored):
// ne, not, endsWith, a null comparison, or a property of advancedProperties
// (https://learn.microsoft.com/graph/aad-advanced-queries).
func NeedsAdvancedQuery(filter string) bool {
	f := strings.ToLower(filter)
	for _, marker := range []string{" ne ", "not(", "not ", "endswith(", " eq null", " ne null"} {
		if strings.Contains(f, marker) {
			return true
		}
	}
	for _, p := range advancedProperties {
		if strings.Contains(f, p+" ") || strings.Contains(f, p+"/") {
			return true
		}
	}
	return false
}
