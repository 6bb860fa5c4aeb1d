package policy

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestGuardWindow(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"", 24 * time.Hour, ""},
		{"24h", 24 * time.Hour, ""},
		{"90m", 90 * time.Minute, ""},
		{"7d", 7 * 24 * time.Hour, ""},
		{"30s", 0, "between 1m and 90d"},
		{"100d", 0, "between 1m and 90d"},
		{"a day", 0, "want a duration"},
		{"xd", 0, "want a duration"},
	}
	for _, tc := range cases {
		got, err := Guard{Window: tc.in}.WindowDuration()
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: error %v, want %q", tc.in, err, tc.err)
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("%q = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestGuardWindowInPolicyFile(t *testing.T) {
	base := "tenant: {domain: contoso.example, usageLocation: NL}\nrules: [{name: all, groups: [\"All Staff\"]}]\n"
	p, err := Parse("policy.yaml", []byte(base+"guard: {maxDisablePercent: 10, window: 12h}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := p.Guard.WindowDuration(); d != 12*time.Hour || p.Guard.MaxDisablePercent != 10 {
		t.Errorf("guard %+v", p.Guard)
	}
	_, err = Parse("policy.yaml", []byte(base+"guard: {window: soon}\n"))
	if err == nil || !strings.Contains(err.Error(), "guard.window") {
		t.Errorf("a bad window: %v", err)
	}
}

// maxRemovalPercent: given in the file, defaulted when left out, and given
// its default when a JSON snapshot from before the key is decoded (an explicit
// 0 stays 0: hold every removal).
func TestGuardMaxRemovalPercent(t *testing.T) {
	base := "tenant: {domain: contoso.example, usageLocation: NL}\nrules: [{name: all, groups: [\"All Staff\"]}]\n"
	cases := []struct {
		name, doc string
		want      float64
	}{
		{"given", base + "guard: {maxRemovalPercent: 25}\n", 25},
		{"zero", base + "guard: {maxRemovalPercent: 0}\n", 0},
		{"left out of guard", base + "guard: {maxDisablePercent: 5}\n", DefaultMaxRemovalPercent},
		{"no guard", base, DefaultMaxRemovalPercent},
	}
	for _, tc := range cases {
		p, err := Parse("policy.yaml", []byte(tc.doc))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if p.Guard.MaxRemovalPercent != tc.want {
			t.Errorf("%s: maxRemovalPercent %v, want %v", tc.name, p.Guard.MaxRemovalPercent, tc.want)
		}
	}
	for _, tc := range []struct {
		json string
		want float64
	}{
		{`{"maxDisablePercent": 5, "maxDeletePercent": 2}`, DefaultMaxRemovalPercent},
		{`{"maxDisablePercent": 5, "maxRemovalPercent": 0}`, 0},
		{`{"maxRemovalPercent": 7.5}`, 7.5},
	} {
		var g Guard
		if err := json.Unmarshal([]byte(tc.json), &g); err != nil {
			t.Fatal(err)
		}
		if g.MaxRemovalPercent != tc.want {
			t.Errorf("%s: maxRemovalPercent %v, want %v", tc.json, g.MaxRemovalPercent, tc.want)
		}
	}
	if err := json.Unmarshal([]byte(`{"maxRemovalPercent": "x"}`), new(Guard)); err == nil {
		t.Error("a malformed guard decoded")
	}
}
