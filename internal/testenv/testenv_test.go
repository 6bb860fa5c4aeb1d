package testenv

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/entralifecycle/engine/internal/hr"
)

// A fixture's world answers through every part: the directory client finds
// the seeded accounts over HTTP, the file connector reads the HR document
// (and its changes), and the policy parses and can be replaced.
func TestSmallOrgWorld(t *testing.T) {
	w := New(t, SmallOrg(3))
	ctx := context.Background()
	u, ok, err := w.Dir.FindUserByEmployeeID(ctx, "2")
	if err != nil || !ok || u.ID != w.IDs.Users["p2@contoso.example"] {
		t.Fatalf("find employee 2: %+v %v %v", u, ok, err)
	}
	w.HR.Edit("2", func(e *hr.Employee) { e.Contracts[0].Department = "Sales" })
	w.HR.Set(Employee("4", "ICT", "Contoso B.V.", hr.NewDate(2025, 1, 1), nil))
	e, err := w.Source.Employee(ctx, "2")
	if err != nil || e.Contracts[0].Department != "Sales" {
		t.Fatalf("employee 2 after the edit: %+v %v", e, err)
	}
	if got := len(w.HR.Employees()); got != 4 {
		t.Errorf("%d employees in HR, want 4", got)
	}
	p, err := w.Policy.Load(ctx)
	if err != nil || len(p.Rules) != 2 {
		t.Fatalf("policy: %v rules, %v", p, err)
	}
	w.Policy.Set(strings.Replace(w.Policy.YAML(), "maxDisablePercent: 50", "maxDisablePercent: x", 1))
	if _, err := w.Policy.Load(ctx); err == nil {
		t.Error("a broken policy parsed")
	}
}

// The Contoso fixture's policy takes the grace period; its manager is in
// Entra and in HR; a handler in front of the simulator sees every request.
func TestContosoWorld(t *testing.T) {
	var seen atomic.Int32
	w := New(t, Contoso(7), WithHandler(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { seen.Add(1); next.ServeHTTP(rw, r) })
	}))
	ctx := context.Background()
	if !strings.Contains(w.Policy.YAML(), "transferGraceDays: 7\n") {
		t.Errorf("grace period not in the policy:\n%s", w.Policy.YAML())
	}
	if _, err := w.Policy.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := w.Dir.FindUserByUPN(ctx, ContosoManagerUPN); !ok || err != nil || seen.Load() == 0 {
		t.Errorf("manager in Entra: %v %v, requests seen %d", ok, err, seen.Load())
	}
	if _, ok := w.HR.Get(ContosoManagerID); !ok {
		t.Error("manager not in HR")
	}
}
