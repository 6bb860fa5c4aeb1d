package reconcile

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/entralifecycle/engine/internal/directory"
	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/orgattr"
	"github.com/entralifecycle/engine/internal/policy"
	"github.com/entralifecycle/engine/internal/testenv"
)

const planPolicyYAML = `
tenant: {domain: contoso.example, usageLocation: NL}
lifecycle: {timezone: Europe/Amsterdam, createDaysBeforeStart: 14, leaveTime: "17:00", deleteAfterDays: 30}
guard: {maxDisablePercent: 25, maxDeletePercent: 2}
scope: {companies: ["Contoso B.V."]}
` + testenv.DepartmentRules

func planPolicy(t *testing.T) *policy.Policy {
	t.Helper()
	p, err := policy.Parse("plan-test.yaml", []byte(planPolicyYAML))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// planNow is 2026-06-15 12:00 in Amsterdam.
var planNow = time.Date(2026, 6, 15, 10, 0, 0, 0, time.UTC)

func d(y int, m time.Month, day int) hr.Date { return hr.NewDate(y, m, day) }

func dp(y int, m time.Month, day int) *hr.Date { x := d(y, m, day); return &x }

// emp builds an employee with one contract.
var emp = testenv.Employee

// inSync is the account the engine would have made for an employee in dept.
func inSync(id, dept string, held ...policy.Entitlement) EntraAccount {
	return EntraAccount{
		User: directory.User{
			ID: "obj-" + id, EmployeeID: id, DisplayName: "P" + id + " Test", JobTitle: "Engineer",
			Department: dept, CompanyName: "Contoso B.V.", EmployeeType: "Employee",
			CostCenter: "4100", Division: dept + " dept", AccountEnabled: true,
		},
		Held: held,
	}
}

func TestComputePlan(t *testing.T) {
	allStaff, ict, sales := policy.Group("All Staff"), policy.Group("ICT Admins"), policy.Group("Sales")
	start := d(2025, 1, 1)
	type want struct {
		action  string // "" = no action for the id
		add     []policy.Entitlement
		remove  []policy.Entitlement
		changes []string // substrings the change lines must contain
	}
	cases := []struct {
		name     string
		emps     []hr.Employee
		rejected []string
		accounts []EntraAccount
		want     map[string]want
		check    func(t *testing.T, s PlanSummary)
	}{
		{
			name:     "in sync needs nothing",
			emps:     []hr.Employee{emp("1", "ICT", "Contoso B.V.", start, nil)},
			accounts: []EntraAccount{inSync("1", "ICT", allStaff, ict)},
			want:     map[string]want{"1": {}},
			check: func(t *testing.T, s PlanSummary) {
				if s.InSync != 1 || s.Actionable() != 0 {
					t.Errorf("summary = %+v, want 1 in sync and nothing to do", s)
				}
			},
		},
		{
			name: "hire: active employee without account",
			emps: []hr.Employee{emp("2", "Sales", "Contoso B.V.", start, nil)},
			want: map[string]want{"2": {action: ActionHire, changes: []string{"create account", "grant group:All Staff", "grant group:Sales"}}},
		},
		{
			name: "hire: pre-hire within createDaysBeforeStart, not yet beyond it",
			emps: []hr.Employee{
				emp("3", "ICT", "Contoso B.V.", d(2026, 6, 20), nil),
				emp("4", "ICT", "Contoso B.V.", d(2026, 8, 1), nil),
			},
			want: map[string]want{"3": {action: ActionHire}, "4": {}},
		},
		{
			name: "rehire: disabled account of an earlier leaver",
			emps: []hr.Employee{emp("5", "ICT", "Contoso B.V.", d(2026, 6, 1), nil)},
			accounts: func() []EntraAccount {
				a := inSync("5", "ICT")
				a.User.AccountEnabled = false
				a.User.EmployeeLeaveDateTime = time.Date(2025, 12, 31, 16, 0, 0, 0, time.UTC)
				return []EntraAccount{a}
			}(),
			want: map[string]want{"5": {action: ActionRehire, changes: []string{"enable account left on 2025-12-31", "grant group:All Staff", "grant group:ICT Admins"}}},
		},
		{
			name:     "move: HR transfer shows as org attribute difference",
			emps:     []hr.Employee{emp("6", "Sales", "Contoso B.V.", start, nil)},
			accounts: []EntraAccount{inSync("6", "ICT", allStaff, ict)},
			want: map[string]want{"6": {action: ActionMove, add: []policy.Entitlement{sales}, remove: []policy.Entitlement{ict},
				changes: []string{`department: "ICT" → "Sales"`, "add group:Sales", "remove group:ICT Admins"}}},
		},
		{
			name: "exit: leaver with an enabled account; a disabled one is done",
			emps: []hr.Employee{
				emp("7", "ICT", "Contoso B.V.", start, dp(2026, 5, 31)),
				emp("8", "ICT", "Contoso B.V.", start, dp(2026, 5, 31)),
				emp("9", "ICT", "Contoso B.V.", start, nil),
				emp("10", "ICT", "Contoso B.V.", start, nil),
			},
			accounts: func() []EntraAccount {
				gone := inSync("8", "ICT")
				gone.User.AccountEnabled = false
				return []EntraAccount{inSync("7", "ICT", allStaff, ict), gone, inSync("9", "ICT", allStaff, ict), inSync("10", "ICT", allStaff, ict)}
			}(),
			want: map[string]want{"7": {action: ActionExit, changes: []string{"disable account", "remove group:All Staff"}}, "8": {}, "9": {}, "10": {}},
		},
		{
			name: "exit: the leave moment on the last day counts",
			emps: []hr.Employee{emp("11", "ICT", "Contoso B.V.", start, dp(2026, 6, 15))},
			accounts: []EntraAccount{
				inSync("11", "ICT", allStaff, ict),
			},
			// 12:00 local on the last day, leave time 17:00: still employed.
			want: map[string]want{"11": {}},
		},
		{
			name: "repair touches only managed groups",
			emps: []hr.Employee{emp("12", "ICT", "Contoso B.V.", start, nil), emp("13", "ICT", "Contoso B.V.", start, nil)},
			accounts: []EntraAccount{
				// Removed from ICT Admins by hand, added to Sales by hand.
				inSync("12", "ICT", allStaff, sales),
				// Held only managed entitlements are listed; an unmanaged
				// group never shows up in Held and so is never removed.
				inSync("13", "ICT", allStaff, ict),
			},
			want: map[string]want{
				"12": {action: ActionRepair, add: []policy.Entitlement{ict}, remove: []policy.Entitlement{sales}},
				"13": {},
			},
		},
		{
			name:     "orphan: enabled account HR does not know is reported",
			emps:     []hr.Employee{emp("14", "ICT", "Contoso B.V.", start, nil)},
			accounts: []EntraAccount{inSync("14", "ICT", allStaff, ict), inSync("99", "ICT", allStaff)},
			want:     map[string]want{"99": {action: ActionOrphan, changes: []string{"never deleted automatically"}}},
			check: func(t *testing.T, s PlanSummary) {
				if s.Orphan != 1 || s.Guard.Disables != 0 {
					t.Errorf("summary = %+v, want one orphan and no disables", s)
				}
			},
		},
		{
			name: "out of scope: employee and account are never touched",
			emps: []hr.Employee{
				emp("15", "ICT", "Fabrikam Ltd", start, nil),
				emp("16", "ICT", "Fabrikam Ltd", start, dp(2026, 1, 31)),
				emp("17", "ICT", "Fabrikam Ltd", start, nil),
			},
			accounts: func() []EntraAccount {
				a := inSync("16", "ICT", allStaff)
				a.User.CompanyName = "Fabrikam Ltd"
				b := inSync("17", "Sales")
				b.User.CompanyName = "Fabrikam Ltd"
				orphan := inSync("98", "ICT")
				orphan.User.CompanyName = "Fabrikam Ltd"
				return []EntraAccount{a, b, orphan}
			}(),
			want: map[string]want{"15": {}, "16": {}, "17": {}, "98": {}},
			check: func(t *testing.T, s PlanSummary) {
				if s.OutOfScope != 4 || s.Managed != 0 {
					t.Errorf("summary = %+v, want 4 out of scope, 0 managed", s)
				}
			},
		},
		{
			name: "rejected HR record is neither leaver nor orphan",
			emps: []hr.Employee{emp("18", "ICT", "Contoso B.V.", start, nil)},
			// 19's record failed validation: it is not in Employees.
			rejected: []string{"19"},
			accounts: []EntraAccount{inSync("18", "ICT", allStaff, ict), inSync("19", "ICT", allStaff, ict)},
			want:     map[string]want{"19": {}},
			check: func(t *testing.T, s PlanSummary) {
				if s.Rejected != 1 || s.Exit != 0 || s.Orphan != 0 {
					t.Errorf("summary = %+v, want the rejected id left alone", s)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			snap := hr.Snapshot{Employees: tc.emps}
			for _, id := range tc.rejected {
				snap.Rejected = append(snap.Rejected, hr.Rejection{EmployeeID: id, Source: "test", Reason: "bad date"})
			}
			plan := ComputePlan(PlanInput{Snapshot: snap, Policy: planPolicy(t), At: planNow, Accounts: tc.accounts})
			got := map[string]PlanAction{}
			for _, a := range plan.Actions {
				if _, dup := got[a.EmployeeID]; dup {
					t.Fatalf("two actions for %s", a.EmployeeID)
				}
				got[a.EmployeeID] = a
			}
			for id, w := range tc.want {
				a, ok := got[id]
				if w.action == "" {
					if ok {
						t.Errorf("%s: got %s %v, want no action", id, a.Action, a.Changes)
					}
					continue
				}
				if !ok {
					t.Errorf("%s: no action, want %s", id, w.action)
					continue
				}
				if a.Action != w.action {
					t.Errorf("%s: action %s, want %s (changes %v)", id, a.Action, w.action, a.Changes)
				}
				if w.add != nil && !slices.Equal(a.Add, w.add) {
					t.Errorf("%s: add %v, want %v", id, a.Add, w.add)
				}
				if w.remove != nil && !slices.Equal(a.Remove, w.remove) {
					t.Errorf("%s: remove %v, want %v", id, a.Remove, w.remove)
				}
				joined := strings.Join(a.Changes, "\n")
				for _, c := range w.changes {
					if !strings.Contains(joined, c) {
						t.Errorf("%s: changes %q lack %q", id, joined, c)
					}
				}
			}
			if tc.check != nil {
				tc.check(t, plan.Summary)
			}
		})
	}
}

func TestComputePlanSortedAndCounted(t *testing.T) {
	start := d(2025, 1, 1)
	emps := []hr.Employee{emp("b", "ICT", "Contoso B.V.", start, nil), emp("a", "ICT", "Contoso B.V.", start, nil), emp("c", "ICT", "Contoso B.V.", start, nil)}
	plan := ComputePlan(PlanInput{Snapshot: hr.Snapshot{Employees: emps}, Policy: planPolicy(t), At: planNow})
	var ids []string
	for _, a := range plan.Actions {
		ids = append(ids, a.EmployeeID)
	}
	if !slices.Equal(ids, []string{"a", "b", "c"}) {
		t.Errorf("order %v, want a b c", ids)
	}
	if plan.Summary.Hire != 3 || plan.Summary.Actionable() != 3 || plan.Summary.Employees != 3 {
		t.Errorf("summary %+v", plan.Summary)
	}
}

func TestComputePlanGuardAndOutage(t *testing.T) {
	start := d(2025, 1, 1)
	// 8 managed accounts; the policy allows 25% disables = 2.
	build := func(leavers, missing int) PlanInput {
		var emps []hr.Employee
		var accs []EntraAccount
		for i := range 8 {
			id := string(rune('a' + i))
			accs = append(accs, inSync(id, "ICT", policy.Group("All Staff"), policy.Group("ICT Admins")))
			if i < missing {
				continue
			}
			var end *hr.Date
			if i >= missing && i < missing+leavers {
				end = dp(2026, 5, 1)
			}
			emps = append(emps, emp(id, "ICT", "Contoso B.V.", start, end))
		}
		return PlanInput{Snapshot: hr.Snapshot{Employees: emps}, Policy: planPolicy(t), At: planNow, Accounts: accs}
	}
	cases := []struct {
		name              string
		in                PlanInput
		previous          int
		tripped           bool
		exits, held, orph int
		outage            bool
	}{
		{name: "2 of 8 exits pass", in: build(2, 0), exits: 2},
		{name: "3 of 8 exits trip the guard", in: build(3, 0), exits: 3, tripped: true},
		{name: "empty snapshot holds every exit", in: build(0, 8), orph: 8, outage: true},
		{name: "halved snapshot (3 of 8) holds exits", in: build(2, 5), held: 2, orph: 5, outage: true},
		{name: "snapshot below half of the previous run", in: build(1, 0), previous: 20, held: 1, outage: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.PreviousEmployees = tc.previous
			s := ComputePlan(tc.in).Summary
			if s.Guard.Tripped != tc.tripped || s.Exit != tc.exits || s.Held != tc.held || s.Orphan != tc.orph || (s.Outage != "") != tc.outage {
				t.Errorf("summary = %+v\nwant tripped=%v exits=%d held=%d orphans=%d outage=%v", s, tc.tripped, tc.exits, tc.held, tc.orph, tc.outage)
			}
			if s.Guard.Total != 8 {
				t.Errorf("guard total %d, want the 8 managed accounts", s.Guard.Total)
			}
		})
	}
}

func TestPlanTable(t *testing.T) {
	out := PlanTable([]PlanAction{
		{EmployeeID: "1001", Action: ActionRepair, DisplayName: "Jan de Vries", Changes: []string{"add group:ICT Admins", "remove group:Sales"}},
		{EmployeeID: "1002", Action: ActionExit, Held: "suspected HR outage", Changes: []string{"disable account"}},
	})
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("table has %d lines, want header + 3:\n%s", len(lines), out)
	}
	if !strings.HasPrefix(lines[1], "1001") || !strings.Contains(lines[1], "Jan de Vries") || !strings.Contains(lines[2], "remove group:Sales") {
		t.Errorf("unexpected rows:\n%s", out)
	}
	if !strings.Contains(lines[3], "exit (held)") {
		t.Errorf("held exit not marked:\n%s", out)
	}
}

func TestSettleMoves(t *testing.T) {
	start := d(2025, 1, 1)
	// 20 and 21 both show department ICT in Entra while HR says Sales.
	emps := []hr.Employee{emp("20", "Sales", "Contoso B.V.", start, nil), emp("21", "Sales", "Contoso B.V.", start, nil), emp("22", "Sales", "Contoso B.V.", start, nil)}
	accs := []EntraAccount{inSync("20", "ICT", policy.Group("All Staff"), policy.Group("Sales")), inSync("21", "ICT"), inSync("22", "ICT")}
	plan := ComputePlan(PlanInput{Snapshot: hr.Snapshot{Employees: emps}, Policy: planPolicy(t), At: planNow, Accounts: accs})
	if plan.Summary.Move != 3 {
		t.Fatalf("want 3 moves before settling, got %+v", plan.Summary)
	}
	sales := orgattr.Attributes{JobTitle: "Engineer", Department: "Sales", CompanyName: "Contoso B.V.", EmployeeType: "Employee", CostCenter: "4100", Division: "Sales dept"}
	ict := sales
	ict.Department, ict.Division = "ICT", "ICT dept"
	applied := map[string]orgattr.Attributes{
		"20": sales, // the entity applied Sales: someone set ICT by hand
		"21": ict,   // the entity still has ICT: HR changed, a real move
		// 22 has no entity
	}
	SettleMoves(&plan, func(id string) (orgattr.Attributes, bool) { o, ok := applied[id]; return o, ok })
	want := map[string]string{"20": ActionRepair, "21": ActionMove, "22": ActionMove}
	for _, a := range plan.Actions {
		if want[a.EmployeeID] != a.Action {
			t.Errorf("%s: %s, want %s", a.EmployeeID, a.Action, want[a.EmployeeID])
		}
		if a.EmployeeID == "20" && (!slices.Equal(a.OrgFields, []string{orgattr.Department, "division"}) || a.Org == nil || a.Org.Department != "Sales") {
			t.Errorf("repair of 20 carries org %+v fields %v", a.Org, a.OrgFields)
		}
	}
	if plan.Summary.Move != 2 || plan.Summary.Repair != 1 {
		t.Errorf("summary after settling %+v", plan.Summary)
	}
}

func TestPlanActionRemoves(t *testing.T) {
	g := []policy.Entitlement{policy.Group("Sales")}
	cases := []struct {
		a    PlanAction
		want bool
	}{
		{PlanAction{Action: ActionExit}, true},
		{PlanAction{Action: ActionRepair, Remove: g}, true},
		{PlanAction{Action: ActionMove, Remove: g, Add: g}, true},
		{PlanAction{Action: ActionRepair, Add: g}, false},
		{PlanAction{Action: ActionMove}, false},
		{PlanAction{Action: ActionHire}, false},
		{PlanAction{Action: ActionRehire}, false},
		{PlanAction{Action: ActionOrphan}, false},
	}
	for _, tc := range cases {
		if got := tc.a.Removes(); got != tc.want {
			t.Errorf("%s add=%v remove=%v: Removes() = %v, want %v", tc.a.Action, tc.a.Add, tc.a.Remove, got, tc.want)
		}
	}
}

// FuzzComputePlan builds organisations from the fuzzer's bytes (each byte
// one employee or account: department, company, contract end, account state,
// held groups) and checks the plan's invariants: sorted, one action per
// employee, never an action for an out-of-scope or rejected employee, never
// a removal of an unmanaged entitlement, and the counts add up.
func FuzzComputePlan(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7})
	f.Add([]byte{0xff, 0x80, 0x41, 0x12, 0x00})
	f.Add([]byte{})
	p, err := policy.Parse("fuzz.yaml", []byte(planPolicyYAML))
	if err != nil {
		f.Fatal(err)
	}
	depts := []string{"ICT", "Sales", "HR"}
	groups := []policy.Entitlement{policy.Group("All Staff"), policy.Group("ICT Admins"), policy.Group("Sales")}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64 {
			data = data[:64]
		}
		var in PlanInput
		in.Policy, in.At = p, planNow
		outOfScope, rejected := map[string]bool{}, map[string]bool{}
		for i, b := range data {
			id := strconv.Itoa(i)
			dept := depts[int(b)%3]
			company := "Contoso B.V."
			if b&0x08 != 0 {
				company = "Fabrikam Ltd"
			}
			var end *hr.Date
			if b&0x10 != 0 {
				end = dp(2026, 5, 1)
			}
			switch {
			case b&0xc0 == 0xc0:
				rejected[id] = true
				in.Snapshot.Rejected = append(in.Snapshot.Rejected, hr.Rejection{EmployeeID: id, Reason: "fuzz"})
			case b&0x20 == 0:
				in.Snapshot.Employees = append(in.Snapshot.Employees, emp(id, dept, company, d(2025, 1, 1), end))
				if company != "Contoso B.V." {
					outOfScope[id] = true
				}
			}
			if b&0x40 != 0 {
				acc := inSync(id, depts[int(b>>1)%3])
				acc.User.CompanyName = company
				acc.User.AccountEnabled = b&0x04 == 0
				for j, g := range groups {
					if b&(1<<j) != 0 {
						acc.Held = append(acc.Held, g)
					}
				}
				in.Accounts = append(in.Accounts, acc)
			}
		}
		plan := ComputePlan(in)
		seen := map[string]bool{}
		counts := map[string]int{}
		for i, a := range plan.Actions {
			if i > 0 && plan.Actions[i-1].EmployeeID >= a.EmployeeID {
				t.Fatalf("actions not sorted or duplicated at %d: %v", i, a.EmployeeID)
			}
			if seen[a.EmployeeID] {
				t.Fatalf("two actions for %s", a.EmployeeID)
			}
			seen[a.EmployeeID] = true
			if outOfScope[a.EmployeeID] || rejected[a.EmployeeID] {
				t.Fatalf("action %s for out-of-scope or rejected %s", a.Action, a.EmployeeID)
			}
			for _, r := range a.Remove {
				if !p.IsManaged(r) {
					t.Fatalf("removes unmanaged %v", r)
				}
			}
			if a.Held == "" {
				counts[a.Action]++
			}
		}
		s := plan.Summary
		if counts[ActionHire] != s.Hire || counts[ActionRehire] != s.Rehire || counts[ActionMove] != s.Move ||
			counts[ActionExit] != s.Exit || counts[ActionRepair] != s.Repair || counts[ActionOrphan] != s.Orphan {
			t.Fatalf("summary %+v does not match actions %v", s, counts)
		}
		if s.Guard.Disables != s.Exit || s.Guard.Total != s.Managed {
			t.Fatalf("guard %+v for %d exits of %d managed", s.Guard, s.Exit, s.Managed)
		}
	})
}
