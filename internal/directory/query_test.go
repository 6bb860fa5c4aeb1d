package directory_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/entralifecycle/engine/internal/directory"
	"github.com/entralifecycle/engine/internal/graphsim"
)

func TestNeedsAdvancedQuery(t *testing.T) {
	tests := []struct {
		filter string
		want   bool
	}{
		{"employeeId eq '1001'", false},
		{"userPrincipalName eq 'jan@contoso.example'", false},
		{"companyName eq 'Contoso B.V.'", true},
		{"employeeType eq 'Employee'", true},
		{"employeeId ne '1001'", true},
		{"endsWith(mail,'@contoso.example')", true},
		{"employeeLeaveDateTime eq null", true},
		{"not(accountEnabled eq true)", true},
		{"displayName eq 'Renee'", false},
	}
	for _, tt := range tests {
		if got := directory.NeedsAdvancedQuery(tt.filter); got != tt.want {
			t.Errorf("NeedsAdvancedQuery(%q) = %v, want %v", tt.filter, got, tt.want)
		}
	}
}

// batchRecorder keeps the bodies of $batch requests.
type batchRecorder struct {
	next   http.RoundTripper
	mu     sync.Mutex
	bodies [][]byte
	tops   []string
}

func (b *batchRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if top := req.URL.Query().Get("$top"); top != "" {
		b.mu.Lock()
		b.tops = append(b.tops, top)
		b.mu.Unlock()
	}
	if strings.HasSuffix(req.URL.Path, "/$batch") && req.Body != nil {
		raw, _ := io.ReadAll(req.Body)
		body := raw
		if req.Header.Get("Content-Encoding") == "gzip" {
			if zr, err := gzip.NewReader(bytes.NewReader(raw)); err == nil {
				body, _ = io.ReadAll(zr)
			}
		}
		b.mu.Lock()
		b.bodies = append(b.bodies, body)
		b.mu.Unlock()
		req.Body = io.NopCloser(bytes.NewReader(raw))
	}
	return b.next.RoundTrip(req)
}

// Every $batch the engine sends has ids unique without regard to case and a
// Content-Type on every step with a body
// (https://learn.microsoft.com/graph/json-batching); no page asks for more
// than 999.
func TestBatchStepsAreWellFormed(t *testing.T) {
	sim := graphsim.New()
	groups := []graphsim.SeedGroup{}
	names := []string{}
	for _, g := range []string{"A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O", "P", "Q", "R", "S", "T", "U", "V"} {
		groups = append(groups, graphsim.SeedGroup{DisplayName: "Group " + g})
		names = append(names, "Group "+g)
	}
	ids, err := sim.SeedWithResult(graphsim.Seed{Domains: []string{simDomain}, Groups: groups,
		SKUs:  []graphsim.SeedSKU{{SkuPartNumber: "SPE_E3", PrepaidUnits: 5}},
		Users: []map[string]any{{"displayName": "Jan", "userPrincipalName": "jan@" + simDomain, "usageLocation": "NL"}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	rec := &batchRecorder{next: http.DefaultTransport}
	c, err := directory.New(context.Background(), directory.Config{BaseURL: srv.URL + "/v1.0", GroupAddWindow: -1}, directory.WithTransport(rec), directory.WithLogger(testLogger(t)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	gids, err := c.ResolveGroups(ctx, names)
	if err != nil {
		t.Fatal(err)
	}
	var g directory.Grant
	for _, n := range names {
		g.GroupIDs = append(g.GroupIDs, gids[n])
	}
	g.Licenses = []string{"SPE_E3"}
	jan := ids.Users["jan@"+simDomain]
	if err := c.Grant(ctx, jan, g); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Entitlements(ctx, jan); err != nil {
		t.Fatal(err)
	}
	if len(rec.bodies) < 3 {
		t.Fatalf("batches sent: %d, want at least 3 (23 steps in two envelopes, then the read)", len(rec.bodies))
	}
	for i, body := range rec.bodies {
		var env struct {
			Requests []struct {
				ID      string            `json:"id"`
				Method  string            `json:"method"`
				Headers map[string]string `json:"headers"`
				Body    json.RawMessage   `json:"body"`
			} `json:"requests"`
		}
		if err := json.Unmarshal(body, &env); err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
		if len(env.Requests) > 20 {
			t.Errorf("batch %d has %d steps, Graph takes 20", i, len(env.Requests))
		}
		seen := map[string]bool{}
		for _, r := range env.Requests {
			id := strings.ToLower(r.ID)
			if id == "" || seen[id] {
				t.Errorf("batch %d: id %q empty or repeated (ids are case-insensitive)", i, r.ID)
			}
			seen[id] = true
			if len(r.Body) > 0 && string(r.Body) != "null" {
				ct := ""
				for k, v := range r.Headers {
					if strings.EqualFold(k, "Content-Type") {
						ct = v
					}
				}
				if !strings.HasPrefix(ct, "application/json") {
					t.Errorf("batch %d step %s (%s) has a body without Content-Type: %v", i, r.ID, r.Method, r.Headers)
				}
			}
		}
	}
	for _, top := range rec.tops {
		if len(top) > 3 {
			t.Errorf("$top=%s exceeds 999", top)
		}
	}
}
