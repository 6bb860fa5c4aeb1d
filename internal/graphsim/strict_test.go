package graphsim

import (
	"strings"
	"testing"
)

// TestStrictErrors checks that the simulator refuses what Entra ID refuses,
// with Entra's status, error code and message.
func TestStrictErrors(t *testing.T) {
	e, ids := seeded(t)
	jan := ids.Users["jan.devries@contoso.example"]
	piet := ids.Users["piet.jansen@contoso.example"]
	anna := ids.Users["anna.bakker@contoso.example"]
	staff := ids.Groups["All Staff"]
	e3 := ids.SKUs["SPE_E3"]
	sf := ids.ServicePrincipals["Salesforce"]
	role := "7ac6a3c1-6e1f-4d59-8a40-6b2c3e3b5a01"

	// State the cases rely on: Jan is a member of All Staff, holds one of the
	// two E3 seats and has the Salesforce role.
	e.must(204, "POST", "/groups/"+staff+"/members/$ref", ref(e, "directoryObjects", jan))
	e.must(200, "POST", "/users/"+jan+"/assignLicense", map[string]any{"addLicenses": []any{map[string]any{"skuId": e3}}, "removeLicenses": []any{}})
	e.must(200, "POST", "/users/"+anna+"/assignLicense", map[string]any{"addLicenses": []any{map[string]any{"skuId": e3}}, "removeLicenses": []any{}})
	e.must(201, "POST", "/users/"+jan+"/appRoleAssignments", map[string]any{"principalId": jan, "resourceId": sf, "appRoleId": role})
	e.must(204, "PATCH", "/users/"+piet, map[string]any{"usageLocation": "NL"}) // so the seat check is what fails below

	tooMany := make([]any, 21)
	for i := range tooMany {
		tooMany[i] = map[string]any{"id": strings.Repeat("x", i+1), "method": "GET", "url": "/users"}
	}
	bind := make([]any, 21)
	for i := range bind {
		bind[i] = e.graph() + "/directoryObjects/" + newGUID()
	}

	dupUPN := newUserBody("other")
	dupUPN["userPrincipalName"] = "jan.devries@contoso.example"
	dupNick := newUserBody("jan.devries")
	dupNick["userPrincipalName"] = "someone.else@contoso.example"
	badDomain := newUserBody("x1")
	badDomain["userPrincipalName"] = "x1@fabrikam.example"
	noPassword := newUserBody("x2")
	delete(noPassword, "passwordProfile")
	unknownProp := newUserBody("x3")
	unknownProp["favouriteColour"] = "blue"

	cases := []struct {
		name    string
		method  string
		path    string
		body    any
		headers []string
		status  int
		code    string
		msg     string // substring of error.message
	}{
		// https://learn.microsoft.com/graph/api/user-post-users — userPrincipalName must be unique;
		// Entra answers 400 Request_BadRequest "Another object with the same value for property
		// userPrincipalName already exists." (details target userPrincipalName, code ObjectConflict).
		{"duplicate UPN on create", "POST", "/users", dupUPN, nil, 400, "Request_BadRequest", "property userPrincipalName already exists"},
		{"duplicate UPN on update", "PATCH", "/users/" + piet, map[string]any{"userPrincipalName": "JAN.DEVRIES@contoso.example"}, nil, 400, "Request_BadRequest", "property userPrincipalName already exists"},
		{"duplicate mailNickname", "POST", "/users", dupNick, nil, 400, "Request_BadRequest", "property mailNickname already exists"},
		// Proxy addresses are unique tenant-wide (https://learn.microsoft.com/entra/identity/users/licensing-groups-resolve-problems#duplicate-proxy-addresses).
		{"mail taken as a proxy address", "PATCH", "/users/" + piet, map[string]any{"mail": "jan.devries@contoso.example"}, nil, 400, "Request_BadRequest", "property proxyAddresses already exists"},
		// https://learn.microsoft.com/graph/api/user-post-users#request-body — the UPN domain must be a verified domain.
		{"UPN on unverified domain", "POST", "/users", badDomain, nil, 400, "Request_BadRequest", "verified domain names"},
		{"required passwordProfile missing", "POST", "/users", noPassword, nil, 400, "Request_BadRequest", "'passwordProfile'"},
		{"unknown property", "POST", "/users", unknownProp, nil, 400, "Request_BadRequest", "favouriteColour"},
		{"read-only property", "PATCH", "/users/" + piet, map[string]any{"proxyAddresses": []any{"SMTP:a@contoso.example"}}, nil, 400, "Request_BadRequest", "read-only"},
		{"invalid usageLocation", "PATCH", "/users/" + piet, map[string]any{"usageLocation": "Netherlands"}, nil, 400, "Request_BadRequest", "usageLocation"},
		{"malformed JSON", "POST", "/users", "{not json", nil, 400, "BadRequest", "Unable to read JSON request payload"},
		// https://learn.microsoft.com/graph/api/user-get — unknown id.
		{"unknown user", "GET", "/users/" + newGUID(), nil, nil, 404, "Request_ResourceNotFound", "does not exist"},
		// https://learn.microsoft.com/graph/api/user-assignlicense — a body with both
		// addLicenses and removeLicenses is required (usageLocation: TestLicenceNeedsUsageLocation).
		{"assignLicense without body", "POST", "/users/" + anna + "/assignLicense", nil, nil, 400, "BadRequest", "Empty Payload"},
		{"licence needs both lists", "POST", "/users/" + piet + "/assignLicense", map[string]any{"addLicenses": []any{map[string]any{"skuId": e3}}}, nil, 400, "Request_BadRequest", "removeLicenses"},
		{"unknown SKU", "POST", "/users/" + piet + "/assignLicense", map[string]any{"addLicenses": []any{map[string]any{"skuId": newGUID()}}, "removeLicenses": []any{}}, nil, 400, "Request_BadRequest", "valid company License"},
		// https://learn.microsoft.com/entra/identity/users/licensing-groups-resolve-problems#not-enough-licenses
		// — both E3 seats are taken (Jan, Anna).
		{"no seats left", "POST", "/users/" + piet + "/assignLicense", map[string]any{"addLicenses": []any{map[string]any{"skuId": e3}}, "removeLicenses": []any{}}, nil, 400, "Request_BadRequest", "does not have any available licenses"},
		{"remove licence the user lacks", "POST", "/users/" + piet + "/assignLicense", map[string]any{"addLicenses": []any{}, "removeLicenses": []any{e3}}, nil, 400, "Request_BadRequest", "does not have a corresponding license"},
		// https://learn.microsoft.com/graph/api/group-post-members#response — 400 when already a member.
		{"add existing member", "POST", "/groups/" + staff + "/members/$ref", ref(e, "directoryObjects", jan), nil, 400, "Request_BadRequest",
			"One or more added object references already exist for the following modified properties: 'members'."},
		{"bind existing member", "PATCH", "/groups/" + staff, map[string]any{"members@odata.bind": []any{e.graph() + "/directoryObjects/" + jan}}, nil, 400, "Request_BadRequest", "already exist"},
		// https://learn.microsoft.com/graph/api/group-post-members example 2 — at most 20 per request.
		{"bind more than 20", "PATCH", "/groups/" + staff, map[string]any{"members@odata.bind": bind}, nil, 400, "Request_BadRequest", "at most 20"},
		// https://learn.microsoft.com/graph/api/group-post-members#response — 404 when the object does not exist.
		{"add unknown object", "POST", "/groups/" + staff + "/members/$ref", ref(e, "directoryObjects", newGUID()), nil, 404, "Request_ResourceNotFound", "does not exist"},
		// https://learn.microsoft.com/graph/api/group-delete-members — removing a non-member is 404.
		{"remove non-member", "DELETE", "/groups/" + staff + "/members/" + piet + "/$ref", nil, nil, 404, "Request_ResourceNotFound", "does not exist"},
		{"remove unknown id", "DELETE", "/groups/" + staff + "/members/" + newGUID() + "/$ref", nil, nil, 404, "Request_ResourceNotFound", "does not exist"},
		{"remove from unknown group", "DELETE", "/groups/" + newGUID() + "/members/" + jan + "/$ref", nil, nil, 404, "Request_ResourceNotFound", "does not exist"},
		// https://learn.microsoft.com/graph/filter-query-parameter — syntax errors are 400 "Invalid filter clause".
		{"malformed filter", "GET", "/users?$filter=employeeId%20eq%20'1001", nil, nil, 400, "BadRequest", "Invalid filter clause"},
		{"filter missing operand", "GET", "/users?$filter=employeeId%20eq", nil, nil, 400, "BadRequest", "Invalid filter clause"},
		// A boolean compared with a string is a type error, as Graph reports it.
		{"filter type mismatch", "GET", "/users?$filter=accountEnabled%20eq%20'true'", nil, nil, 400, "BadRequest", "incompatible types"},
		{"filter unknown property", "GET", "/users?$filter=shoeSize%20eq%20'42'", nil, nil, 400, "Request_UnsupportedQuery", "shoeSize"},
		// https://learn.microsoft.com/graph/aad-advanced-queries — ne / endsWith need ConsistencyLevel + $count.
		{"ne without advanced query", "GET", "/users?$filter=employeeId%20ne%20'1001'", nil, nil, 400, "Request_UnsupportedQuery", "Unsupported Query"},
		{"endswith without advanced query", "GET", "/users?$filter=endswith(mail,'@contoso.example')", nil, nil, 400, "Request_UnsupportedQuery", "Unsupported Query"},
		// https://learn.microsoft.com/graph/query-parameters#count-parameter — the /$count segment needs ConsistencyLevel: eventual
		// ($count=true without it is ignored: TestQueryAlignments).
		{"$count segment without ConsistencyLevel", "GET", "/users/$count", nil, nil, 400, "Request_BadRequest", "$count is not currently supported."},
		// https://learn.microsoft.com/graph/paging — $top is 1..999 for directory objects.
		{"top above 999", "GET", "/users?$top=1000", nil, nil, 400, "Request_UnsupportedQuery", "Invalid page size"},
		{"unknown $select property", "GET", "/users?$select=shoeSize", nil, nil, 400, "BadRequest", "shoeSize"},
		{"bad skiptoken", "GET", "/users?$skiptoken=garbage", nil, nil, 400, "Request_BadRequest", "page token"},
		// https://learn.microsoft.com/graph/api/user-post-approleassignments — a duplicate assignment is refused.
		{"duplicate app role assignment", "POST", "/users/" + jan + "/appRoleAssignments", map[string]any{"principalId": jan, "resourceId": sf, "appRoleId": role}, nil, 400, "Request_BadRequest", "Permission being assigned already exists on the object."},
		{"unknown app role", "POST", "/users/" + piet + "/appRoleAssignments", map[string]any{"principalId": piet, "resourceId": sf, "appRoleId": newGUID()}, nil, 400, "Request_BadRequest", "was not found on application"},
		{"unknown resource", "POST", "/users/" + piet + "/appRoleAssignments", map[string]any{"principalId": piet, "resourceId": newGUID(), "appRoleId": role}, nil, 404, "Request_ResourceNotFound", "does not exist"},
		// https://learn.microsoft.com/graph/api/user-list-manager — no manager is 404.
		{"no manager", "GET", "/users/" + piet + "/manager", nil, nil, 404, "Request_ResourceNotFound", "manager"},
		{"manager unknown", "PUT", "/users/" + piet + "/manager/$ref", ref(e, "users", newGUID()), nil, 404, "Request_ResourceNotFound", "does not exist"},
		// https://learn.microsoft.com/graph/json-batching#batch-size-limitations — at most 20 requests.
		{"batch over 20", "POST", "/$batch", map[string]any{"requests": tooMany}, nil, 400, "BadRequest", "limit of 20"},
		// The default TAP policy allows 60..480 minutes (microsoftgraph/microsoft-graph-docs PR #12187 quotes the error).
		{"TAP lifetime out of range", "POST", "/users/" + jan + "/authentication/temporaryAccessPassMethods", map[string]any{"lifetimeInMinutes": 5}, nil, 400, "badRequest", "The valid range between 60 and 480."},
		// https://learn.microsoft.com/graph/api/user-sendmail — the sender needs a mailbox.
		{"sendMail without recipients", "POST", "/users/" + jan + "/sendMail", map[string]any{"message": map[string]any{"subject": "x"}}, nil, 400, "ErrorInvalidRecipients", "recipient"},
		{"unknown segment", "GET", "/widgets", nil, nil, 400, "BadRequest", "Resource not found for the segment 'widgets'"},
		{"method not allowed", "PUT", "/users", map[string]any{}, nil, 405, "Request_BadRequest", "not allowed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(tc.method, tc.path, tc.body, tc.headers...)
			if r.status != tc.status || r.errCode() != tc.code || !strings.Contains(r.errMessage(), tc.msg) {
				t.Fatalf("got %d %s %q, want %d %s containing %q", r.status, r.errCode(), r.errMessage(), tc.status, tc.code, tc.msg)
			}
			inner, _ := r.body["error"].(map[string]any)["innerError"].(map[string]any)
			for _, k := range []string{"date", "request-id", "client-request-id"} {
				if s, _ := inner[k].(string); s == "" {
					t.Errorf("innerError.%s missing in %s", k, r.raw)
				}
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}

	// Conflict errors name the property in details, as Entra does.
	r := e.do("POST", "/users", dupUPN)
	details, _ := r.body["error"].(map[string]any)["details"].([]any)
	if len(details) != 1 || details[0].(map[string]any)["target"] != "userPrincipalName" || details[0].(map[string]any)["code"] != "ObjectConflict" {
		t.Errorf("details = %v", details)
	}
	// A refused request changes nothing.
	if n := e.sim.UserCount(); n != 3 {
		t.Errorf("users after refused creates = %d, want 3", n)
	}
	if got := e.sim.UserLicenses(piet); len(got) != 0 {
		t.Errorf("piet licences = %v", got)
	}
}

// TestLicenceNeedsUsageLocation: https://learn.microsoft.com/graph/api/user-assignlicense —
// assigning to a user without usageLocation is 400 "License assignment cannot be done for
// user with invalid usage location." (see also
// https://learn.microsoft.com/entra/identity/users/licensing-groups-resolve-problems#usage-location-isnt-allowed).
func TestLicenceNeedsUsageLocation(t *testing.T) {
	e, ids := seeded(t)
	piet := ids.Users["piet.jansen@contoso.example"] // seeded without usageLocation
	r := e.must(400, "POST", "/users/"+piet+"/assignLicense",
		map[string]any{"addLicenses": []any{map[string]any{"skuId": ids.SKUs["SPE_E3"], "disabledPlans": []any{}}}, "removeLicenses": []any{}})
	if r.errCode() != "Request_BadRequest" || r.errMessage() != "License assignment cannot be done for user with invalid usage location." {
		t.Fatalf("got %s %q", r.errCode(), r.errMessage())
	}
	e.must(204, "PATCH", "/users/"+piet, map[string]any{"usageLocation": "NL"})
	r = e.must(200, "POST", "/users/"+piet+"/assignLicense",
		map[string]any{"addLicenses": []any{map[string]any{"skuId": ids.SKUs["SPE_E3"], "disabledPlans": []any{}}}, "removeLicenses": []any{}})
	if r.body["userPrincipalName"] != "piet.jansen@contoso.example" {
		t.Errorf("assignLicense returns the user, got %s", r.raw)
	}
	if k, _ := e.sim.SKU("SPE_E3"); k.ConsumedUnits != 1 {
		t.Errorf("consumed = %d, want 1", k.ConsumedUnits)
	}
	// With licences, the usage location cannot be removed.
	e.must(400, "PATCH", "/users/"+piet, map[string]any{"usageLocation": nil})
}
