package graphsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// maxBatchRequests is Graph's limit of requests in one $batch
// (https://learn.microsoft.com/graph/json-batching#batch-size-limitations).
const maxBatchRequests = 20

// batchRequest is one entry of a $batch body.
type batchRequest struct {
	ID        string            `json:"id"`
	Method    string            `json:"method"`
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers"`
	Body      json.RawMessage   `json:"body"`
	DependsOn []string          `json:"dependsOn"`
}

// batch serves POST /$batch (https://learn.microsoft.com/graph/json-batching).
// Requests run one after another in the order given; a request whose
// dependsOn names a failed request is answered 424 Failed Dependency.
func (s *Sim) batch(c *call) *response {
	var env struct {
		Requests []batchRequest `json:"requests"`
	}
	if err := json.Unmarshal(c.body, &env); err != nil || env.Requests == nil {
		return s.fail(c, http.StatusBadRequest, "BadRequest", "Invalid batch payload format.")
	}
	if len(env.Requests) > maxBatchRequests {
		return s.fail(c, http.StatusBadRequest, "BadRequest",
			fmt.Sprintf("The number of requests in the batch (%d) exceeds the limit of %d.", len(env.Requests), maxBatchRequests))
	}
	if r := s.checkBatchRequests(c, env.Requests); r != nil {
		return r
	}
	status := map[string]int{}
	out := make([]map[string]any, 0, len(env.Requests))
	for _, br := range env.Requests {
		failedDep := false
		for _, d := range br.DependsOn {
			if status[strings.ToLower(d)] >= 400 {
				failedDep = true
			}
		}
		var resp *response
		sub := s.subCall(c, br)
		switch {
		case failedDep:
			resp = s.fail(sub, http.StatusFailedDependency, "FailedDependency", "The request could not be processed because a dependent request failed.")
		default:
			resp = s.runSub(sub, br)
		}
		status[strings.ToLower(br.ID)] = resp.status
		out = append(out, batchItem(br, resp))
	}
	return c.jsonResponse(http.StatusOK, map[string]any{"responses": out})
}

// checkBatchRequests checks every request of a batch before any runs.
func (s *Sim) checkBatchRequests(c *call, reqs []batchRequest) *response {
	// Request ids are not case-sensitive and must be unique; a request with a
	// body needs a Content-Type header
	// (https://learn.microsoft.com/graph/json-batching#creating-a-batch-request).
	// Graph refuses a write without both with "Write request id : 1 does not
	// contain Content-Type header or body." (quoted in pnp/pnpcore's Teams code).
	seen := map[string]bool{}
	for _, br := range reqs {
		if br.ID == "" || br.Method == "" || br.URL == "" {
			return s.fail(c, http.StatusBadRequest, "BadRequest", "Every batch request needs an id, a method and a url.")
		}
		key := strings.ToLower(br.ID)
		if seen[key] {
			return s.fail(c, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Batch request id '%s' is used more than once.", br.ID))
		}
		for _, d := range br.DependsOn {
			if !seen[strings.ToLower(d)] {
				return s.fail(c, http.StatusBadRequest, "BadRequest",
					fmt.Sprintf("Batch request '%s' depends on '%s', which does not come before it.", br.ID, d))
			}
		}
		hasBody := len(br.Body) > 0 && string(br.Body) != "null"
		hasType := false
		for k, v := range br.Headers {
			if strings.EqualFold(k, "Content-Type") && strings.TrimSpace(v) != "" {
				hasType = true
			}
		}
		switch strings.ToUpper(br.Method) {
		case http.MethodPost, http.MethodPatch, http.MethodPut:
			if !hasBody || !hasType {
				return s.fail(c, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Write request id : %s does not contain Content-Type header or body.", br.ID))
			}
		default:
			if hasBody && !hasType {
				return s.fail(c, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Write request id : %s does not contain Content-Type header or body.", br.ID))
			}
		}
		seen[key] = true
	}
	return nil
}

// batchItem is the batch response entry for one request's response.
func batchItem(br batchRequest, resp *response) map[string]any {
	item := map[string]any{"id": br.ID, "status": resp.status}
	hdrs := map[string]string{}
	for k, v := range resp.header {
		switch http.CanonicalHeaderKey(k) {
		case "Content-Type", "Retry-After", "Location":
			hdrs[http.CanonicalHeaderKey(k)] = v[0]
		}
	}
	item["headers"] = hdrs
	if len(resp.body) > 0 {
		var body any
		if err := json.Unmarshal(resp.body, &body); err == nil {
			item["body"] = body
		} else {
			item["body"] = string(resp.body)
		}
	}
	return item
}

// subCall builds the call of one batch request.
func (s *Sim) subCall(c *call, br batchRequest) *call {
	raw := strings.TrimSpace(br.URL)
	if !strings.HasPrefix(raw, "/") {
		raw = "/" + raw
	}
	raw = strings.TrimPrefix(raw, "/v1.0")
	u, err := url.Parse(raw)
	sub := &call{
		ctx:       c.ctx,
		method:    strings.ToUpper(br.Method),
		header:    http.Header{},
		base:      c.base,
		now:       s.clock(),
		requestID: newGUID(),
	}
	sub.clientReqID = c.clientReqID
	for k, v := range br.Headers {
		sub.header.Set(k, v)
	}
	if err != nil {
		sub.path = raw
		sub.qErr = err
		return sub
	}
	sub.path = u.Path
	sub.q, sub.qErr = url.ParseQuery(u.RawQuery)
	if len(br.Body) > 0 && string(br.Body) != "null" {
		sub.body = []byte(br.Body)
	}
	return sub
}

// runSub dispatches one batch request.
func (s *Sim) runSub(sub *call, br batchRequest) *response {
	if strings.EqualFold(strings.Trim(sub.path, "/"), "$batch") {
		return s.fail(sub, http.StatusBadRequest, "BadRequest", "A $batch request cannot contain another $batch request.")
	}
	if len(sub.body) > 0 && sub.body[0] == '"' {
		// A string body is base64 or text content; only JSON is supported here.
		return s.fail(sub, http.StatusBadRequest, "BadRequest", "Only JSON bodies are supported in batch requests.")
	}
	return s.dispatch(sub, true)
}
