package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/iamtoken/tokenmanager/iamtest"
)

// A standIn imitates WatsonX's text generation endpoint for -local and the
// tests. It accepts only bearer tokens its IAM issued, checks each request's
// shape, and answers in WatsonX's reply shape with a text that echoes the
// prompt. It is safe for concurrent use and must be closed.
type standIn struct {
	*httptest.Server
	iam     *iamtest.Server
	project string // the only project ID it serves
	// reject is how many calls, from the next one on, get 401 whatever
	// their token, as if that token had been revoked.
	reject atomic.Int64

	// mu guards log.
	mu  sync.Mutex
	log []call
}

// A call is what the stand-in saw of one request and how it answered.
type call struct {
	token  string         // the bearer token, "" if none
	status int            // the answer's HTTP status
	body   map[string]any // the decoded JSON body, nil unless checked
}

// newStandIn starts a stand-in that trusts iam and serves project.
func newStandIn(iam *iamtest.Server, project string) *standIn {
	s := &standIn{iam: iam, project: project}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// calls returns every call received so far, in order.
func (s *standIn) calls() []call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]call(nil), s.log...)
}

// serve answers one call. The call is logged before the answer is written,
// so a client that has its answer finds the call in the log.
func (s *standIn) serve(w http.ResponseWriter, r *http.Request) {
	c := call{status: http.StatusOK}
	c.token, _ = strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	var problem string
	if s.reject.Add(-1) >= 0 || !s.iam.Valid(c.token) {
		c.status = http.StatusUnauthorized
	} else if c.body, problem = s.check(r); problem != "" {
		c.status = http.StatusBadRequest
	}
	s.mu.Lock()
	s.log = append(s.log, c)
	s.mu.Unlock()

	switch c.status {
	case http.StatusUnauthorized:
		writeError(w, c.status, "authentication_token_not_valid",
			"Failed to authenticate the request due to invalid token")
	case http.StatusBadRequest:
		writeError(w, c.status, "invalid_request", problem)
	default:
		writeReply(w, c.body)
	}
}

// check returns r's JSON body, or a description of what is wrong with r
// as a text generation request. The path and version are spelled out here
// rather than shared with generate.go, so a mistake there shows up here.
func (s *standIn) check(r *http.Request) (map[string]any, string) {
	switch {
	case r.Method != http.MethodPost:
		return nil, "method " + r.Method
	case r.URL.Path != "/ml/v1/text/generation":
		return nil, "path " + r.URL.Path
	case r.URL.Query().Get("version") != "2023-05-29":
		return nil, "version " + r.URL.Query().Get("version")
	case r.Header.Get("Content-Type") != "application/json":
		return nil, "content type " + r.Header.Get("Content-Type")
	}
	var body map[string]any
	if err := json.NewDecoder(io.LimitReader(r.Body, maxReply)).Decode(&body); err != nil {
		return nil, "body: " + err.Error()
	}
	for _, name := range []string{"model_id", "input", "project_id"} {
		if v, _ := body[name].(string); v == "" {
			return nil, "body lacks " + name
		}
	}
	if body["project_id"] != s.project {
		return nil, fmt.Sprintf("unknown project %v", body["project_id"])
	}
	return body, ""
}

// writeReply sends a successful answer to body in WatsonX's shape, with
// words standing in for tokens in the counts.
func writeReply(w http.ResponseWriter, body map[string]any) {
	input := body["input"].(string)
	text := standInText(input)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"model_id":   body["model_id"],
		"created_at": time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
		"results": []map[string]any{{
			"generated_text":        text,
			"generated_token_count": len(strings.Fields(text)),
			"input_token_count":     len(strings.Fields(input)),
			"stop_reason":           "eos_token",
		}},
	})
}

// standInText is the stand-in's generated text for input: it quotes the
// start of input, so a reader sees that the prompt arrived.
func standInText(input string) string {
	const most = 40
	if r := []rune(input); len(r) > most {
		input = string(r[:most]) + "…"
	}
	return fmt.Sprintf("The WatsonX stand-in got %q; a real model would answer here.", input)
}

// writeError sends an error answer in WatsonX's shape.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors":      []map[string]string{{"code": code, "message": msg}},
		"trace":       "stand-in",
		"status_code": status,
	})
}
