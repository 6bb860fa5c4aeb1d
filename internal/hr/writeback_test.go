package hr_test

import (
	"context"
	"testing"

	"github.com/entralifecycle/engine/internal/hr"
)

// readOnly is a source without write-back.
type readOnly struct{}

func (readOnly) Snapshot(context.Context) (hr.Snapshot, error) { return hr.Snapshot{}, nil }
func (readOnly) Employee(context.Context, string) (hr.Employee, error) {
	return hr.Employee{}, hr.ErrNotFound
}

// writer accepts write-back and cannot say ahead whether it is needed.
type writer struct{ readOnly }

func (writer) WriteBack(context.Context, string, hr.WorkContact) error { return nil }

// declining accepts the call but says nothing is ever needed.
type declining struct{ writer }

func (declining) NeedsWriteBack(hr.WorkContact, hr.WorkContact) bool { return false }

func TestNeedsWriteBack(t *testing.T) {
	c := hr.WorkContact{Email: "jan.devries@contoso.example", UPN: "jan.devries@contoso.example"}
	for _, tc := range []struct {
		name string
		src  hr.Source
		held hr.WorkContact
		want bool
	}{
		{"no write-back offered", readOnly{}, hr.WorkContact{}, false},
		{"HR holds nothing", writer{}, hr.WorkContact{}, true},
		{"HR holds both, other case", writer{}, hr.WorkContact{Email: "Jan.DeVries@contoso.example", UPN: "JAN.DEVRIES@contoso.example"}, false},
		{"HR holds the mail only", writer{}, hr.WorkContact{Email: c.Email}, true},
		{"HR holds an old mail", writer{}, hr.WorkContact{Email: "j.devries@contoso.example", UPN: c.UPN}, true},
		{"source answers itself", declining{}, hr.WorkContact{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := hr.NeedsWriteBack(tc.src, tc.held, c); got != tc.want {
				t.Errorf("NeedsWriteBack = %v, want %v", got, tc.want)
			}
		})
	}
}
