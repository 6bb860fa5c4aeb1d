package policy

import (
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
