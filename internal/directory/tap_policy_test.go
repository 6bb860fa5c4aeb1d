package directory_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/entralifecycle/engine/internal/directory"
	"github.com/entralifecycle/engine/internal/graphsim"
)

func TestTemporaryAccessPassPolicyClamp(t *testing.T) {
	p := directory.TemporaryAccessPassPolicy{Minimum: time.Hour, Maximum: 4 * time.Hour, Default: 2 * time.Hour}
	tests := []struct {
		want, got time.Duration
		moved     bool
	}{
		{0, 2 * time.Hour, false},
		{30 * time.Minute, time.Hour, true},
		{3 * time.Hour, 3 * time.Hour, false},
		{10 * time.Hour, 4 * time.Hour, true},
	}
	for _, tt := range tests {
		if got, moved := p.Clamp(tt.want); got != tt.got || moved != tt.moved {
			t.Errorf("Clamp(%s) = %s, %v; want %s, %v", tt.want, got, moved, tt.got, tt.moved)
		}
	}
}

// The tenant's configuration is read through the SDK; an endpoint without it
// (404) means Entra's defaults.
func TestTemporaryAccessPassPolicyRead(t *testing.T) {
	sim := graphsim.New()
	if err := sim.Seed(graphsim.Seed{Domains: []string{simDomain}}); err != nil {
		t.Fatal(err)
	}
	const path = "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass"
	served := true
	// The configuration as Graph returns it
	// (https://learn.microsoft.com/graph/api/temporaryaccesspassauthenticationmethodconfiguration-get).
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.URL.Path, path) {
			w.Header().Set("Content-Type", "application/json")
			if !served {
				w.WriteHeader(404)
				_, _ = w.Write([]byte(`{"error":{"code":"Request_ResourceNotFound","message":"not found"}}`))
				return
			}
			_, _ = w.Write([]byte(`{"@odata.type":"#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration","id":"TemporaryAccessPass",
"state":"enabled","defaultLifetimeInMinutes":120,"defaultLength":8,"minimumLifetimeInMinutes":60,"maximumLifetimeInMinutes":240,"isUsableOnce":true}`))
			return
		}
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c, err := directory.New(context.Background(), directory.Config{BaseURL: srv.URL + "/v1.0"}, directory.WithLogger(testLogger(t)))
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.TemporaryAccessPassPolicy(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := directory.TemporaryAccessPassPolicy{Minimum: time.Hour, Maximum: 4 * time.Hour, Default: 2 * time.Hour, UsableOnce: true, FromTenant: true}
	if got != want {
		t.Fatalf("policy %+v, want %+v", got, want)
	}
	// The policy is kept for the cache TTL: a second pass does not read it again.
	served = false
	if got, err = c.TemporaryAccessPassPolicy(context.Background()); err != nil || got != want {
		t.Fatalf("second read: %+v, %v; want the cached policy", got, err)
	}
	c, err = directory.New(context.Background(), directory.Config{BaseURL: srv.URL + "/v1.0"}, directory.WithLogger(testLogger(t)))
	if err != nil {
		t.Fatal(err)
	}
	if got, err = c.TemporaryAccessPassPolicy(context.Background()); err != nil || got != directory.DefaultTemporaryAccessPassPolicy {
		t.Fatalf("without the endpoint: %+v, %v; want the defaults", got, err)
	}
}
