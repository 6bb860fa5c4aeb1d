package file

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/entralifecycle/engine/internal/hr"
)

// checkAccepted asserts what every consumer of a validated snapshot relies
// on: accepted employees have usable, unique ids, pass the single-record
// checks, and their effective view can be computed.
func checkAccepted(t *testing.T, snap hr.Snapshot) hr.Snapshot {
	t.Helper()
	v := hr.Validate(snap)
	seen := map[string]bool{}
	for _, e := range v.Employees {
		if !hr.ValidID(e.EmployeeID) || seen[e.EmployeeID] {
			t.Fatalf("accepted employee id %q is unusable or duplicated", e.EmployeeID)
		}
		seen[e.EmployeeID] = true
		if reasons := hr.ValidateEmployee(e); len(reasons) > 0 {
			t.Fatalf("accepted employee %q fails its own checks: %v", e.EmployeeID, reasons)
		}
		_ = e.ViewOn(hr.MustParseDate("2025-06-01"))
	}
	return v
}

// sameEmployees compares two employee lists, an empty list equal to none.
func sameEmployees(a, b []hr.Employee) bool {
	return len(a) == 0 && len(b) == 0 || reflect.DeepEqual(a, b)
}

// FuzzSnapshotJSON feeds arbitrary bytes to the JSON parser: it must never
// panic, what validation accepts must hold its invariants, and an accepted
// snapshot written back as JSON must parse to the same employees. Seeds are
// in testdata/fuzz/FuzzSnapshotJSON.
func FuzzSnapshotJSON(f *testing.F) {
	f.Add([]byte(doc))
	f.Fuzz(func(t *testing.T, data []byte) {
		snap, err := ParseJSON(data)
		if err != nil {
			return
		}
		v := checkAccepted(t, snap)
		out, err := json.Marshal(hr.Snapshot{Employees: append([]hr.Employee{}, v.Employees...)})
		if err != nil {
			t.Fatalf("accepted snapshot does not marshal: %v", err)
		}
		back, err := ParseJSON(out)
		if err != nil || len(back.Rejected) != 0 {
			t.Fatalf("accepted snapshot does not parse back: %v %+v", err, back.Rejected)
		}
		if !sameEmployees(hr.Validate(back).Employees, v.Employees) {
			t.Fatalf("JSON round trip changed the employees:\n%+v\n%+v", v.Employees, back.Employees)
		}
	})
}

// FuzzSnapshotCSV does the same for the CSV parser, with a CSV round trip
// (WriteCSV then ParseCSV) of the accepted employees. Seeds are in
// testdata/fuzz/FuzzSnapshotCSV.
func FuzzSnapshotCSV(f *testing.F) {
	f.Add("employeeId,givenName,familyName,contractId,start,end,fte\n1,An,Vos,1-1,2025-01-01,,0.5\n")
	f.Fuzz(func(t *testing.T, data string) {
		snap, err := ParseCSV(strings.NewReader(data))
		if err != nil {
			return
		}
		v := checkAccepted(t, snap)
		var buf bytes.Buffer
		if err := WriteCSV(&buf, v.Employees); err != nil {
			t.Fatalf("accepted employees do not write as CSV: %v", err)
		}
		back, err := ParseCSV(&buf)
		if err != nil || len(back.Rejected) != 0 {
			t.Fatalf("written CSV does not parse back: %v %+v\n%s", err, back.Rejected, buf.String())
		}
		if got := hr.Validate(back).Employees; !sameEmployees(got, v.Employees) {
			t.Fatalf("CSV round trip changed the employees:\n%+v\n%+v", v.Employees, got)
		}
	})
}
