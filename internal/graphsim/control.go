package graphsim

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// serveControl answers the /_sim/ control API (see the package documentation).
func (s *Sim) serveControl(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/_sim"), "/")
	switch {
	case path == "/faults" && r.Method == http.MethodPost:
		s.postFaults(w, r)
	case path == "/faults" && r.Method == http.MethodGet:
		controlJSON(w, http.StatusOK, s.Faults())
	case path == "/faults" && r.Method == http.MethodDelete:
		s.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	case path == "/stats" && r.Method == http.MethodGet:
		controlJSON(w, http.StatusOK, s.Stats())
	case (path == "/stats" && r.Method == http.MethodDelete) || (path == "/stats/reset" && r.Method == http.MethodPost):
		s.ResetStats()
		w.WriteHeader(http.StatusNoContent)
	case path == "/reset" && r.Method == http.MethodPost:
		s.Reset()
		w.WriteHeader(http.StatusNoContent)
	case path == "/seed" && r.Method == http.MethodPost:
		s.postSeed(w, r)
	case path == "/latency" && r.Method == http.MethodPost:
		s.postLatency(w, r)
	case path == "/config" && r.Method == http.MethodGet:
		controlJSON(w, http.StatusOK, s.Config())
	case path == "/config" && r.Method == http.MethodPut:
		s.putConfig(w, r)
	case path == "/mail" && r.Method == http.MethodGet:
		controlJSON(w, http.StatusOK, s.SentMail())
	default:
		controlError(w, http.StatusNotFound, "unknown control endpoint "+r.Method+" "+r.URL.Path)
	}
}

// postFaults adds one fault, or a JSON array of faults, after checking them all.
func (s *Sim) postFaults(w http.ResponseWriter, r *http.Request) {
	body, ok := readControlBody(w, r)
	if !ok {
		return
	}
	var list []Fault
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		if err := json.Unmarshal(trimmed, &list); err != nil {
			controlError(w, http.StatusBadRequest, "faults: "+err.Error())
			return
		}
	} else {
		var f Fault
		if err := json.Unmarshal(trimmed, &f); err != nil {
			controlError(w, http.StatusBadRequest, "faults: "+err.Error())
			return
		}
		list = []Fault{f}
	}
	for _, f := range list {
		if f.Status != 0 && (f.Status < 100 || f.Status > 599) {
			controlError(w, http.StatusBadRequest, "faults: status must be 0 or an HTTP status code")
			return
		}
		if f.LatencyMs < 0 || f.RetryAfter < 0 {
			controlError(w, http.StatusBadRequest, "faults: latencyMs and retryAfter must not be negative")
			return
		}
	}
	for _, f := range list {
		s.InjectFault(f)
	}
	controlJSON(w, http.StatusCreated, s.Faults())
}

// postSeed seeds the tenant and answers with the ids created.
func (s *Sim) postSeed(w http.ResponseWriter, r *http.Request) {
	body, ok := readControlBody(w, r)
	if !ok {
		return
	}
	var seed Seed
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&seed); err != nil {
		controlError(w, http.StatusBadRequest, "seed: "+err.Error())
		return
	}
	res, err := s.SeedWithResult(seed)
	if err != nil {
		controlError(w, http.StatusBadRequest, "seed: "+err.Error())
		return
	}
	controlJSON(w, http.StatusOK, res)
}

// postLatency sets the latency added to every Graph request.
func (s *Sim) postLatency(w http.ResponseWriter, r *http.Request) {
	body, ok := readControlBody(w, r)
	if !ok {
		return
	}
	var l struct {
		LatencyMs int `json:"latencyMs"`
	}
	if err := json.Unmarshal(body, &l); err != nil || l.LatencyMs < 0 {
		controlError(w, http.StatusBadRequest, `latency: expected {"latencyMs": N} with N >= 0`)
		return
	}
	s.SetLatency(time.Duration(l.LatencyMs) * time.Millisecond)
	w.WriteHeader(http.StatusNoContent)
}

// putConfig replaces the simulator configuration.
func (s *Sim) putConfig(w http.ResponseWriter, r *http.Request) {
	body, ok := readControlBody(w, r)
	if !ok {
		return
	}
	var cfg Config
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		controlError(w, http.StatusBadRequest, "config: "+err.Error())
		return
	}
	if err := s.SetConfig(cfg); err != nil {
		controlError(w, http.StatusBadRequest, err.Error())
		return
	}
	controlJSON(w, http.StatusOK, s.Config())
}

func readControlBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := readBody(r)
	if err != nil {
		controlError(w, http.StatusBadRequest, err.Error())
		return nil, false
	}
	return body, true
}

func controlJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		slog.Debug("graphsim: writing control response failed", "error", err)
	}
}

func controlError(w http.ResponseWriter, status int, msg string) {
	controlJSON(w, status, map[string]string{"error": msg})
}
