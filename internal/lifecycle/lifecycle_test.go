package lifecycle

import (
	"strings"
	"testing"
	"time"

	"github.com/entralifecycle/engine/internal/hr"
	"github.com/entralifecycle/engine/internal/policy"
)

const testPolicyYAML = `
tenant: {domain: contoso.example, usageLocation: NL}
lifecycle: {timezone: Europe/Amsterdam, createDaysBeforeStart: 14, leaveTime: "17:00", deleteAfterDays: 30}
rules:
  - name: all-staff
    groups: ["All Staff"]
`

func testPolicy(t testing.TB, mutate ...func(*policy.Policy)) *policy.Policy {
	t.Helper()
	p, err := policy.Parse("lifecycle-test.yaml", []byte(testPolicyYAML))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mutate {
		m(p)
	}
	return p
}

var ams = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		panic(err)
	}
	return loc
}()

// at is a local moment in Amsterdam.
func at(y int, m time.Month, d, hh, mm int) time.Time { return time.Date(y, m, d, hh, mm, 0, 0, ams) }

func day(s string) hr.Date { return hr.MustParseDate(s) }

func dayp(s string) *hr.Date { d := day(s); return &d }

func contract(id, dept, start string, end string) hr.Contract {
	c := hr.Contract{ID: id, Start: day(start), JobCode: "J1", JobTitle: "Engineer", Department: dept,
		Company: "Contoso B.V.", EmployeeType: "Employee", FTE: 1}
	if end != "" {
		c.End = dayp(end)
	}
	return c
}

func employee(cs ...hr.Contract) *hr.Employee {
	return &hr.Employee{EmployeeID: "1001", GivenName: "Anna", FamilyName: "Jansen", Contracts: cs}
}

// now is Monday 15 June 2026, 12:00 in Amsterdam.
var now = at(2026, 6, 15, 12, 0)

func TestDue(t *testing.T) {
	none := Account{State: NoAccount}
	pre := Account{State: PreHire}
	active := Account{State: Active}
	left := func(t time.Time) Account { return Account{State: Left, LeftAt: t} }
	noDelete := func(p *policy.Policy) { p.Lifecycle.DeleteAfterDays = 0 }
	type timer struct {
		what string // prefix of Timer.What
		at   time.Time
	}
	cases := []struct {
		name   string
		e      *hr.Employee
		acct   Account
		now    time.Time
		policy []func(*policy.Policy)
		want   Action
		// timers are all the timers, in the order Decide gives them.
		timers []timer
	}{
		{
			name: "joiner far ahead: wait for the create moment", e: employee(contract("a", "ICT", "2026-07-15", "")),
			acct: none, now: now, want: None,
			timers: []timer{{"create the account", at(2026, 7, 1, 0, 0)}, {"start: enable the account", at(2026, 7, 15, 0, 0)}},
		},
		{
			name: "joiner within createDaysBeforeStart: create disabled", e: employee(contract("a", "ICT", "2026-06-22", "")),
			acct: none, now: now, want: HireDisabled,
			timers: []timer{{"start: enable the account", at(2026, 6, 22, 0, 0)}},
		},
		{
			name: "create moment exactly", e: employee(contract("a", "ICT", "2026-06-29", "")),
			acct: none, now: at(2026, 6, 15, 0, 0), want: HireDisabled,
			timers: []timer{{"start: enable the account", at(2026, 6, 29, 0, 0)}},
		},
		{
			name: "pre-hire account waits for the start; the start is a dated HR change", e: employee(contract("a", "ICT", "2026-06-22", "")),
			acct: pre, now: now, want: None,
			timers: []timer{{"start: enable the account", at(2026, 6, 22, 0, 0)}, {"HR change: status", at(2026, 6, 22, 0, 0)}},
		},
		{
			name: "start day: activate the pre-hire account", e: employee(contract("a", "ICT", "2026-06-15", "")),
			acct: pre, now: at(2026, 6, 15, 0, 0), want: Activate,
		},
		{
			name: "start day without an account: create enabled", e: employee(contract("a", "ICT", "2026-06-15", "")),
			acct: none, now: now, want: HireEnabled,
		},
		{
			name: "employed, open-ended: nothing due, no timer", e: employee(contract("a", "ICT", "2025-01-01", "")),
			acct: active, now: now, want: None,
		},
		{
			name: "enabled account ahead of the start: nothing due", e: employee(contract("a", "ICT", "2026-07-01", "")),
			acct: active, now: now, want: None,
			timers: []timer{{"start: enable the account", at(2026, 7, 1, 0, 0)}, {"HR change: status", at(2026, 7, 1, 0, 0)}},
		},
		{
			name: "future-dated transfer: a timer on its day naming the fields",
			e:    employee(contract("a", "ICT", "2025-01-01", "2026-06-30"), contract("b", "Sales", "2026-07-01", "")),
			acct: active, now: now, want: None,
			timers: []timer{{"HR change: department", at(2026, 7, 1, 0, 0)}},
		},
		{
			name: "future-dated changes are not timed without an account",
			e:    employee(contract("a", "ICT", "2025-01-01", "2026-06-30"), contract("b", "Sales", "2026-07-01", "")),
			acct: none, now: now, want: HireEnabled,
		},
		{
			name: "leave date ahead: a timer at the leave time of the last day", e: employee(contract("a", "ICT", "2025-01-01", "2026-06-30")),
			acct: active, now: now, want: None,
			timers: []timer{{"leave: disable the account", at(2026, 6, 30, 17, 0)}, {"HR change: status", at(2026, 7, 1, 0, 0)}},
		},
		{
			name: "last day before the leave time: still employed", e: employee(contract("a", "ICT", "2025-01-01", "2026-06-15")),
			acct: active, now: at(2026, 6, 15, 16, 59), want: None,
			timers: []timer{{"leave: disable the account", at(2026, 6, 15, 17, 0)}, {"HR change: status", at(2026, 6, 16, 0, 0)}},
		},
		{
			name: "last day at the leave time: exit", e: employee(contract("a", "ICT", "2025-01-01", "2026-06-15")),
			acct: active, now: at(2026, 6, 15, 17, 0), want: Exit,
			timers: []timer{{"HR change: status", at(2026, 6, 16, 0, 0)}},
		},
		{
			name: "leaver with an enabled account: exit", e: employee(contract("a", "ICT", "2025-01-01", "2026-05-31")),
			acct: active, now: now, want: Exit,
		},
		{
			name: "hire withdrawn before the start (no contracts): exit the pre-hire account", e: employee(),
			acct: pre, now: now, want: Exit,
		},
		{
			name: "leaver without a known account: look for one", e: employee(contract("a", "ICT", "2025-01-01", "2026-05-31")),
			acct: none, now: now, want: FindLeaver,
		},
		{
			name: "leaver whose account vanished: forget it", e: employee(contract("a", "ICT", "2025-01-01", "2026-05-31")),
			acct: Account{State: Missing}, now: now, want: Forget,
		},
		{
			name: "employed whose account vanished: create it again enabled", e: employee(contract("a", "ICT", "2025-01-01", "")),
			acct: Account{State: Missing}, now: now, want: HireEnabled,
		},
		{
			name: "left, inside the retention period: wait for the deletion", e: employee(contract("a", "ICT", "2025-01-01", "2026-05-31")),
			acct: left(at(2026, 5, 31, 17, 0)), now: now, want: None,
			timers: []timer{{"delete the account", at(2026, 6, 30, 17, 0)}},
		},
		{
			name: "left, deleteAfterDays passed: delete", e: employee(contract("a", "ICT", "2025-01-01", "2026-05-14")),
			acct: left(at(2026, 5, 14, 17, 0)), now: now, want: Delete,
		},
		{
			name: "left, deleteAfterDays 0: never deleted", e: employee(contract("a", "ICT", "2025-01-01", "2025-05-14")),
			acct: left(at(2025, 5, 14, 17, 0)), now: now, policy: []func(*policy.Policy){noDelete}, want: None,
		},
		{
			name: "left at an unknown moment: no deletion", e: employee(contract("a", "ICT", "2025-01-01", "2025-05-14")),
			acct: Account{State: Left}, now: now, want: None,
		},
		{
			name: "rehire inside the retention window: enable the left account",
			e:    employee(contract("a", "ICT", "2025-01-01", "2026-05-31"), contract("b", "ICT", "2026-06-15", "")),
			acct: left(at(2026, 5, 31, 17, 0)), now: now, want: Rehire,
			// Listed while the account is left; the rehire changes that.
			timers: []timer{{"delete the account", at(2026, 6, 30, 17, 0)}},
		},
		{
			name: "rehire outside the retention window: the deleted account comes back",
			e:    employee(contract("a", "ICT", "2025-01-01", "2026-01-31"), contract("b", "ICT", "2026-06-15", "")),
			acct: Account{State: Deleted}, now: now, want: Rehire,
		},
		{
			name: "rehire wins over a due deletion",
			e:    employee(contract("a", "ICT", "2025-01-01", "2026-04-30"), contract("b", "ICT", "2026-06-01", "")),
			acct: left(at(2026, 4, 30, 17, 0)), now: now, want: Rehire,
		},
		{
			name: "comeback within createDaysBeforeStart: prepare the left account, disabled",
			e:    employee(contract("a", "ICT", "2025-01-01", "2026-05-31"), contract("b", "ICT", "2026-06-22", "")),
			acct: left(at(2026, 5, 31, 17, 0)), now: now, want: RehireDisabled,
			timers: []timer{{"start: enable the account", at(2026, 6, 22, 0, 0)}, {"delete the account", at(2026, 6, 30, 17, 0)}},
		},
		{
			name: "comeback far ahead and the retention period over: delete first",
			e:    employee(contract("a", "ICT", "2025-01-01", "2026-04-30"), contract("b", "ICT", "2026-09-01", "")),
			acct: left(at(2026, 4, 30, 17, 0)), now: now, want: Delete,
			timers: []timer{{"create the account", at(2026, 8, 18, 0, 0)}, {"start: enable the account", at(2026, 9, 1, 0, 0)}},
		},
		{
			name: "a contract ends and the next starts the day after: no leave, no exit after the leave time",
			e:    employee(contract("a", "ICT", "2025-01-01", "2026-06-15"), contract("b", "Sales", "2026-06-16", "")),
			acct: active, now: at(2026, 6, 15, 18, 0), want: None,
			timers: []timer{{"HR change: department", at(2026, 6, 16, 0, 0)}},
		},
		{
			name: "two contracts at once, one ends: the leave is the later end",
			e:    employee(contract("a", "ICT", "2025-01-01", "2026-06-30"), contract("b", "Sales", "2025-03-01", "2026-08-31")),
			acct: active, now: now, want: None,
			timers: []timer{{"leave: disable the account", at(2026, 8, 31, 17, 0)}, {"HR change: ", at(2026, 7, 1, 0, 0)}, {"HR change: status", at(2026, 9, 1, 0, 0)}},
		},
		{
			name: "two contracts at once, after the first ended: still employed",
			e:    employee(contract("a", "ICT", "2025-01-01", "2026-06-30"), contract("b", "Sales", "2025-03-01", "")),
			acct: active, now: at(2026, 7, 1, 9, 0), want: None,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := testPolicy(t, tc.policy...)
			d := Due(tc.e, p, tc.acct, tc.now)
			if d.Action != tc.want {
				t.Fatalf("action = %s, want %s (employed=%t upcoming=%t)", d.Action, tc.want, d.Employed, d.Upcoming)
			}
			if len(d.Timers) != len(tc.timers) {
				t.Fatalf("timers = %+v, want %d: %+v", d.Timers, len(tc.timers), tc.timers)
			}
			var soonest time.Time
			for i, w := range tc.timers {
				got := d.Timers[i]
				if !strings.HasPrefix(got.What, w.what) || !got.At.Equal(w.at) {
					t.Errorf("timer %d = %q at %s, want %q… at %s", i, got.What, got.At, w.what, w.at)
				}
				if !got.At.After(tc.now) {
					t.Errorf("timer %d at %s is not after now %s", i, got.At, tc.now)
				}
				if soonest.IsZero() || got.At.Before(soonest) {
					soonest = got.At
				}
			}
			if !d.Next.Equal(soonest) {
				t.Errorf("next = %s, want %s", d.Next, soonest)
			}
		})
	}
}

func TestActionKinds(t *testing.T) {
	for _, tc := range []struct {
		a               Action
		enables, create bool
	}{
		{None, false, false}, {HireDisabled, false, true}, {HireEnabled, true, true}, {Activate, true, false},
		{Rehire, true, true}, {RehireDisabled, false, true}, {Exit, false, false}, {Delete, false, false},
		{FindLeaver, false, false}, {Forget, false, false},
	} {
		if tc.a.Enables() != tc.enables || tc.a.Creates() != tc.create {
			t.Errorf("%s: enables=%t creates=%t, want %t %t", tc.a, tc.a.Enables(), tc.a.Creates(), tc.enables, tc.create)
		}
	}
	if NoAccount.String() != "none" || Missing.String() != "missing" || State(42).String() != "unknown" {
		t.Errorf("state names: %s %s %s", NoAccount, Missing, State(42))
	}
}
