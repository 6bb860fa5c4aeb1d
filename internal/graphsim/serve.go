package graphsim

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxBodyBytes bounds request bodies (after decompression).
const maxBodyBytes = 4 << 20

// graphContentType is the Content-Type Graph answers JSON with.
const graphContentType = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"

// response is a handler's answer, built under the tenant lock and written after.
type response struct {
	status int
	header http.Header
	body   []byte
}

// call is one Graph request, top-level or inside a $batch.
type call struct {
	ctx         context.Context
	method      string
	path        string   // after /v1.0, e.g. /users/abc
	segs        []string // path segments
	ids         []string // values of the {id} segments of the matched route
	q           url.Values
	qErr        error
	header      http.Header
	body        []byte
	base        string // scheme://host/v1.0
	now         time.Time
	requestID   string
	clientReqID string
	seeding     bool // a seed's internal call: replication lag does not apply
}

// ServeHTTP serves Graph under /v1.0/... and the control API under /_sim/....
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, "/_sim/"):
		s.serveControl(w, r)
		return
	case r.URL.Path == "/v1.0" || strings.HasPrefix(r.URL.Path, "/v1.0/"):
	default:
		writeResponse(w, s.errorResponse(newCallFromHTTP(r, nil), http.StatusNotFound, "BadRequest",
			fmt.Sprintf("Invalid version: %s", firstSegment(r.URL.Path))))
		return
	}
	sleep(r.Context(), s.fixedLatency())
	body, err := readBody(r)
	c := newCallFromHTTP(r, body)
	c.now = s.clock()
	if err != nil {
		var re *requestError
		if errors.As(err, &re) {
			writeResponse(w, s.errorResponse(c, re.status, re.code, re.msg))
			return
		}
		writeResponse(w, s.errorResponse(c, http.StatusBadRequest, "BadRequest", "Unable to read the request body."))
		return
	}
	writeResponse(w, s.dispatch(c, false))
}

func firstSegment(p string) string {
	p = strings.TrimPrefix(p, "/")
	if i := strings.IndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return p
}

// requestError is a problem with the HTTP request itself.
type requestError struct {
	status    int
	code, msg string
}

func (e *requestError) Error() string { return e.msg }

// readBody reads a request body, gunzipping it when Content-Encoding says so.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read request body: %w", err)
	}
	if len(raw) > maxBodyBytes {
		return nil, &requestError{http.StatusRequestEntityTooLarge, "Request_EntityTooLarge", "The request body is too large."}
	}
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
		return raw, nil
	case "gzip":
		if len(raw) == 0 {
			return nil, nil
		}
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, &requestError{http.StatusBadRequest, "BadRequest", "The gzip request body could not be decompressed."}
		}
		defer zr.Close()
		out, err := io.ReadAll(io.LimitReader(zr, maxBodyBytes+1))
		if err != nil {
			return nil, &requestError{http.StatusBadRequest, "BadRequest", "The gzip request body could not be decompressed."}
		}
		if len(out) > maxBodyBytes {
			return nil, &requestError{http.StatusRequestEntityTooLarge, "Request_EntityTooLarge", "The request body is too large."}
		}
		return out, nil
	default:
		return nil, &requestError{http.StatusUnsupportedMediaType, "UnsupportedMediaType", fmt.Sprintf("Content-Encoding '%s' is not supported.", enc)}
	}
}

func newCallFromHTTP(r *http.Request, body []byte) *call {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	p := strings.TrimPrefix(r.URL.Path, "/v1.0")
	if p == "" {
		p = "/"
	}
	q, qErr := url.ParseQuery(r.URL.RawQuery)
	c := &call{
		ctx:    r.Context(),
		method: r.Method,
		path:   p,
		q:      q,
		qErr:   qErr,
		header: r.Header,
		body:   body,
		base:   scheme + "://" + r.Host + "/v1.0",
		now:    time.Now().UTC(),
	}
	c.requestID = newGUID()
	c.clientReqID = r.Header.Get("client-request-id")
	if c.clientReqID == "" {
		c.clientReqID = c.requestID
	}
	return c
}

func writeResponse(w http.ResponseWriter, resp *response) {
	for k, vs := range resp.header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(resp.status)
	if len(resp.body) > 0 {
		if _, err := w.Write(resp.body); err != nil {
			slog.Debug("graphsim: writing response failed", "error", err)
		}
	}
}

// dispatch routes one Graph call: statistics, faults, then the handler.
func (s *Sim) dispatch(c *call, inBatch bool) *response {
	if c.qErr != nil {
		return s.errorResponse(c, http.StatusBadRequest, "BadRequest", "The query string is malformed.")
	}
	c.segs = splitPath(c.path)
	rt, ids, methodOK := matchRoute(c.method, c.segs)
	template := "(unmatched)"
	if rt != nil {
		template = rt.template
	}
	envelope := rt != nil && rt.envelope
	s.count(c.method, template, envelope)

	if f, ok := s.takeFault(c.method, c.path); ok {
		slog.Debug("graphsim: fault applied", "method", c.method, "path", c.path, "status", f.Status)
		sleep(c.ctx, time.Duration(f.LatencyMs)*time.Millisecond)
		if f.Status != 0 {
			return s.faultResponse(c, f)
		}
	}
	if rt == nil {
		return s.errorResponse(c, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", lastSegment(c.segs)))
	}
	if !envelope && isWrite(c.method) && !outsideIdentityQuota(template) {
		if wait, ok := s.admitWrite(c.now); !ok {
			return s.throttled(c, wait)
		}
	}
	if !methodOK {
		return s.errorResponse(c, http.StatusMethodNotAllowed, "Request_BadRequest", "Specified HTTP method is not allowed for the request uri.")
	}
	c.ids = ids
	if rt.envelope {
		// $batch runs its sub-requests itself, each taking the lock as needed.
		return rt.handle(s, c)
	}
	if rt.write {
		s.mu.Lock()
		defer s.mu.Unlock()
		resp := rt.handle(s, c)
		return s.persist(c, resp)
	} else {
		s.mu.RLock()
		defer s.mu.RUnlock()
	}
	return rt.handle(s, c)
}

func lastSegment(segs []string) string {
	if len(segs) == 0 {
		return ""
	}
	return segs[len(segs)-1]
}

// splitPath splits a path into unescaped segments.
func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// faultResponse builds the answer of an injected fault.
func (s *Sim) faultResponse(c *call, f Fault) *response {
	code, msg := f.Code, f.Message
	if code == "" || msg == "" {
		dc, dm := defaultFaultError(f.Status)
		if code == "" {
			code = dc
		}
		if msg == "" {
			msg = dm
		}
	}
	resp := s.errorResponse(c, f.Status, code, msg)
	if f.RetryAfter > 0 {
		resp.header.Set("Retry-After", strconv.Itoa(f.RetryAfter))
	}
	return resp
}

// defaultFaultError gives the Graph error code and message for a fault status.
func defaultFaultError(status int) (string, string) {
	switch status {
	case http.StatusTooManyRequests:
		return "TooManyRequests", "Too many requests."
	case http.StatusServiceUnavailable:
		return "ServiceUnavailable", "The service is temporarily unavailable. Please retry."
	case http.StatusGatewayTimeout:
		return "GatewayTimeout", "The gateway did not receive a timely response."
	case http.StatusForbidden:
		return "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
	case http.StatusUnauthorized:
		return "InvalidAuthenticationToken", "Access token validation failure."
	case http.StatusNotFound:
		return "Request_ResourceNotFound", "Resource does not exist or one of its queried reference-property objects are not present."
	case http.StatusBadRequest:
		return "Request_BadRequest", "The request is invalid."
	case http.StatusInternalServerError:
		return "InternalServerError", "An internal server error occurred."
	default:
		return "UnknownError", http.StatusText(status)
	}
}

// errorDetail is one entry of an error's "details".
type errorDetail struct {
	Code   string `json:"code"`
	Target string `json:"target"`
}

// errorResponse builds Graph's error body.
func (s *Sim) errorResponse(c *call, status int, code, msg string, details ...errorDetail) *response {
	e := map[string]any{
		"code":    code,
		"message": msg,
		"innerError": map[string]any{
			"date":              c.now.Format(timeFormat),
			"request-id":        c.requestID,
			"client-request-id": c.clientReqID,
		},
	}
	if len(details) > 0 {
		e["details"] = details
	}
	return c.jsonResponse(status, map[string]any{"error": e})
}

// jsonResponse marshals v as the body of a response with Graph's headers.
func (c *call) jsonResponse(status int, v any) *response {
	b, err := json.Marshal(v)
	if err != nil {
		slog.Error("graphsim: marshal response", "error", err)
		b = []byte(`{"error":{"code":"InternalServerError","message":"response encoding failed"}}`)
		status = http.StatusInternalServerError
	}
	h := c.baseHeader()
	h.Set("Content-Type", graphContentType)
	return &response{status: status, header: h, body: b}
}

// noContent is a 204 answer.
func (c *call) noContent() *response {
	return &response{status: http.StatusNoContent, header: c.baseHeader()}
}

func (c *call) baseHeader() http.Header {
	h := http.Header{}
	h.Set("request-id", c.requestID)
	h.Set("client-request-id", c.clientReqID)
	h.Set("Cache-Control", "no-cache")
	return h
}

// fail is shorthand for an error response.
func (s *Sim) fail(c *call, status int, code, msg string, details ...errorDetail) *response {
	return s.errorResponse(c, status, code, msg, details...)
}

// notFound is Entra's 404 for an unknown object id.
func (s *Sim) notFound(c *call, id string) *response {
	return s.fail(c, http.StatusNotFound, "Request_ResourceNotFound",
		fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", id))
}

// decodeObject parses the request body as one JSON object.
func (s *Sim) decodeObject(c *call) (map[string]any, *response) {
	if len(bytes.TrimSpace(c.body)) == 0 {
		return nil, s.fail(c, http.StatusBadRequest, "BadRequest", "Empty Payload. JSON content expected.")
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(c.body))
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, s.fail(c, http.StatusBadRequest, "BadRequest",
			"Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.")
	}
	if dec.More() {
		return nil, s.fail(c, http.StatusBadRequest, "BadRequest",
			"Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.")
	}
	return m, nil
}

// handler answers one matched route.
type handler func(s *Sim, c *call) *response

// route is one Graph endpoint.
type route struct {
	method   string
	segs     []string // literal segments and "{id}"
	template string   // "/users/{id}/manager/$ref"
	write    bool     // takes the tenant write lock
	envelope bool     // the $batch envelope
	handle   handler
}

var routes []*route

func init() {
	add := func(method, pattern string, h handler) {
		rt := &route{method: method, segs: splitPath(pattern), template: pattern, handle: h}
		rt.write = method != http.MethodGet
		rt.envelope = pattern == "/$batch"
		routes = append(routes, rt)
	}
	add("GET", "/users", (*Sim).listUsers)
	add("POST", "/users", (*Sim).createUser)
	add("GET", "/users/$count", (*Sim).countUsers)
	add("GET", "/users/delta", (*Sim).deltaUsers)
	add("GET", "/users/{id}", (*Sim).getUser)
	add("PATCH", "/users/{id}", (*Sim).patchUser)
	add("DELETE", "/users/{id}", (*Sim).deleteUser)
	add("GET", "/users/{id}/manager", (*Sim).getManager)
	add("PUT", "/users/{id}/manager/$ref", (*Sim).putManager)
	add("DELETE", "/users/{id}/manager/$ref", (*Sim).deleteManager)
	add("GET", "/users/{id}/directReports", (*Sim).listDirectReports)
	add("GET", "/users/{id}/memberOf", (*Sim).listMemberOf)
	add("POST", "/users/{id}/assignLicense", (*Sim).assignLicense)
	add("GET", "/users/{id}/licenseDetails", (*Sim).listLicenseDetails)
	add("GET", "/users/{id}/appRoleAssignments", (*Sim).listUserAppRoleAssignments)
	add("POST", "/users/{id}/appRoleAssignments", (*Sim).createAppRoleAssignment)
	add("GET", "/users/{id}/appRoleAssignments/{id}", (*Sim).getAppRoleAssignment)
	add("DELETE", "/users/{id}/appRoleAssignments/{id}", (*Sim).deleteAppRoleAssignment)
	add("POST", "/users/{id}/revokeSignInSessions", (*Sim).revokeSignInSessions)
	add("GET", "/users/{id}/authentication/temporaryAccessPassMethods", (*Sim).listTAPs)
	add("POST", "/users/{id}/authentication/temporaryAccessPassMethods", (*Sim).createTAP)
	add("GET", "/users/{id}/authentication/temporaryAccessPassMethods/{id}", (*Sim).getTAP)
	add("DELETE", "/users/{id}/authentication/temporaryAccessPassMethods/{id}", (*Sim).deleteTAP)
	add("POST", "/users/{id}/sendMail", (*Sim).sendMail)
	add("GET", "/groups", (*Sim).listGroups)
	add("GET", "/groups/{id}", (*Sim).getGroup)
	add("PATCH", "/groups/{id}", (*Sim).patchGroup)
	add("POST", "/groups/{id}/assignLicense", (*Sim).assignGroupLicense)
	add("GET", "/groups/{id}/members", (*Sim).listMembers)
	add("POST", "/groups/{id}/members/$ref", (*Sim).addMemberRef)
	add("DELETE", "/groups/{id}/members/$ref", (*Sim).removeMemberByQuery)
	add("DELETE", "/groups/{id}/members/{id}/$ref", (*Sim).removeMemberRef)
	add("GET", "/subscribedSkus", (*Sim).listSubscribedSkus)
	add("GET", "/servicePrincipals", (*Sim).listServicePrincipals)
	add("GET", "/servicePrincipals/{id}", (*Sim).getServicePrincipal)
	add("GET", "/servicePrincipals/{id}/appRoleAssignedTo", (*Sim).listAppRoleAssignedTo)
	add("GET", "/domains", (*Sim).listDomains)
	add("GET", "/directory/deletedItems/microsoft.graph.user", (*Sim).listDeletedUsers)
	add("GET", "/directory/deletedItems/{id}", (*Sim).getDeletedItem)
	add("DELETE", "/directory/deletedItems/{id}", (*Sim).hardDeleteItem)
	add("POST", "/directory/deletedItems/{id}/restore", (*Sim).restoreDeletedItem)
	add("GET", "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass", (*Sim).getTAPPolicy)
	add("PATCH", "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass", (*Sim).patchTAPPolicy)
	add("POST", "/$batch", (*Sim).batch)
}

// normalizeSegment maps the spellings SDKs and people use for the same
// function or cast to one form.
func normalizeSegment(seg string) string {
	switch strings.ToLower(seg) {
	case "delta()", "microsoft.graph.delta()", "microsoft.graph.delta":
		return "delta"
	case "graph.user", "microsoft.graph.user":
		return "microsoft.graph.user"
	case "restore()", "microsoft.graph.restore", "microsoft.graph.restore()":
		return "restore"
	case "assignlicense", "microsoft.graph.assignlicense":
		return "assignLicense"
	case "revokesigninsessions", "microsoft.graph.revokesigninsessions":
		return "revokeSignInSessions"
	case "sendmail", "microsoft.graph.sendmail":
		return "sendMail"
	}
	return seg
}

// matchRoute finds the route for a path. It returns the route matching the
// path (even when the method differs, for statistics), the {id} values and
// whether the method matched.
func matchRoute(method string, segs []string) (*route, []string, bool) {
	norm := make([]string, len(segs))
	for i, s := range segs {
		norm[i] = normalizeSegment(s)
	}
	var pathMatch *route
	var pathIDs []string
	for _, rt := range routes {
		if len(rt.segs) != len(norm) {
			continue
		}
		var ids []string
		ok := true
		for i, p := range rt.segs {
			if p == "{id}" {
				if literalSegment(norm[i]) {
					ok = false
					break
				}
				ids = append(ids, segs[i])
				continue
			}
			if !strings.EqualFold(p, norm[i]) {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		if rt.method == method {
			return rt, ids, true
		}
		if pathMatch == nil {
			pathMatch, pathIDs = rt, ids
		}
	}
	if pathMatch != nil {
		return pathMatch, pathIDs, false
	}
	return nil, nil, false
}

// literalSegment reports whether a segment is a keyword that can never be an
// object id, so "/users/delta" does not match "/users/{id}".
func literalSegment(seg string) bool {
	switch seg {
	case "delta", "$count", "$ref", "microsoft.graph.user":
		return true
	}
	return false
}
