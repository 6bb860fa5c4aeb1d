package vendorhttp

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

func TestDayAndEndDay(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		open    bool
		wantErr bool
	}{
		{"2025-03-01", "2025-03-01", false, false},
		{"2025-03-01T00:00:00Z", "2025-03-01", false, false},
		{"2024-01-15-08:00", "2024-01-15", false, false},
		{"2024-01-15+01:00", "2024-01-15", false, false},
		{"9999-12-31", "", true, false},
		{"", "", true, false},
		{"2025-03-01x", "", false, true},
		{"31-12-2025", "", false, true},
	}
	for _, tc := range tests {
		end, err := EndDay(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("EndDay(%q) err = %v", tc.in, err)
			continue
		}
		if tc.wantErr {
			continue
		}
		if tc.open != (end == nil) || (end != nil && end.String() != tc.want) {
			t.Errorf("EndDay(%q) = %v, want %q open=%v", tc.in, end, tc.want, tc.open)
		}
	}
}

func TestTextAndRetryAfter(t *testing.T) {
	var m map[string]Text
	if err := json.Unmarshal([]byte(`{"a":"x ","b":12,"c":null,"d":true}`), &m); err != nil || m["a"] != "x" || m["b"] != "12" || m["c"] != "" || m["d"] != "true" {
		t.Errorf("Text decode %v %v", m, err)
	}
	if err := json.Unmarshal([]byte(`{"a":{}}`), &m); err == nil {
		t.Error("object accepted as text")
	}
	if f, err := Text("0,8").Number(); err != nil || f != 0.8 {
		t.Errorf("Number = %v %v", f, err)
	}
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{"": 0, "7": 7 * time.Second, "soon": 0,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second} {
		if got := RetryAfter(in, now); got != want {
			t.Errorf("RetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}
