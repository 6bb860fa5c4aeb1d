package graphsim

import (
	"strings"
	"testing"
)

// TestUserLengthAndCharacterLimits follows the maximum lengths in the property
// table of https://learn.microsoft.com/graph/api/resources/user#properties (the
// same text is in msgraph-sdk-go models/user.go): employeeId 16; givenName,
// surname, department, companyName, mailNickname 64; jobTitle 128; displayName
// 256; and "can't contain accent characters" for mail and userPrincipalName.
// Entra answers 400 Request_BadRequest "Invalid value specified for property
// 'employeeId' of resource 'User'." for a value it refuses.
func TestUserLengthAndCharacterLimits(t *testing.T) {
	e, ids := seeded(t)
	piet := ids.Users["piet.jansen@contoso.example"]
	cases := []struct {
		prop   string
		max    int
		letter string
	}{
		{"employeeId", 16, "1"},
		{"givenName", 64, "é"}, // length counts characters, not bytes
		{"surname", 64, "a"},
		{"department", 64, "a"},
		{"companyName", 64, "a"},
		{"jobTitle", 128, "a"},
		{"displayName", 256, "a"},
	}
	for _, tc := range cases {
		t.Run(tc.prop, func(t *testing.T) {
			e.must(204, "PATCH", "/users/"+piet, map[string]any{tc.prop: strings.Repeat(tc.letter, tc.max)})
			r := e.do("PATCH", "/users/"+piet, map[string]any{tc.prop: strings.Repeat(tc.letter, tc.max+1)})
			want := "Invalid value specified for property '" + tc.prop + "' of resource 'User'."
			if r.status != 400 || r.errCode() != "Request_BadRequest" || r.errMessage() != want {
				t.Fatalf("PATCH %s of %d: %d %s", tc.prop, tc.max+1, r.status, r.raw)
			}
			body := newUserBody("limit." + strings.ToLower(tc.prop))
			body[tc.prop] = strings.Repeat(tc.letter, tc.max+1)
			if r := e.do("POST", "/users", body); r.status != 400 || r.errMessage() != want {
				t.Fatalf("POST with long %s: %d %s", tc.prop, r.status, r.raw)
			}
		})
	}
	// mailNickname longer than 64.
	long := newUserBody(strings.Repeat("n", 65))
	long["userPrincipalName"] = "n65@contoso.example"
	if r := e.do("POST", "/users", long); r.status != 400 || !strings.Contains(r.errMessage(), "'mailNickname'") {
		t.Errorf("65-character mailNickname: %d %s", r.status, r.raw)
	}
	// Accented mail and UPN.
	if r := e.do("PATCH", "/users/"+piet, map[string]any{"mail": "piet.jansén@contoso.example"}); r.status != 400 ||
		r.errMessage() != "Invalid value specified for property 'mail' of resource 'User'." {
		t.Errorf("accented mail: %d %s", r.status, r.raw)
	}
	accUPN := newUserBody("zoe")
	accUPN["userPrincipalName"] = "zoë@contoso.example"
	if r := e.do("POST", "/users", accUPN); r.status != 400 || r.errCode() != "Request_BadRequest" || !strings.Contains(r.errMessage(), "userPrincipalName") {
		t.Errorf("accented UPN: %d %s", r.status, r.raw)
	}
	// Nothing was changed by the refused writes.
	u, _ := e.sim.User(piet)
	if u["mail"] != "piet.jansen@contoso.example" || len(u["employeeId"].(string)) != 16 {
		t.Errorf("user after refused writes: mail %v employeeId %v", u["mail"], u["employeeId"])
	}
}
