package directory

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// scanLiteral reads one OData string literal starting at s[0] == '\” the
// way an OData parser does (a doubled quote is a quote, a single one ends
// the literal) and returns its value and the number of bytes it spans.
func scanLiteral(s string) (value string, n int, ok bool) {
	if s == "" || s[0] != '\'' {
		return "", 0, false
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] != '\'' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '\'' {
			b.WriteByte('\'')
			i++
			continue
		}
		return b.String(), i + 1, true
	}
	return "", 0, false
}

func TestEscapeODataString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"1001", "1001"},
		{"", ""},
		{"O'Brien", "O''Brien"},
		{"'", "''"},
		{"''", "''''"},
		{"x' or employeeId ne '", "x'' or employeeId ne ''"},
		{"a&b=c#d%20", "a&b=c#d%20"},
	}
	for _, tt := range tests {
		if got := EscapeODataString(tt.in); got != tt.want {
			t.Errorf("EscapeODataString(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := eqFilter("employeeId", "O'Brien"); got != "employeeId eq 'O''Brien'" {
		t.Errorf("eqFilter = %q", got)
	}
}

// FuzzEscapeODataString checks that no employee id can leave its string
// literal: the escaped filter scans as exactly "employeeId eq <one literal>"
// whose value is the id itself.
func FuzzEscapeODataString(f *testing.F) {
	for _, s := range []string{"1001", "", "'", "O'Brien", "' or 1 eq 1 or '", "''", "x'') or (true", "é'ü", "\x00'\n", "%27", "a' and startswith(displayName,'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		filter := eqFilter("employeeId", id)
		const prefix = "employeeId eq "
		if !strings.HasPrefix(filter, prefix) {
			t.Fatalf("filter %q lost its prefix", filter)
		}
		value, n, ok := scanLiteral(filter[len(prefix):])
		if !ok {
			t.Fatalf("filter %q: literal not terminated", filter)
		}
		if n != len(filter)-len(prefix) {
			t.Fatalf("filter %q: literal ends at %d, text continues: %q", filter, n, filter[len(prefix)+n:])
		}
		if value != id {
			t.Fatalf("filter %q reads back %q, want %q", filter, value, id)
		}
		if utf8.ValidString(id) != utf8.ValidString(EscapeODataString(id)) {
			t.Fatalf("escaping changed UTF-8 validity of %q", id)
		}
	})
}
