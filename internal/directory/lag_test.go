package directory_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/entralifecycle/engine/internal/directory"
	"github.com/entralifecycle/engine/internal/graphsim"
)

// lagTransport stands in front of the simulator and answers what a real
// tenant answers while a just-created user replicates: reads by id or UPN are
// 404 Request_ResourceNotFound and $filter lookups return nothing
// (eventual consistency, see ../../docs/entra-behaviour.md). It can also
// lose the reply to the first POST /users after the simulator acted on it.
type lagTransport struct {
	next http.RoundTripper

	mu         sync.Mutex
	dropCreate bool
	hide       bool
	hidden     []string // object ids, UPNs and employee ids of created users
	posts      int
}

func (l *lagTransport) hiddenIn(s string) bool {
	s = strings.ToLower(s)
	for _, h := range l.hidden {
		if h != "" && strings.Contains(s, strings.ToLower(h)) {
			return true
		}
	}
	return false
}

func (l *lagTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	l.mu.Lock()
	hide := l.hide
	l.mu.Unlock()
	path, _ := url.PathUnescape(req.URL.Path)
	query, _ := url.QueryUnescape(req.URL.RawQuery)
	if hide && req.Method == http.MethodGet && strings.Contains(path, "/users") {
		l.mu.Lock()
		inPath, inQuery := l.hiddenIn(path), l.hiddenIn(query)
		l.mu.Unlock()
		switch {
		case inPath:
			return jsonResponse(req, 404, `{"error":{"code":"Request_ResourceNotFound","message":"Resource '`+path+`' does not exist or one of its queried reference-property objects are not present."}}`), nil
		case inQuery:
			return jsonResponse(req, 200, `{"value":[]}`), nil
		}
	}
	resp, err := l.next.RoundTrip(req)
	if err != nil || req.Method != http.MethodPost || !strings.HasSuffix(path, "/users") {
		return resp, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if resp.StatusCode == http.StatusCreated {
		var u struct {
			ID  string `json:"id"`
			UPN string `json:"userPrincipalName"`
		}
		_ = json.Unmarshal(body, &u)
		l.mu.Lock()
		l.hidden = append(l.hidden, u.ID, u.UPN)
		l.posts++
		drop := l.dropCreate
		l.dropCreate = false
		l.mu.Unlock()
		if drop {
			return nil, io.ErrUnexpectedEOF // the reply is lost; the user exists
		}
	}
	return resp, nil
}

func jsonResponse(req *http.Request, status int, body string) *http.Response {
	return &http.Response{
		StatusCode: status, Status: http.StatusText(status), Request: req, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": []string{"application/json"}},
		Body:   io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)),
	}
}

// A create whose reply was lost, retried while the new user is not visible
// yet, must not end in a second account: the retry's lookup by employeeId
// finds nothing, its POST is refused because the UPN is taken, and the
// holder of the UPN cannot be read yet. The answer is GraphNotYetVisible (the
// caller waits), never GraphConflict (the caller would choose jan.devries2);
// once the user replicates, the next attempt adopts it.
func TestCreateAfterLostReplyUnderLagNeverDuplicates(t *testing.T) {
	sim := graphsim.New()
	if err := sim.Seed(graphsim.Seed{Domains: []string{simDomain}}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	lag := &lagTransport{next: http.DefaultTransport, dropCreate: true, hide: true}
	c, err := directory.New(context.Background(), directory.Config{BaseURL: srv.URL + "/v1.0"},
		directory.WithTransport(lag), directory.WithLogger(testLogger(t)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	u := directory.User{EmployeeID: "7001", GivenName: "Jan", Surname: "de Vries", DisplayName: "Jan de Vries",
		UserPrincipalName: "jan.devries@" + simDomain, MailNickname: "jan.devries", Mail: "jan.devries@" + simDomain}
	lag.hidden = append(lag.hidden, "'7001'")

	_, _, err = c.CreateUser(ctx, u)
	if !directory.IsRetryable(err) {
		t.Fatalf("lost reply: %v, want a retryable network error", err)
	}
	_, _, err = c.CreateUser(ctx, u)
	if k := directory.KindOf(err); k != directory.KindNotYetVisible {
		t.Fatalf("retry under lag: kind %v (%v), want GraphNotYetVisible", k, err)
	}
	if !strings.Contains(err.Error(), u.UserPrincipalName) {
		t.Errorf("message does not name the address: %v", err)
	}

	lag.mu.Lock()
	lag.hide = false
	lag.mu.Unlock()
	got, created, err := c.CreateUser(ctx, u)
	if err != nil || created || got.UserPrincipalName != u.UserPrincipalName {
		t.Fatalf("after replication: %+v created=%v err=%v, want the first account adopted", got, created, err)
	}
	found := 0
	if err := c.ListUsers(ctx, func(x directory.User) error {
		if x.EmployeeID == "7001" {
			found++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if found != 1 || lag.posts != 1 {
		t.Fatalf("accounts with employeeId 7001: %d, successful creates: %d; want 1 and 1", found, lag.posts)
	}
}

// A holder that is someone else, visible by key though not yet by $filter,
// is a GraphConflict naming that holder, so the hire chooses another name.
func TestCreateConflictNamesTheOtherHolderReadByKey(t *testing.T) {
	sim := graphsim.New()
	if err := sim.Seed(graphsim.Seed{Domains: []string{simDomain}, Users: []map[string]any{
		{"displayName": "Jan de Vries", "userPrincipalName": "jan.devries@" + simDomain, "mailNickname": "jan.devries", "employeeId": "1020"},
	}}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	// Only $filter lookups lag here; reads by key answer.
	lag := &lagTransport{next: http.DefaultTransport, hide: true, hidden: []string{"'jan.devries@"}}
	c, err := directory.New(context.Background(), directory.Config{BaseURL: srv.URL + "/v1.0"},
		directory.WithTransport(lag), directory.WithLogger(testLogger(t)))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.CreateUser(context.Background(), directory.User{EmployeeID: "1030", DisplayName: "Jan de Vries",
		UserPrincipalName: "jan.devries@" + simDomain, MailNickname: "jan.devries"})
	var de *directory.Error
	if !errors.As(err, &de) || de.Kind != directory.KindConflict || !strings.Contains(de.Message, `"1020"`) {
		t.Fatalf("got %v, want GraphConflict naming employee 1020", err)
	}
}
