// Package iamtest provides a fake IBM Cloud IAM token endpoint for tests.
//
// A [Server] listens on loopback and exchanges API keys for JWT-shaped access
// tokens the way IAM's POST /identity/token does, with IAM's success and error
// bodies. Tests can script failures, delays and hangs with [Server.Enqueue],
// count requests, and check bearer tokens with [Server.Valid]:
//
//	srv := iamtest.NewServer(iamtest.WithAPIKeys("test-key"))
//	defer srv.Close()
//	t.Setenv("IBM_AUTH_URL", srv.URL) // or pass srv.URL to the client
//	// ... exchange "test-key" for a token ...
//	srv.Enqueue(iamtest.Reply{Status: 503, RetryAfter: "1"})
//	// ... check the client retries, then assert on srv.Requests() ...
//
// The tokens are not signed by anything: they only look like IAM's, and only
// the [Server] that issued one accepts it. All methods of [Server] are safe for
// concurrent use.
package iamtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

const (
	// tokenPath is where IAM serves its token operation.
	tokenPath = "/identity/token"
	// formType is the only content type IAM accepts for token requests.
	formType = "application/x-www-form-urlencoded"
	// maxBody bounds how much of a request body is read.
	maxBody = 64 << 10
)

// A Server is a running fake IAM token endpoint on a loopback address. It must
// be stopped with [Server.Close]. It is safe for concurrent use.
type Server struct {
	// URL is the full token URL, such as
	// http://127.0.0.1:41234/identity/token, usable as IBM_AUTH_URL.
	URL string
	// BaseURL is the URL without the token path, such as
	// http://127.0.0.1:41234, as go-sdk-core's IamAuthenticator.URL wants.
	BaseURL string

	srv  *httptest.Server
	keys map[string]bool
	now  func() time.Time
	// closing is closed by Close to end every pending wait.
	closing   chan struct{}
	closeOnce sync.Once

	// mu guards the fields below.
	mu       sync.Mutex
	lifetime time.Duration
	latency  time.Duration
	replies  []Reply
	requests int
	// tokens maps every issued token to its expiry.
	tokens map[string]time.Time
}

// NewServer starts a fake IAM token endpoint on a loopback address. By default
// it accepts any non-empty API key and issues tokens that live an hour.
func NewServer(opts ...Option) *Server {
	cfg := newConfig(opts)
	s := &Server{
		keys:     cfg.keys,
		now:      cfg.now,
		closing:  make(chan struct{}),
		lifetime: cfg.lifetime,
		latency:  cfg.latency,
		tokens:   make(map[string]time.Time),
	}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.handle))
	// Set the URLs before serving, so the handler reads them race-free.
	s.BaseURL = "http://" + s.srv.Listener.Addr().String()
	s.URL = s.BaseURL + tokenPath
	s.srv.Start()
	return s
}

// Close stops the server and returns once its handlers have. Requests still
// waiting for a delay, a latency or a hang are cut off without an answer, so
// Close never waits for them. Calling Close again does nothing.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closing)
		s.srv.Close()
	})
}

// Requests returns how many requests the server has received, whatever their
// path or outcome, counting each as it arrives.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// Issued returns how many access tokens the server has issued.
func (s *Server) Issued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.tokens)
}

// Valid reports whether token is an access token this server issued that has
// not expired yet. An API stand-in can use it to check a bearer token.
func (s *Server) Valid(token string) bool {
	s.mu.Lock()
	expiry, ok := s.tokens[token]
	s.mu.Unlock()
	return ok && s.now().Before(expiry)
}

// Enqueue scripts the answers to the next requests: each request, whatever
// its path, takes the first reply still queued, and once the queue is empty
// the server behaves normally again. Replies add to those already queued.
func (s *Server) Enqueue(replies ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replies = append(s.replies, replies...)
}

// SetLifetime changes the lifetime of the tokens issued from now on, as
// [WithLifetime] sets it at the start.
func (s *Server) SetLifetime(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lifetime = d
}

// SetLatency changes the delay before every answer from now on, as
// [WithLatency] sets it at the start.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// handle answers one request, following the next scripted reply if any.
func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	x := exchange{id: rand.Text(), start: s.now()}
	reply, latency := s.arrive()
	w.Header().Set("Transaction-Id", x.id)
	// Reading the whole body first lets net/http notice a client that hangs
	// up, which ends r.Context() and so any wait below.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil { // most likely too big; if the client is gone, no harm
		s.writeFailure(w, r, x, failed(Reply{Status: http.StatusRequestEntityTooLarge}))
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))

	if !s.pause(r.Context(), latency+reply.Delay, reply.Hang) {
		// The documented way to drop the connection without an answer.
		panic(http.ErrAbortHandler)
	}
	if reply.RetryAfter != "" {
		w.Header().Set("Retry-After", reply.RetryAfter)
	}
	switch {
	case reply.Body != "":
		writeRaw(w, reply)
	case reply.Status >= 400:
		s.writeFailure(w, r, x, failed(reply))
	default:
		s.serveToken(w, r, x, reply.Status)
	}
}

// arrive counts a request and takes the reply scripted for it, along with the
// latency in force.
func (s *Server) arrive() (Reply, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	if len(s.replies) == 0 {
		return Reply{}, s.latency
	}
	reply := s.replies[0]
	s.replies = s.replies[1:]
	return reply, s.latency
}

// pause waits for d, or without end if forever is set. It reports false if
// the wait was cut short by the request's context or by Close.
func (s *Server) pause(ctx context.Context, d time.Duration, forever bool) bool {
	if d <= 0 && !forever {
		return true
	}
	var elapsed <-chan time.Time // nil, so never ready, when forever
	if !forever {
		t := time.NewTimer(d)
		defer t.Stop()
		elapsed = t.C
	}
	select {
	case <-elapsed:
		return true
	case <-ctx.Done():
		return false
	case <-s.closing:
		return false
	}
}

// serveToken checks a token request and answers it with a new token, sent
// with status, or 200 if status is 0.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request, x exchange, status int) {
	apiKey, f := s.check(r)
	if f != nil {
		s.writeFailure(w, r, x, *f)
		return
	}
	if status == 0 {
		status = http.StatusOK
	}
	writeJSON(w, status, s.issue(apiKey))
}

// check validates a token request as IAM does and returns its API key, or the
// failure to answer with.
func (s *Server) check(r *http.Request) (string, *failure) {
	if !strings.HasSuffix(r.URL.Path, tokenPath) {
		f := failed(Reply{Status: http.StatusNotFound})
		return "", &f
	}
	if r.Method != http.MethodPost {
		f := failed(Reply{Status: http.StatusMethodNotAllowed})
		return "", &f
	}
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mediaType != formType || r.ParseForm() != nil {
		return "", badRequest(CodeBadContentType,
			"Unsupported Content-Type; expected application/x-www-form-urlencoded.")
	}
	if r.PostForm.Get("grant_type") != grantAPIKey {
		return "", badRequest(CodeBadGrantType, "Provided grant type is missing or not supported.")
	}
	apiKey := r.PostForm.Get("apikey")
	if apiKey == "" {
		return "", badRequest(CodeMissingAPIKey, "Provided API key is missing or empty.")
	}
	if s.keys != nil && !s.keys[apiKey] {
		return "", badRequest(CodeAPIKeyNotFound, "Provided API key could not be found.")
	}
	return apiKey, nil
}

// badRequest returns a 400 failure.
func badRequest(code, message string) *failure {
	return &failure{status: http.StatusBadRequest, code: code, message: message}
}

// issue mints a token for apiKey, records it, and returns the success body.
func (s *Server) issue(apiKey string) tokenBody {
	s.mu.Lock()
	lifetime := s.lifetime
	s.mu.Unlock()

	who := identify(apiKey)
	now := s.now()
	iat := time.Unix(now.Unix(), 0) // claims hold whole seconds
	seconds := wholeSeconds(lifetime)
	exp := iat.Add(time.Duration(seconds) * time.Second)
	token := mint(who, iat, exp)

	// Valid counts the lifetime from the moment of issue, not from the
	// whole second before it, so a client that counts from when it sent
	// the request never holds a token this server already calls expired.
	s.mu.Lock()
	s.tokens[token] = now.Add(time.Duration(seconds) * time.Second)
	s.mu.Unlock()
	return tokenBody{
		AccessToken:  token,
		RefreshToken: "not_supported",
		TokenType:    "Bearer",
		ExpiresIn:    seconds,
		Expiration:   exp.Unix(),
		Scope:        scope,
		IMSUserID:    who.imsUserID,
	}
}
