package workflows

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/hr/afas"
	"github.com/entralifecycle/engine/internal/hr/afas/afastest"
	"github.com/entralifecycle/engine/internal/policy"
)

// hireInputFor builds the hire input the entity would, from HR and the policy.
func (h *harness) hireInputFor(t *testing.T, e hr.Employee, day time.Time) HireInput {
	t.Helper()
	p, err := h.acts.Policy(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	v := e.ViewAt(day, p.Location())
	return HireInput{EmployeeID: e.EmployeeID, Person: personOf(e), Naming: p.Naming, Domain: p.Tenant.Domain,
		Spec: specOf(e.EmployeeID, v, p, day), Enable: true}
}

func (h *harness) runHire(t *testing.T, in HireInput) HireResult {
	t.Helper()
	h.env.ExecuteWorkflow(HireWorkflowName, in)
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatalf("hire: %v", err)
	}
	var res HireResult
	if err := h.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.Failed {
		t.Fatalf("hire failed: %s", res.Reason)
	}
	return res
}

// A hire against AFAS (a fake serving AFAS's real reply shapes) writes the
// work address back through KnEmployee exactly once; running the hire again
// finds the address in place and writes nothing.
func TestHireWritesTheWorkAddressBackToAFASOnce(t *testing.T) {
	srv := afastest.New()
	defer srv.Close()
	src, err := afas.New(afas.Config{BaseURL: srv.BaseURL(), Token: afastest.TokenXML}, afas.WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	start := at("2026-03-02", 8, 0)
	h := newHarness(t, start, 0)
	h.acts.HR = src
	h.freshEnv(start)

	// The entity reads Els (1002) from AFAS and hires her.
	h.run("1002", at("2026-03-02", 9, 0))
	const upn = "els.bakker@contoso.example"
	if h.user(upn) == nil {
		t.Fatalf("no account %s", upn)
	}
	if n := srv.UpdateCount(); n != 1 {
		t.Fatalf("KnEmployee updates after the hire: %d, want 1", n)
	}
	if got := srv.User("1002")["Email_werk"]; got != upn {
		t.Errorf("AFAS Email_werk = %v, want %s", got, upn)
	}

	// The same hire again (a retry, or the entity re-running it) writes nothing.
	els, err := src.Employee(context.Background(), "1002")
	if err != nil {
		t.Fatal(err)
	}
	h.freshEnv(at("2026-03-02", 10, 0))
	res := h.runHire(t, h.hireInputFor(t, els, at("2026-03-02", 10, 0)))
	if res.WriteBack == nil || !res.WriteBack.Supported || res.WriteBack.Note != "" {
		t.Errorf("write-back result %+v", res.WriteBack)
	}
	srv.Lock()
	defer srv.Unlock()
	if len(srv.Updates) != 1 || srv.Refused != 0 {
		t.Errorf("after re-running: %d updates, %d refused; want 1 and 0", len(srv.Updates), srv.Refused)
	}
}

// A source without write-back (the HR file) is recorded in the hire result
// as not supported, not as a failure.
func TestHireRecordsWriteBackNotSupported(t *testing.T) {
	start := at("2026-03-02", 8, 0)
	h := newHarness(t, start, 0)
	jan := person("1001", "Jan", "de", "Vries", contract("1001-1", "2026-03-02", "", "ICT", "F045", "Systeembeheerder", managerID))
	h.setEmployee(jan)
	res := h.runHire(t, h.hireInputFor(t, jan, start))
	if res.WriteBack == nil || res.WriteBack.Supported || !strings.Contains(res.WriteBack.Note, "not supported") {
		t.Errorf("write-back result %+v, want not supported", res.WriteBack)
	}
}

// A rename that moves the address writes the new one back; one that keeps
// it writes nothing.
func TestRenameWritesANewAddressBack(t *testing.T) {
	srv := afastest.New()
	defer srv.Close()
	src, err := afas.New(afas.Config{BaseURL: srv.BaseURL(), Token: afastest.TokenXML}, afas.WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	start := at("2026-03-02", 8, 0)
	h := newHarness(t, start, 0)
	h.acts.HR = src
	h.freshEnv(start)
	els, err := src.Employee(context.Background(), "1002")
	if err != nil {
		t.Fatal(err)
	}
	hired := h.runHire(t, h.hireInputFor(t, els, start))
	if srv.UpdateCount() != 1 {
		t.Fatalf("updates after hire: %d", srv.UpdateCount())
	}
	p, _ := h.acts.Policy(context.Background())
	married := personOf(els)
	married.PartnerFamilyName, married.NameUsage = "Jansen", policy.NameUsagePartner

	for _, tc := range []struct {
		name       string
		newAddress bool
		wantMail   string
		wantWrites int
	}{
		{"same address", false, "els.bakker@contoso.example", 1},
		{"new address", true, "els.jansen@contoso.example", 2},
	} {
		h.freshEnv(h.env.Now())
		h.env.ExecuteWorkflow(RenameWorkflowName, RenameInput{EmployeeID: "1002", ObjectID: hired.Account.ObjectID, Person: married,
			Naming: p.Naming, Domain: p.Tenant.Domain, CurrentUPN: hired.Account.UPN, NewAddress: tc.newAddress})
		if err := h.env.GetWorkflowError(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var res RenameResult
		if err := h.env.GetWorkflowResult(&res); err != nil {
			t.Fatal(err)
		}
		if got := srv.User("1002")["Email_werk"]; got != tc.wantMail || srv.UpdateCount() != tc.wantWrites {
			t.Errorf("%s: Email_werk %v, updates %d; want %s, %d (result %+v)", tc.name, got, srv.UpdateCount(), tc.wantMail, tc.wantWrites, res.WriteBack)
		}
	}
}
