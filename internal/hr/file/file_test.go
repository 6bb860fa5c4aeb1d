package file

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/entralifecycle/engine/internal/hr"
)

const doc = `{
  "employees": [
    {"employeeId": "1001", "givenName": "Jan", "prefix": "de", "familyName": "Vries", "preferredName": "Jan",
     "partnerPrefix": "", "partnerFamilyName": "", "nameUsage": "own",
     "contracts": [
       {"id": "1001-1", "start": "2025-03-01", "end": null, "jobCode": "F045", "jobTitle": "Systeembeheerder",
        "department": "ICT", "departmentName": "ICT Beheer", "costCenter": "4130", "company": "Contoso B.V.",
        "managerEmployeeId": "1003", "employeeType": "Employee", "fte": 0.9}
     ]},
    {"employeeId": "1003", "givenName": "Els", "familyName": "Bakker", "nameUsage": "own",
     "contracts": [{"id": "1003-1", "start": "2020-01-01", "department": "ICT", "jobCode": "M01", "fte": 1}]},
    {"employeeId": "1004", "givenName": "Piet", "familyName": "Jansen",
     "contracts": [{"id": "1004-1", "start": "2025-02-30", "department": "ICT"}]},
    {"employeeId": "1010", "givenName": "Sanne", "familyName": "Visser",
     "contracts": [{"id": "1010-1", "start": "2024-05-01", "end": "2025-04-30", "department": "HR", "managerEmployeeId": "1003"}]}
  ],
  "replacements": [
    {"id": "r-17", "substituteEmployeeId": "1010", "replacedEmployeeId": "1001", "start": "2025-03-10", "end": "2025-04-01"}
  ]
}`

func TestJSONSnapshotAndViews(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hr.json")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	src, err := New(Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := src.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Employees) != 3 {
		t.Fatalf("employees = %d, want 3 (1004 has an impossible date)", len(snap.Employees))
	}
	if len(snap.Rejected) != 1 || snap.Rejected[0].EmployeeID != "1004" || !strings.Contains(snap.Rejected[0].Reason, "2025-02-30") {
		t.Fatalf("rejected = %+v, want 1004 with the bad date named", snap.Rejected)
	}
	if len(snap.Replacements) != 1 || snap.Replacements[0].End.String() != "2025-04-01" {
		t.Errorf("replacements = %+v", snap.Replacements)
	}
	ams, _ := time.LoadLocation("Europe/Amsterdam")
	at := time.Date(2025, 3, 15, 9, 0, 0, 0, ams)
	jan, _ := snap.Find("1001")
	v := jan.ViewAt(at, ams)
	if v.Status != hr.StatusActive || v.Department != "ICT" || v.ManagerEmployeeID != "1003" || v.JobTitle != "Systeembeheerder" || v.LeaveDate != nil {
		t.Errorf("view of 1001 = %+v", v)
	}
	sanne, _ := snap.Find("1010")
	v = sanne.ViewAt(at, ams)
	if v.LeaveDate == nil || v.LeaveDate.String() != "2025-04-30" || len(v.FutureChanges) != 1 || v.FutureChanges[0].New != "left" {
		t.Errorf("view of 1010 = %+v", v)
	}

	if _, err := src.Employee(context.Background(), "1004"); !errors.As(err, new(*hr.RejectedError)) {
		t.Errorf("Employee(1004) err = %v, want RejectedError", err)
	}
	if _, err := src.Employee(context.Background(), "9999"); !errors.Is(err, hr.ErrNotFound) {
		t.Errorf("Employee(9999) err = %v, want ErrNotFound", err)
	}
	if err := src.WriteBack(context.Background(), "1001", hr.WorkContact{Email: "x@y"}); !errors.Is(err, hr.ErrUnsupported) {
		t.Errorf("WriteBack err = %v, want ErrUnsupported", err)
	}
}

func TestJSONDocumentErrors(t *testing.T) {
	for _, in := range []string{``, `[]`, `{"people": []}`, `{"employees": 3}`} {
		if _, err := ParseJSON([]byte(in)); err == nil {
			t.Errorf("ParseJSON(%q) accepted", in)
		}
	}
	snap, err := ParseJSON([]byte(`{"employees": [{"employeeId": 12}, {"employeeId": "2", "givenName": "A", "familyName": "B"}]}`))
	if err != nil || len(snap.Employees) != 1 || len(snap.Rejected) != 1 {
		t.Errorf("ParseJSON with one bad record = %+v, %v", snap, err)
	}
}

func TestNewConfigErrors(t *testing.T) {
	if _, err := New(Config{}); err == nil || !strings.Contains(err.Error(), "LIFECYCLE_HR_FILE") {
		t.Errorf("New without path: %v", err)
	}
	if _, err := New(Config{Path: "x.json", Format: "xml"}); err == nil || !strings.Contains(err.Error(), "LIFECYCLE_HR_FILE_FORMAT") {
		t.Errorf("New with bad format: %v", err)
	}
	src, _ := New(Config{Path: filepath.Join(t.TempDir(), "missing.json")})
	if _, err := src.Snapshot(context.Background()); err == nil || !strings.Contains(err.Error(), "LIFECYCLE_HR_FILE") {
		t.Errorf("missing file: %v", err)
	}
}

func TestCSV(t *testing.T) {
	sheet := "\uFEFFemployeeId;givenName;prefix;familyName;nameUsage;contractId;start;end;department;jobCode;managerEmployeeId;fte\n" +
		"2001;Anouk;van der;Berg;own;2001-1;2024-01-01;;Sales;S1;;1,0\n" +
		"2002;Bram;;Smit;own;2002-1;2023-01-01;2025-06-30;Sales;S2;2001;0,5\n" +
		"2002;Bram;;Smit;own;2002-2;2025-07-01;;ICT;F1;2001;0,8\n" +
		"\n" +
		"2003;Chris;;Mulder;own;2003-1;01-01-2024;;ICT;F1;2001;1\n" +
		"2004;Dana;;Kok;own;2004-1;2024-01-01;;ICT;F1;2001;1\n" +
		"2004;Dana;;Koks;own;2004-2;2024-02-01;;ICT;F1;2001;1\n"
	src, err := New(Config{Path: "sheet.csv"}, WithLoader("sheet.csv", func(context.Context) ([]byte, error) { return []byte(sheet), nil }))
	if err != nil {
		t.Fatal(err)
	}
	snap, err := src.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Employees) != 2 {
		t.Fatalf("employees = %+v", snap.Employees)
	}
	bram, ok := snap.Find("2002")
	if !ok || len(bram.Contracts) != 2 || bram.Contracts[0].FTE != 0.5 || bram.Contracts[0].End.String() != "2025-06-30" || bram.Contracts[1].End != nil {
		t.Fatalf("2002 = %+v", bram)
	}
	v := bram.ViewOn(hr.MustParseDate("2025-06-01"))
	if v.Department != "Sales" || len(v.FutureChanges) == 0 || v.FutureChanges[0].Date.String() != "2025-07-01" || v.FutureChanges[0].New != "ICT" {
		t.Errorf("view of 2002 = %+v", v)
	}
	anouk, _ := snap.Find("2001")
	if anouk.Prefix != "van der" {
		t.Errorf("prefix = %q", anouk.Prefix)
	}
	reasons := map[string]string{}
	for _, r := range snap.Rejected {
		reasons[r.EmployeeID] = r.Reason
	}
	if !strings.Contains(reasons["2003"], "line 6: start") {
		t.Errorf("2003 rejection = %q", reasons["2003"])
	}
	if !strings.Contains(reasons["2004"], "familyName") {
		t.Errorf("2004 rejection = %q", reasons["2004"])
	}
}

func TestCSVRoundTrip(t *testing.T) {
	snap, err := ParseJSON([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, snap.Employees); err != nil {
		t.Fatal(err)
	}
	back, err := ParseCSV(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Employees) != len(snap.Employees) || len(back.Rejected) != 0 {
		t.Fatalf("round trip: %d employees, rejected %+v", len(back.Employees), back.Rejected)
	}
	for i := range back.Employees {
		a, b := snap.Employees[i], back.Employees[i]
		if a.FullName() != b.FullName() || len(a.Contracts) != len(b.Contracts) || a.Contracts[0].Start != b.Contracts[0].Start ||
			a.Contracts[0].FTE != b.Contracts[0].FTE || a.Contracts[0].ManagerEmployeeID != b.Contracts[0].ManagerEmployeeID {
			t.Errorf("round trip changed %+v into %+v", a, b)
		}
	}
}

func TestCSVHeaderErrors(t *testing.T) {
	for _, in := range []string{"", "givenName,familyName\nA,B\n", "employeeId,givenName\n1,A\n"} {
		if _, err := ParseCSV(strings.NewReader(in)); err == nil {
			t.Errorf("ParseCSV(%q) accepted", in)
		}
	}
}

func FuzzParseJSON(f *testing.F) {
	f.Add([]byte(doc))
	f.Add([]byte(`{"employees":[{"employeeId":"1","contracts":[{"start":"2025-01-01","end":"2024-01-01"}]}]}`))
	f.Add([]byte(`{"employees":[null,{},{"contracts":null}],"replacements":[{"start":"x"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		snap, err := ParseJSON(data)
		if err != nil {
			return
		}
		v := hr.Validate(snap)
		for _, e := range v.Employees {
			_ = e.ViewOn(hr.MustParseDate("2025-06-01"))
		}
	})
}

func FuzzParseCSV(f *testing.F) {
	f.Add("employeeId,start,end,fte\n1,2025-01-01,,0.5\n")
	f.Add("employeeId;start;end;fte;managerEmployeeId\n1;2025-01-01;2024-01-01;x;1\n2;\"2025\n")
	f.Fuzz(func(t *testing.T, data string) {
		snap, err := ParseCSV(strings.NewReader(data))
		if err != nil {
			return
		}
		v := hr.Validate(snap)
		for _, e := range v.Employees {
			_ = e.ViewOn(hr.MustParseDate("2025-06-01"))
		}
	})
}
