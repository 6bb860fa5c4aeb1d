package workflows

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"

	"github.com/entralifecycle/engine/internal/graphsim"
)

// A new starter whose manager has no account on the first day gets no
// Temporary Access Pass then; once the manager's account appears (told by
// the manager's entity, or found by the daily retry) while the pass was
// never delivered, the pass is issued and mailed to the manager. Past the
// late-pass window nothing is issued.
func TestPassHandedOverWhenManagerAppears(t *testing.T) {
	cases := []struct {
		name   string
		appear time.Time // when the manager's account appears
		signal bool      // the manager's entity tells the report
		check  time.Time
		issued bool
	}{
		{"manager-ready signal", at("2026-03-04", 9, 0), true, at("2026-03-04", 9, 5), true},
		{"daily retry finds the manager", at("2026-03-02", 12, 0), false, at("2026-03-03", 10, 0), true},
		{"past the window", at("2026-04-20", 9, 0), true, at("2026-04-20", 9, 5), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, at("2026-03-02", 8, 0), 0)
			const upn = "piet.jansen@contoso.example"
			const bossUPN = "bea.baas@contoso.example"
			h.setEmployee(person("3000", "Bea", "", "Baas", contract("3000-1", "2026-01-01", "", "ICT", "D10", "Directeur ICT", managerID)))
			h.setEmployee(person("1002", "Piet", "", "Jansen", contract("1002-1", "2026-03-02", "", "ICT", "F045", "Systeembeheerder", "3000")))
			h.env.OnSignalExternalWorkflow(mock.Anything, EmployeeWorkflowID("3000"), "", SignalReportWaiting, mock.Anything).Return(nil).Maybe()
			h.when(at("2026-03-02", 9, 0), func() {
				st := h.state()
				if st.Status != StatusActive || st.Pass == nil || st.Pass.Issued || !strings.Contains(st.Pass.Reason, "no manager") {
					t.Fatalf("first day: status %s pass %+v", st.Status, st.Pass)
				}
			})
			h.when(tc.appear, func() {
				if _, err := h.sim.SeedWithResult(graphsim.Seed{Users: []map[string]any{{
					"displayName": "Bea Baas", "givenName": "Bea", "userPrincipalName": bossUPN, "mail": bossUPN,
					"accountEnabled": true, "employeeId": "3000"}}}); err != nil {
					t.Fatal(err)
				}
				if tc.signal {
					h.env.SignalWorkflow(SignalHRChanged, HRChanged{Reason: ReasonManagerReady, Source: EmployeeWorkflowID("3000")})
				}
			})
			h.when(tc.check, func() {
				st := h.state()
				if st.ManagerPending || st.ManagerObjectID == "" {
					t.Fatalf("manager not linked: %+v", st)
				}
				_, hasPass := h.sim.TemporaryAccessPass(upn)
				mailed := slices.ContainsFunc(h.sim.SentMail(), func(m graphsim.Mail) bool {
					return slices.Contains(m.To, bossUPN) && strings.Contains(m.Subject, "Temporary Access Pass for Piet Jansen")
				})
				if hasPass != tc.issued || mailed != tc.issued || (st.Pass != nil && st.Pass.Issued) != tc.issued {
					t.Errorf("pass in the tenant %v, mailed %v, receipt %+v; want issued %v", hasPass, mailed, st.Pass, tc.issued)
				}
				if tc.issued && st.Pass.SentTo != bossUPN {
					t.Errorf("sent to %q", st.Pass.SentTo)
				}
			})
			h.run("1002", tc.check.Add(time.Hour))
		})
	}
}
