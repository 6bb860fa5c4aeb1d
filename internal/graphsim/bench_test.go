package graphsim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkList10kUsers lists 10,000 users in pages of 999 over HTTP, as the
// reconciliation does (one op = the whole listing, 11 requests).
func BenchmarkList10kUsers(b *testing.B) {
	s := New()
	seedMany(b, s, 10000)
	srv := httptest.NewServer(s)
	defer srv.Close()
	first := srv.URL + "/v1.0/users?$top=999&$select=id,employeeId,userPrincipalName,displayName,accountEnabled,department,jobTitle"
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := 0
		next := first
		for next != "" {
			resp, err := http.Get(next)
			if err != nil {
				b.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var page struct {
				Value    []map[string]any `json:"value"`
				NextLink string           `json:"@odata.nextLink"`
			}
			if err := json.Unmarshal(raw, &page); err != nil {
				b.Fatal(err)
			}
			n += len(page.Value)
			next = page.NextLink
		}
		if n != 10000 {
			b.Fatalf("listed %d users", n)
		}
	}
}

// BenchmarkFindByEmployeeID is the per-employee lookup, served from an index.
func BenchmarkFindByEmployeeID(b *testing.B) {
	s := New()
	seedMany(b, s, 10000)
	req := httptest.NewRequest("GET", "/v1.0/users?$filter=employeeId%20eq%20'05000'&$select=id,employeeId", nil)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}

// BenchmarkPersistedPatch is one PATCH of a user in a 10,000-user tenant
// stored with PersistTo: the cost of a durable write (one small transaction).
func BenchmarkPersistedPatch(b *testing.B) {
	s := New()
	seedMany(b, s, 10000)
	if err := s.PersistTo(b.TempDir() + "/tenant.db"); err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	id := s.Snapshot().Users[0]["id"].(string)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest("PATCH", "/v1.0/users/"+id, strings.NewReader(`{"jobTitle":"t`+strconv.Itoa(i)+`"}`))
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != 204 {
			b.Fatal(rec.Code, rec.Body.String())
		}
	}
}
