package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/entralifecycle/engine/internal/config"
	"github.com/entralifecycle/engine/workflows"
)

func TestPrintGuard(t *testing.T) {
	since := time.Date(2026, 3, 10, 1, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		st   workflows.GuardState
		want []string
	}{
		{"nothing held", workflows.GuardState{MaxDisablePercent: 5, MaxRemovalPercent: 10, Managed: 200, Budget: 10, RemovalBudget: 20, Window: "24h"},
			[]string{"exits granted in the last 24h: 0 of a budget of 10 (5% of 200 managed accounts)",
				"removals of managed access granted in the last 24h: 0 of a budget of 20 (10% of 200 managed accounts)",
				"no exit waits for approval", "no removal waits for approval"}},
		{"both kinds held", workflows.GuardState{MaxDisablePercent: 5, MaxRemovalPercent: 10, Managed: 20, Budget: 1, RemovalBudget: 2,
			Removals: []workflows.GuardGrant{{EmployeeID: "1101"}, {EmployeeID: "1102"}},
			Held: []workflows.GuardHeld{
				{EmployeeID: "1001", Kind: workflows.GuardKindExit, Since: since, Reason: "leaves at 2026-03-06T16:00:00Z"},
				{EmployeeID: "1103", Kind: workflows.GuardKindRemoval, Since: since, Reason: "removes group:Sales"},
			}},
			[]string{"exits granted in the last 24h: 0 of a budget of 1", "removals of managed access granted in the last 24h: 2 of a budget of 2",
				"1 exit(s) wait for approval", "1 removal(s) wait for approval", "EMPLOYEE  KIND", "1103      removal  2026-03-10T01:00:00Z  removes group:Sales",
				"1001      exit"}},
	}
	for _, tc := range cases {
		var out bytes.Buffer
		if err := printGuard(&out, tc.st, false); err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%s: output lacks %q:\n%s", tc.name, w, out.String())
			}
		}
	}
}

func TestGuardDecideRefusesUnknownKind(t *testing.T) {
	err := cmdGuard(t.Context(), nil, config.Starter{}, []string{"approve", "--all", "--kind", "exits"}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), `--kind "exits": want exit or removal`) {
		t.Errorf("error %v", err)
	}
}
