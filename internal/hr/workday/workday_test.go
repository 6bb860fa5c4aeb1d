package workday

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/entralifecycle/engine/internal/hr"
)

// report is a RaaS custom report in JSON: {"Report_Entry":[…]} with the
// report's column aliases; Basic authentication; format=json required.
const report = `{"Report_Entry":[
 {"Worker_ID":"21001","Legal_Name_First_Name":"Sanne","Legal_Name_Last_Name":"Visser","Email_Work":"sanne.visser@contoso.example",
  "Position_ID":"P-1","Hire_Date":"2019-04-01-07:00","Job_Profile_ID":"JP-10","Business_Title":"HR Partner",
  "Supervisory_Organization_ID":"SUP-HR","Supervisory_Organization":"Human Resources","Cost_Center":"2100","Company":"Contoso B.V.",
  "Worker_Type":"Employee","FTE":"1"},
 {"Worker_ID":"21002","Legal_Name_First_Name":"Daan","Legal_Name_Last_Name":"Meijer","Preferred_Name_First_Name":"Daantje",
  "Position_ID":"P-2","Hire_Date":"2022-01-10-08:00","Termination_Date":"2025-09-30-07:00","Job_Profile_ID":"JP-20",
  "Business_Title":"Engineer","Supervisory_Organization_ID":"SUP-ICT","Supervisory_Organization":"ICT","Manager_Employee_ID":"21001","FTE":0.8},
 {"Worker_ID":"21002","Legal_Name_First_Name":"Daan","Legal_Name_Last_Name":"Meijer","Preferred_Name_First_Name":"Daantje",
  "Position_ID":"P-3","Hire_Date":"2025-06-01","Job_Profile_ID":"JP-21","Business_Title":"Lead Engineer",
  "Supervisory_Organization_ID":"SUP-ICT","Supervisory_Organization":"ICT","Manager_Employee_ID":"21001","FTE":0.2},
 {"Worker_ID":"21003","Legal_Name_First_Name":"Bo","Legal_Name_Last_Name":"Kok","Position_ID":"P-4","Hire_Date":{"id":"x"}},
 {"Worker_ID":"21004","Legal_Name_First_Name":"Mo","Legal_Name_Last_Name":"Ali","Position_ID":"P-5","Hire_Date":"2024-02-30"}
]}`

func newSource(t *testing.T, password string, cols map[string]string) (*Source, *int) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		u, p, ok := r.BasicAuth()
		if !ok || u != "ISU_lifecycle" || p != "pw" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if r.URL.Path != "/ccx/service/customreport2/contoso/ISU_lifecycle/Lifecycle_Workers" || r.URL.Query().Get("format") != "json" {
			w.WriteHeader(404)
			return
		}
		w.Write([]byte(report))
	}))
	t.Cleanup(srv.Close)
	s, err := New(Config{ReportURL: srv.URL + "/ccx/service/customreport2/contoso/ISU_lifecycle/Lifecycle_Workers",
		Username: "ISU_lifecycle", Password: password, Columns: cols},
		WithHTTPClient(srv.Client()), WithSleep(func(context.Context, time.Duration) error { return nil }))
	if err != nil {
		t.Fatal(err)
	}
	return s, &calls
}

func TestSnapshotFromReport(t *testing.T) {
	cols, err := ParseColumns("employeeId=Worker_ID")
	if err != nil {
		t.Fatal(err)
	}
	s, _ := newSource(t, "pw", cols)
	snap, err := s.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Employees) != 2 || len(snap.Rejected) != 2 {
		t.Fatalf("employees %+v rejected %+v", snap.Employees, snap.Rejected)
	}
	if snap.Rejected[0].EmployeeID != "21003" || snap.Rejected[1].EmployeeID != "21004" || !strings.Contains(snap.Rejected[1].Reason, "Hire_Date") {
		t.Errorf("rejected %+v", snap.Rejected)
	}
	daan, _ := snap.Find("21002")
	v := daan.ViewOn(hr.MustParseDate("2025-07-01"))
	// Two positions overlap: the longer-running (P-2) is primary.
	if v.Primary.ID != "P-2" || len(v.ActiveContracts) != 2 || v.ManagerEmployeeID != "21001" || v.Department != "SUP-ICT" ||
		v.LeaveDate != nil || v.EmploymentStart.String() != "2022-01-10" || daan.PreferredName != "Daantje" {
		t.Errorf("21002 view %+v", v)
	}
	if len(v.FutureChanges) != 2 || v.FutureChanges[0].Date.String() != "2025-10-01" || v.FutureChanges[0].Field != hr.FieldJobCode || v.FutureChanges[0].New != "JP-21" {
		t.Errorf("21002 future changes %+v", v.FutureChanges)
	}
	sanne, _ := snap.Find("21001")
	if sanne.WorkEmail != "sanne.visser@contoso.example" || sanne.Contracts[0].Start.String() != "2019-04-01" {
		t.Errorf("21001 = %+v", sanne)
	}
}

func TestUnauthorizedNamesTheSettings(t *testing.T) {
	s, _ := newSource(t, "wrong", map[string]string{ColEmployeeID: "Worker_ID"})
	_, err := s.Snapshot(context.Background())
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "LIFECYCLE_WORKDAY_PASSWORD") || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("error %v", err)
	}
}

func TestConfig(t *testing.T) {
	if _, err := ParseColumns("nope=X"); err == nil {
		t.Error("unknown column key accepted")
	}
	if _, err := New(Config{ReportURL: "https://wd2-impl-services1.workday.com/ccx/service/customreport2/t/o/r"}); err == nil || !strings.Contains(err.Error(), "LIFECYCLE_WORKDAY_USERNAME") {
		t.Errorf("New without credentials: %v", err)
	}
	if _, err := New(Config{}); err == nil || !strings.Contains(err.Error(), "LIFECYCLE_WORKDAY_REPORT_URL") {
		t.Errorf("New without URL: %v", err)
	}
}

func FuzzBuild(f *testing.F) {
	var rep struct{ Report_Entry []json.RawMessage }
	json.Unmarshal([]byte(report), &rep)
	b, _ := json.Marshal(rep.Report_Entry)
	f.Add(b)
	f.Add([]byte(`[{"Employee_ID":"1","Hire_Date":"2020-01-01+01:00","FTE":"x"},{"Employee_ID":[1]},null,1]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var rows []json.RawMessage
		if json.Unmarshal(data, &rows) != nil {
			return
		}
		emps, _ := Build(rows, DefaultColumns)
		for _, e := range hr.Validate(hr.Snapshot{Employees: emps}).Employees {
			_ = e.ViewOn(hr.MustParseDate("2025-06-01"))
		}
	})
}

func TestMultiInstanceColumns(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "report_multi_instance.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Source      string            `json:"_source"`
		ReportEntry []json.RawMessage `json:"Report_Entry"`
	}
	if err := json.Unmarshal(raw, &rep); err != nil || rep.Source == "" {
		t.Fatalf("fixture: %v (a fixture names its source in _source)", err)
	}
	cols, err := ParseColumns("employeeId=Employee_ID,workEmail=Email_Addresses/Email_Address,costCenter=Cost_Center")
	if err != nil {
		t.Fatal(err)
	}
	emps, rejected := Build(rep.ReportEntry, cols)
	got := map[string]hr.Employee{}
	for _, e := range emps {
		got[e.EmployeeID] = e
	}
	// Phone_Numbers and Organizations are arrays the mapping does not use: no rejection.
	sanne, ok := got["31001"]
	if !ok {
		t.Fatalf("31001 rejected: %+v", rejected)
	}
	if sanne.WorkEmail != "sanne.visser@contoso.example" {
		t.Errorf("work e-mail %q: want the element marked Primary", sanne.WorkEmail)
	}
	if c := sanne.Contracts[0]; c.EmployeeType != "Employee" || c.CostCenter != "2100 People" {
		t.Errorf("object columns: type %q, cost center %q (want the Descriptor)", c.EmployeeType, c.CostCenter)
	}
	daan := got["31002"]
	if daan.WorkEmail != "daan.meijer@contoso.example" || daan.Contracts[0].CostCenter != "" || daan.Contracts[0].EmployeeType != "Contingent Worker" {
		t.Errorf("31002: %+v", daan)
	}
	// A used column that is an object without Descriptor / ID rejects the worker, naming the column.
	if _, ok := got["31003"]; ok || len(rejected) != 1 || rejected[0].EmployeeID != "31003" ||
		!strings.Contains(rejected[0].Reason, "Worker_Type is an object without Descriptor or ID") {
		t.Errorf("rejected %+v", rejected)
	}
}

func TestValueRule(t *testing.T) {
	entry := map[string]json.RawMessage{
		"S": json.RawMessage(`"text"`), "N": json.RawMessage(`0.5`), "B": json.RawMessage(`true`), "Null": json.RawMessage(`null`),
		"Arr":     json.RawMessage(`["a","b"]`),
		"Empty":   json.RawMessage(`[]`),
		"Objs":    json.RawMessage(`[{"V":"x","Is_Primary":"0"},{"V":"y","Is_Primary":"Y"}]`),
		"Ref":     json.RawMessage(`{"ID":"R-1"}`),
		"Deep":    json.RawMessage(`[[1]]`),
		"Plain":   json.RawMessage(`{"Other":"z"}`),
		"NotObj":  json.RawMessage(`"flat"`),
		"ObjNull": json.RawMessage(`{"V":null}`),
	}
	tests := []struct{ alias, want, err string }{
		{"S", "text", ""}, {"N", "0.5", ""}, {"B", "true", ""}, {"Null", "", ""}, {"Missing", "", ""},
		{"Arr", "a", ""}, {"Empty", "", ""}, {"Objs/V", "y", ""}, {"Ref", "R-1", ""}, {"Missing/V", "", ""},
		{"ObjNull/V", "", ""}, {"Deep", "", "nested arrays"}, {"Plain", "", "without Descriptor or ID"},
		{"NotObj/V", "", "want an object"},
	}
	for _, tc := range tests {
		got, err := Value(entry, tc.alias)
		if got != tc.want || (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("Value(%s) = %q, %v; want %q, %q", tc.alias, got, err, tc.want, tc.err)
		}
	}
}
