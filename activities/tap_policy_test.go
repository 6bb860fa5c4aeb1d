package activities

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/entralifecycle/engine/internal/graphsim"
	"github.com/entralifecycle/engine/internal/testenv"
)

// A pass is asked for inside the tenant's Temporary Access Pass policy: the
// policy file's lifetime is clamped to the tenant's maximum with a warning,
// and a tenant that requires one-time passes gets one.
func TestPassFollowsTheTenantPolicy(t *testing.T) {
	// The tenant's Temporary Access Pass policy: one-time passes of at most 4 h.
	tapPolicy := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/authenticationMethodConfigurations/TemporaryAccessPass") {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(`{"@odata.type":"#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration","id":"TemporaryAccessPass",
"defaultLifetimeInMinutes":60,"minimumLifetimeInMinutes":60,"maximumLifetimeInMinutes":240,"isUsableOnce":true}`))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	w := testenv.New(t, testenv.Fixture{
		Seed: graphsim.Seed{Domains: []string{"contoso.example"}, Users: []map[string]any{
			{"displayName": "Sender", "userPrincipalName": "lifecycle@contoso.example", "mail": "lifecycle@contoso.example"},
			{"displayName": "Maria", "userPrincipalName": "maria@contoso.example", "mail": "maria@contoso.example", "givenName": "Maria"},
			{"displayName": "Jan", "userPrincipalName": "jan@contoso.example", "employeeId": "1"},
		}},
		Policy:     "tenant: {domain: contoso.example}\nlifecycle: {temporaryAccessPassLifetimeMinutes: 600}\n",
		MailSender: "lifecycle@contoso.example",
	}, testenv.WithHandler(tapPolicy))
	sim, ids := w.Sim, w.IDs
	acts := &Activities{Directory: w.Dir, Logger: w.Logger, Policy: w.Policy.Load}
	rec, err := acts.IssueTemporaryAccessPass(context.Background(), IssuePassInput{ObjectID: ids.Users["jan@contoso.example"], EmployeeID: "1",
		DisplayName: "Jan", UPN: "jan@contoso.example", ManagerObjectID: ids.Users["maria@contoso.example"]})
	if err != nil {
		t.Fatal(err)
	}
	if !rec.Issued || rec.Lifetime != "4h0m0s" || len(rec.Warnings) != 1 || !strings.Contains(rec.Warnings[0], "10h0m0s") {
		t.Fatalf("receipt %+v, want a 4 h pass with a warning about the 10 h asked for", rec)
	}
	if tap, ok := sim.TemporaryAccessPass("jan@contoso.example"); !ok || !tap.IsUsableOnce || tap.LifetimeInMinutes != 240 {
		t.Fatalf("pass in the tenant %+v, want one-time for 240 minutes", tap)
	}
}
