package policy

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

// errorLine is how every reported problem must start: the file and a line.
var errorLine = regexp.MustCompile(`^policy\.yaml:[1-9][0-9]*: \S`)

// FuzzParsePolicy feeds arbitrary bytes to the policy loader: it must never
// panic, and every problem it reports names the file and a line (an operator
// fixes a policy by line number). Seeds are in testdata/fuzz/FuzzParsePolicy.
func FuzzParsePolicy(f *testing.F) {
	f.Add([]byte("tenant:\n  domain: contoso.example\nrules:\n  - name: all\n    groups: [\"All Staff\"]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("policy.yaml", data)
		if err == nil {
			if p == nil {
				t.Fatal("nil policy without error")
			}
			// A policy that loads validates again, and renders names for a plain person.
			if err := p.Validate(); err != nil {
				t.Fatalf("loaded policy fails its own validation: %v", err)
			}
			return
		}
		var pe *Error
		if !errors.As(err, &pe) {
			t.Fatalf("error %q is not a *policy.Error", err)
		}
		for _, line := range strings.Split(err.Error(), "\n") {
			if !errorLine.MatchString(line) {
				t.Fatalf("problem %q does not name a line (input %q)", line, data)
			}
		}
	})
}
