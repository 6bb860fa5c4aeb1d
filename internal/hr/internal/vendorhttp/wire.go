package vendorhttp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/entralifecycle/engine/internal/hr"
)

// Text is a JSON value read as text: a string, a number (as written) or a
// boolean; null is empty. Objects and arrays are an error. Vendors are not
// consistent about quoting codes and numbers.
type Text string

// UnmarshalJSON implements json.Unmarshaler.
func (t *Text) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*t = ""
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = Text(strings.TrimSpace(s))
	case b[0] == '{' || b[0] == '[':
		return fmt.Errorf("want text, got %s", kind(b[0]))
	default:
		*t = Text(b)
	}
	return nil
}

// String returns the text.
func (t Text) String() string { return string(t) }

func kind(c byte) string {
	if c == '{' {
		return "an object"
	}
	return "an array"
}

// Number parses t as a decimal (a decimal comma is accepted); empty is 0.
func (t Text) Number() (float64, error) {
	if t == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(strings.Replace(string(t), ",", ".", 1), 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", string(t))
	}
	return f, nil
}

// Day reads a vendor date: "YYYY-MM-DD", optionally followed by a time
// ("T…") or a zone offset ("Z", "-08:00", "+01:00"); the calendar day as
// written is kept. Empty gives the zero Date.
func Day(s string) (hr.Date, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return hr.Date{}, nil
	}
	if len(s) > 10 {
		rest := s[10:]
		if !(rest[0] == 'T' || rest[0] == ' ' || rest[0] == 'Z' || rest[0] == '+' || rest[0] == '-') {
			return hr.Date{}, fmt.Errorf("invalid date %q", s)
		}
		s = s[:10]
	}
	return hr.ParseDate(s)
}

// EndDay is Day for an end date: empty, or a far-future sentinel such as
// 9999-12-31, means open-ended (nil).
func EndDay(s string) (*hr.Date, error) {
	d, err := Day(s)
	if err != nil || d.IsZero() || d.Year >= 9999 {
		return nil, err
	}
	return &d, nil
}

// DecodeRows splits a JSON array into its elements; null gives none.
func DecodeRows(b json.RawMessage) ([]json.RawMessage, error) {
	if len(bytes.TrimSpace(b)) == 0 || string(bytes.TrimSpace(b)) == "null" {
		return nil, nil
	}
	var rows []json.RawMessage
	if err := json.Unmarshal(b, &rows); err != nil {
		return nil, fmt.Errorf("want an array of records: %w", err)
	}
	return rows, nil
}

// Field pulls one text field out of a raw record, for naming a record that
// failed to decode.
func Field(raw json.RawMessage, name string) string {
	var m map[string]Text
	if json.Unmarshal(raw, &m) == nil {
		return string(m[name])
	}
	var loose map[string]json.RawMessage
	if json.Unmarshal(raw, &loose) != nil {
		return ""
	}
	var t Text
	if json.Unmarshal(loose[name], &t) != nil {
		return ""
	}
	return string(t)
}
