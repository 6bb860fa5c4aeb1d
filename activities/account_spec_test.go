package activities

import (
	"encoding/json"
	"testing"

	"github.com/entralifecycle/engine/internal/orgattr"
)

// The organisational attributes are embedded from orgattr: the spec's JSON
// form (in recorded histories and running workflows) keeps them flat, beside
// the other attributes, under the same names.
func TestAccountSpecJSONKeepsOrgAttributesFlat(t *testing.T) {
	s := AccountSpec{EmployeeID: "1", Attributes: orgattr.Attributes{JobTitle: "Engineer", CostCenter: "4100", Division: "ICT"}, UsageLocation: "NL"}
	b, err := json.Marshal(s)
	want := `{"employeeId":"1","jobTitle":"Engineer","costCenter":"4100","division":"ICT","usageLocation":"NL","enabled":false}`
	if err != nil || string(b) != want {
		t.Fatalf("%s %v, want %s", b, err, want)
	}
	var back AccountSpec
	if err := json.Unmarshal([]byte(`{"employeeId":"1","department":"Sales","companyName":"C"}`), &back); err != nil ||
		back.Department != "Sales" || back.CompanyName != "C" {
		t.Errorf("decoded %+v %v", back, err)
	}
}

// UpdateAccount takes every organisational property by its Graph name.
func TestOrgFieldsAreTheTablesProperties(t *testing.T) {
	want := []string{"jobTitle", "department", "companyName", "employeeType", "employeeOrgData"}
	if len(OrgFields) != len(want) {
		t.Fatalf("OrgFields %v, want %v", OrgFields, want)
	}
	for i := range want {
		if OrgFields[i] != want[i] {
			t.Errorf("OrgFields %v, want %v", OrgFields, want)
		}
	}
}
