package workflows

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/entralifecycle/engine/internal/graphsim"
	"github.com/entralifecycle/engine/internal/hr"
)

// The entity trusts the directory, not its memory: when it is told the world
// may differ it checks its account, and brings back one that vanished.

const vanishUPN = "jan.devries@contoso.example"

func vanishEmployee() hr.Employee {
	return person("1001", "Jan", "de", "Vries", contract("1001-1", "2026-01-05", "", "ICT", "F045", "Systeembeheerder", managerID))
}

// purge removes a deleted user from deleted items for good (past the
// restore window, or purged by an administrator).
func purge(t *testing.T, sim *graphsim.Sim, id string) {
	t.Helper()
	rec := httptest.NewRecorder()
	sim.ServeHTTP(rec, httptest.NewRequest(http.MethodDelete, "/v1.0/directory/deletedItems/"+id, nil))
	if rec.Code != http.StatusNoContent {
		t.Fatalf("purge %s: %d %s", id, rec.Code, rec.Body.String())
	}
}

// accountsOf counts the active accounts carrying an employee id.
func accountsOf(h *harness, employeeID string) []string {
	var ids []string
	for _, u := range h.sim.Snapshot().Users {
		if str(u, "employeeId") == employeeID {
			ids = append(ids, str(u, "id"))
		}
	}
	return ids
}

func TestVanishedAccountComesBack(t *testing.T) {
	cases := []struct {
		name string
		// lose makes the account vanish; it returns the object id a
		// replacement made by hand got, if any.
		lose func(h *harness, id string) string
		// sameID: the entity must end with the original object id.
		sameID   bool
		note     string
		newEvent string
	}{
		{name: "deleted: restored from deleted items", sameID: true, note: "restored it from deleted items",
			lose: func(h *harness, id string) string {
				if err := h.dir.DeleteUser(context.Background(), id); err != nil {
					h.t.Fatal(err)
				}
				return ""
			}},
		{name: "purged: created again", note: "created it again",
			lose: func(h *harness, id string) string {
				if err := h.dir.DeleteUser(context.Background(), id); err != nil {
					h.t.Fatal(err)
				}
				purge(h.t, h.sim, id)
				return ""
			}},
		{name: "recreated by hand: adopted", note: "adopted the account carrying the employee id",
			lose: func(h *harness, id string) string {
				if err := h.dir.DeleteUser(context.Background(), id); err != nil {
					h.t.Fatal(err)
				}
				purge(h.t, h.sim, id)
				ids, err := h.sim.SeedWithResult(graphsim.Seed{Users: []map[string]any{{
					"displayName": "Jan de Vries", "userPrincipalName": "jdv@contoso.example", "employeeId": "1001",
					"accountEnabled": true, "usageLocation": "NL",
				}}})
				if err != nil {
					h.t.Fatal(err)
				}
				return ids.Users["jdv@contoso.example"]
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, at("2026-03-02", 8, 0), 0)
			h.setEmployee(vanishEmployee())
			var first, byHand string
			h.when(at("2026-03-02", 9, 0), func() {
				st := h.state()
				if st.Status != StatusActive || st.ObjectID == "" {
					t.Fatalf("after the hire: %s %q", st.Status, st.ObjectID)
				}
				first = st.ObjectID
				byHand = tc.lose(h, first)
				h.signal(nil) // an HR notification: the entity re-reads and checks
			})
			h.when(at("2026-03-02", 10, 0), func() {
				st := h.state()
				ids := accountsOf(h, "1001")
				if len(ids) != 1 {
					t.Fatalf("accounts carrying the employee id: %v, want exactly one", ids)
				}
				if st.Status != StatusActive || st.ObjectID != ids[0] {
					t.Fatalf("state %s %q, directory has %q", st.Status, st.ObjectID, ids[0])
				}
				if tc.sameID && st.ObjectID != first {
					t.Errorf("object id %q, want the restored %q", st.ObjectID, first)
				}
				if !tc.sameID && st.ObjectID == first {
					t.Errorf("object id is still the purged %q", first)
				}
				if byHand != "" && st.ObjectID != byHand {
					t.Errorf("object id %q, want the one made by hand %q", st.ObjectID, byHand)
				}
				// (An account made by hand under another name is renamed after.)
				if !strings.Contains(st.AccountNote, tc.note) || (byHand == "" && st.LastEvent != EventRecreate) {
					t.Errorf("note %q event %q", st.AccountNote, st.LastEvent)
				}
				u := h.user(st.ObjectID)
				if !boolOf(u, "accountEnabled") || str(u, "department") != "ICT" {
					t.Errorf("account after the recovery: %v", u)
				}
				if g := h.sim.UserGroups(st.ObjectID); !has(g, "All Staff") || !has(g, "ICT Admins") {
					t.Errorf("groups after the recovery: %v", g)
				}
			})
			h.run("1001", at("2026-03-03", 0, 0))
		})
	}
}

// A present account costs one read and changes nothing.
func TestPresentAccountIsLeftAlone(t *testing.T) {
	h := newHarness(t, at("2026-03-02", 8, 0), 0)
	h.setEmployee(vanishEmployee())
	var before entityState
	h.when(at("2026-03-02", 9, 0), func() {
		before = h.state()
		h.signal(nil)
	})
	h.when(at("2026-03-02", 10, 0), func() {
		st := h.state()
		if st.ObjectID != before.ObjectID || st.Events != before.Events || st.AccountNote != "" || st.VerifiedAt == nil {
			t.Errorf("after a check of a present account: %+v (before %+v)", st, before)
		}
	})
	h.run("1001", at("2026-03-03", 0, 0))
}

// A child that hits a 404 on the account makes the entity check the
// directory instead of blocking for a day.
func TestChildNotFoundTriggersRecovery(t *testing.T) {
	h := newHarness(t, at("2026-03-02", 8, 0), 0)
	h.setEmployee(vanishEmployee())
	var first string
	h.when(at("2026-03-02", 9, 0), func() {
		first = h.state().ObjectID
		if err := h.dir.DeleteUser(context.Background(), first); err != nil {
			t.Fatal(err)
		}
		// A policy change (which alone does not make the entity check the
		// directory) grants ICT another group: the Move hits a 404.
		h.setPolicy(strings.Replace(h.policy(), `groups: ["ICT Admins"]`, `groups: ["ICT Admins", "Sales"]`, 1))
		h.env.SignalWorkflow(SignalHRChanged, HRChanged{Reason: ReasonPolicyChanged})
	})
	h.when(at("2026-03-02", 10, 0), func() {
		st := h.state()
		if st.Status != StatusActive || st.ObjectID != first || st.Blocked {
			t.Fatalf("state %s %q blocked %v (%s)", st.Status, st.ObjectID, st.Blocked, st.LastError)
		}
		if g := h.sim.UserGroups(first); !has(g, "Sales") || !has(g, "ICT Admins") {
			t.Errorf("groups after the recovery: %v; state %+v", g, st)
		}
		if !strings.Contains(st.AccountNote, "restored") {
			t.Errorf("note %q", st.AccountNote)
		}
	})
	h.run("1001", at("2026-03-03", 0, 0))
}

// The reconcile update answers with what the entity did: applied only once
// the account is back.
func TestReconcileUpdateReportsOutcome(t *testing.T) {
	h := newHarness(t, at("2026-03-02", 8, 0), 0)
	h.setEmployee(vanishEmployee())
	var got ReconcileOutcome
	var done bool
	h.when(at("2026-03-02", 9, 0), func() {
		id := h.state().ObjectID
		if err := h.dir.DeleteUser(context.Background(), id); err != nil {
			t.Fatal(err)
		}
		purge(t, h.sim, id)
		h.env.UpdateWorkflow(UpdateReconcile, "r-1", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { t.Errorf("rejected: %v", err) },
			OnComplete: func(v any, err error) {
				if err != nil {
					t.Errorf("update: %v", err)
				}
				got, done = v.(ReconcileOutcome), true
			},
		}, ReconcileRequest{Action: "hire", Source: "test"})
	})
	h.when(at("2026-03-02", 10, 0), func() {
		if !done {
			t.Fatal("the update did not complete")
		}
		ids := accountsOf(h, "1001")
		if !got.Applied || len(ids) != 1 || got.ObjectID != ids[0] || got.Status != string(StatusActive) {
			t.Errorf("outcome %+v, accounts %v", got, ids)
		}
	})
	h.run("1001", at("2026-03-03", 0, 0))
}

func TestOutcomeJudgesTheAction(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	cases := []struct {
		name    string
		st      entityState
		action  string
		applied bool
		waiting bool
		reason  string
	}{
		{"hire done", entityState{Status: StatusActive, ObjectID: "x"}, "hire", true, false, ""},
		{"hire without account", entityState{Status: StatusAccountMissing, ObjectID: "x"}, "hire", false, false, "no account"},
		{"hire failed", entityState{Status: StatusFailed, ObjectID: "x", LastError: "boom", Blocked: true}, "hire", false, false, "boom"},
		{"hire, HR unknown", entityState{Status: StatusNew, HRNote: "the HR source does not know"}, "hire", false, false, "HR source"},
		{"exit done", entityState{Status: StatusLeft, ObjectID: "x", LeftAt: &now}, "exit", true, false, ""},
		{"exit not done", entityState{Status: StatusActive, ObjectID: "x"}, "exit", false, false, "not disabled"},
		{"exit held", entityState{Status: StatusAwaitingApproval, ObjectID: "x"}, "exit", false, true, "approval"},
		{"move done", entityState{Status: StatusActive, ObjectID: "x"}, "move", true, false, ""},
		{"move blocked", entityState{Status: StatusActive, ObjectID: "x", Blocked: true, LastError: "403"}, "move", false, false, "403"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := tc.st
			e := &entity{st: &st}
			out := e.outcome(tc.action)
			if out.Applied != tc.applied || out.Waiting != tc.waiting || !strings.Contains(out.Reason, tc.reason) {
				t.Errorf("outcome %+v", out)
			}
		})
	}
}
