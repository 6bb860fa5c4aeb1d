package hr

import (
	"encoding/json"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		ok   bool
		want Date
	}{
		{"2025-03-01", true, Date{2025, time.March, 1}},
		{"2024-02-29", true, Date{2024, time.February, 29}},
		{"2025-02-29", false, Date{}},
		{"2025-13-01", false, Date{}},
		{"2025-3-1", false, Date{}},
		{"01-03-2025", false, Date{}},
		{"2025-03-01T00:00:00Z", false, Date{}},
		{"", false, Date{}},
	}
	for _, tc := range tests {
		got, err := ParseDate(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseDate(%q) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestDateJSONAndIn(t *testing.T) {
	var c Contract
	if err := json.Unmarshal([]byte(`{"id":"1","start":"2025-03-01","end":null}`), &c); err != nil {
		t.Fatal(err)
	}
	if c.End != nil || c.Start.String() != "2025-03-01" {
		t.Fatalf("decoded %+v", c)
	}
	if err := json.Unmarshal([]byte(`{"id":"1","start":"2025-02-30"}`), &c); err == nil {
		t.Fatal("impossible day accepted")
	}
	b, _ := json.Marshal(Contract{ID: "x", Start: d("2025-01-02")})
	if want := `"start":"2025-01-02","end":null`; !contains(string(b), want) {
		t.Errorf("marshal = %s, want it to contain %s", b, want)
	}
	ams, _ := time.LoadLocation("Europe/Amsterdam")
	got := d("2025-03-30").In(ams) // the DST switch day still starts at 00:00 CET
	if got.Format(time.RFC3339) != "2025-03-30T00:00:00+01:00" {
		t.Errorf("In = %s", got.Format(time.RFC3339))
	}
	if n := d("2025-03-29").DaysUntil(d("2025-04-01")); n != 3 {
		t.Errorf("DaysUntil across DST = %d, want 3", n)
	}
}

func contains(s, sub string) bool {
	return len(sub) == 0 || (len(s) >= len(sub) && (s[:len(sub)] == sub || contains(s[1:], sub)))
}
